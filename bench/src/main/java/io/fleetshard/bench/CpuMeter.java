package io.fleetshard.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time (user + system) spent during a load phase, split by who spent it, so that a phase's cost can be given per
 * request: a figure the other work on a shared machine changes far less than throughput. Parts:
 * <ul>
 *   <li>{@code driver}: this JVM's threads named {@value #DRIVER_PREFIX}{@code *} (the load workers and their HTTP or
 *       JDBC client work);</li>
 *   <li>{@code server}: every other live Java thread of this JVM except the one that measures (in the router phases,
 *       the router: Jetty's threads, the router's handler, its JDBC pool), and of it the time in the kernel;</li>
 *   <li>{@code jvm}: the process's CPU time less all Java threads' (garbage collection and the JIT compiler);</li>
 *   <li>{@code pg}: the PostgreSQL server's backends and background processes (the live children of the postmaster,
 *       from {@code /proc/<pid>/stat}, in clock ticks of 10 ms), when a postmaster is given, and of it the time in
 *       the kernel.</li>
 * </ul>
 * A thread that ends during the phase loses its time (the pools here keep their threads).
 */
final class CpuMeter {
    static final String DRIVER_PREFIX = "load-";
    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ = 100 on Linux

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final long postmasterPid;

    /** @param postgresDataDir the data directory of the PostgreSQL server to count, or null for none */
    CpuMeter(Path postgresDataDir) throws IOException {
        this.postmasterPid = postgresDataDir == null ? -1 : Long.parseLong(Files.readAllLines(
                postgresDataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0).trim());
    }

    /** The CPU counters now. */
    Sample sample() {
        long self = Thread.currentThread().getId();
        long[] ids = threads.getAllThreadIds();
        long[] cpu = threads.getThreadCpuTime(ids);
        long[] user = threads.getThreadUserTime(ids);
        java.lang.management.ThreadInfo[] infos = threads.getThreadInfo(ids);
        Map<Long, Long> driver = new HashMap<>();
        Map<Long, Long> server = new HashMap<>();
        Map<Long, Long> serverUser = new HashMap<>();
        long all = 0;
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null || cpu[i] < 0) {
                continue;
            }
            all += cpu[i];
            if (ids[i] == self) {
                continue;
            }
            if (infos[i].getThreadName().startsWith(DRIVER_PREFIX)) {
                driver.put(ids[i], cpu[i]);
            } else {
                server.put(ids[i], cpu[i]);
                serverUser.put(ids[i], Math.max(0, user[i]));
            }
        }
        long[] pg = postgresNanos();
        return new Sample(os.getProcessCpuTime(), all, driver, server, serverUser, pg[0] + pg[1], pg[1]);
    }

    /** PostgreSQL's user and kernel time, in ns. */
    private long[] postgresNanos() {
        long[] ticks = new long[2];
        if (postmasterPid < 0) {
            return ticks;
        }
        addTicks(postmasterPid, ticks);
        for (ProcessHandle child : ProcessHandle.of(postmasterPid).map(p -> p.children().toList())
                .orElse(java.util.List.of())) {
            addTicks(child.pid(), ticks);
        }
        return new long[] {ticks[0] * NANOS_PER_TICK, ticks[1] * NANOS_PER_TICK};
    }

    private static void addTicks(long pid, long[] ticks) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long user = Long.parseLong(f[11]); // field 14 (utime)
            long system = Long.parseLong(f[12]); // field 15 (stime)
            ticks[0] += user;
            ticks[1] += system;
        } catch (IOException | RuntimeException e) {
            // gone in the meantime
        }
    }

    /** Counters at one instant. */
    record Sample(long processNs, long allThreadsNs, Map<Long, Long> driverNs, Map<Long, Long> serverNs,
            Map<Long, Long> serverUserNs, long postgresNs, long postgresKernelNs) {
        /** The CPU spent from {@code before} to this sample, per request of {@code requests}. */
        PerRequest since(Sample before, long requests) {
            double n = Math.max(1, requests);
            long driver = delta(driverNs, before.driverNs);
            long server = delta(serverNs, before.serverNs);
            long serverUser = delta(serverUserNs, before.serverUserNs);
            long jvm = (processNs - before.processNs) - (allThreadsNs - before.allThreadsNs);
            return new PerRequest(driver / n / 1e3, server / n / 1e3, (server - serverUser) / n / 1e3,
                    Math.max(0, jvm) / n / 1e3,
                    (postgresNs - before.postgresNs) / n / 1e3,
                    (postgresKernelNs - before.postgresKernelNs) / n / 1e3);
        }

        private static long delta(Map<Long, Long> now, Map<Long, Long> then) {
            long sum = 0;
            for (Map.Entry<Long, Long> e : now.entrySet()) {
                sum += e.getValue() - then.getOrDefault(e.getKey(), 0L);
            }
            return sum;
        }
    }

    /** Microseconds of CPU per request, by part. */
    record PerRequest(double driverUs, double serverUs, double serverKernelUs, double jvmUs, double postgresUs,
            double postgresKernelUs) {
        @Override
        public String toString() {
            return String.format("CPU/req: server %6.1f µs (kernel %5.1f)  driver %6.1f µs  GC+JIT %5.1f µs"
                    + "  PostgreSQL %6.1f µs (kernel %5.1f)", serverUs, serverKernelUs, driverUs, jvmUs, postgresUs,
                    postgresKernelUs);
        }
    }
}
