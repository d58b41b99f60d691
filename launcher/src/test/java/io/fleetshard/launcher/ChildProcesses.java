package io.fleetshard.launcher;

import io.fleetshard.controlapi.ControlApi;
import io.fleetshard.controlapi.ControlApiConfig;
import io.fleetshard.router.FleetSchema;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Components of the dev platform in processes of their own, for tests that SIGKILL them mid-job: the stream
 * processors (delta sync), a control API that takes the map writer over (fencing the platform's own), and the dev
 * platform's kinds of database servers (a process that dies and leaves them behind).
 */
final class ChildProcesses {
    private ChildProcesses() {
    }

    /**
     * {@code streams BOOTSTRAP STATE_DIR} or {@code control BOOTSTRAP DATA_DIR [key=value ...]} (control-API settings
     * over the defaults, e.g. reshard throttles; {@code control-failover} also runs failovers and switchovers);
     * prints {@code READY [port]}. {@code iceberg-sink BOOTSTRAP DIR key=value ...} runs an Iceberg sink with those
     * settings and prints {@code READY}. {@code servers - DIR} starts what
     * {@link #startServers} does and prints {@code READY}.
     */
    public static void main(String[] args) throws Exception {
        // a child never outlives the test JVM that started it (a failed or killed test run must not leave a control
        // API or stream processors running on the machine)
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        String bootstrap = args[1];
        Path dir = Path.of(args[2]);
        if (args[0].equals("servers")) {
            startServers(dir);
            System.out.println("READY");
            System.out.flush();
            Thread.currentThread().join();
        }
        if (args[0].equals("iceberg-sink")) {
            // the sink as `fleetshard run iceberg-sink` runs it: its settings as key=value, Kafka from the arguments
            Map<String, String> settings = new java.util.HashMap<>();
            for (int i = 3; i < args.length; i++) {
                int eq = args[i].indexOf('=');
                settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
            }
            settings.put(io.fleetshard.iceberg.IcebergSinkConfig.Key.BOOTSTRAP_SERVERS.key(), bootstrap);
            io.fleetshard.iceberg.IcebergSink.open(io.fleetshard.iceberg.IcebergSinkConfig.fromMap(settings)).start();
            System.out.println("READY");
            System.out.flush();
            Thread.currentThread().join();
        }
        ShardMapLogConfig log = ShardMapLogConfig.defaults(bootstrap);
        ShardMapFollower follower = ShardMapFollower.start(log, dir.resolve("map-" + ProcessHandle.current().pid()
                + ".json"));
        if (args[0].equals("streams")) {
            StreamProcessors.start(bootstrap, follower, dir, new SimpleMeterRegistry(), 5_000);
            System.out.println("READY");
        } else {
            // tried again for up to a minute while Kafka does not answer, as `fleetshard run` does: a child started
            // while the machine is overloaded waited out its 10 s map topic check and exited (OnlineReshardIT, load 40)
            ShardMapWriter writer = RunCommand.whileKafkaDoesNotAnswer("control API", 60_000,
                    () -> ShardMapWriter.open(log, follower));
            // as the platform's own (DevPlatform.newControlApi): probes as the router's role, reshards as superuser
            Map<String, String> settings = new java.util.HashMap<>(Map.of(ControlApiConfig.HTTP_PORT, "0",
                    ControlApiConfig.PROBE_USER, FleetSchema.DEFAULT_APP_ROLE,
                    ControlApiConfig.RESHARD_PG_USER, "postgres", ControlApiConfig.RESHARD_MYSQL_USER, "root"));
            for (int i = 3; i < args.length; i++) {
                int eq = args[i].indexOf('=');
                settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
            }
            ControlApiConfig config = ControlApiConfig.from(settings);
            ControlApi api = new ControlApi(config, follower, writer, Clock.systemUTC()).start();
            api.enableResharding(bootstrap, "fleetshard.shardlog.");
            if (args[0].equals("control-failover")) {
                api.enableFailover(bootstrap);
            }
            System.out.println("READY " + api.port());
        }
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Servers as the dev platform runs them: {@code pg} (with a synchronous replica {@code pg-replica}) and {@code maria}. */
    static List<AutoCloseable> startServers(Path dir) {
        CompletableFuture<MariaDbNode> maria = CompletableFuture.supplyAsync(() -> MariaDbNode.start(dir.resolve("maria")));
        PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
        PostgresNode replica = pg.startReplica(dir.resolve("pg-replica"), "pg_replica", true);
        return List.of(maria.join(), replica, pg);
    }

    /** A started child and the first word after READY (the control API's port), once it printed READY. */
    record Child(Process process, String readyArg) {
        /** SIGKILL: no shutdown hook, no graceful close. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    static Child start(String kind, String bootstrap, Path dir) throws IOException {
        return start(kind, bootstrap, dir, Map.of());
    }

    /** A child whose control API runs with {@code settings} ({@code control.*} keys) over the defaults. */
    static Child start(String kind, String bootstrap, Path dir, Map<String, String> settings) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only: a child lives for seconds, and its start (class loading, JIT) competes for the 2 cores with the platform's
        // work; a READY took 2.2-2.9 s with the default tiers and 1.6-2.3 s with C1 alone (rounds 2-3 of a side-by-side run)
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", System.getProperty("java.class.path"),
                ChildProcesses.class.getName(), kind, bootstrap, dir.toString()));
        new TreeMap<>(settings).forEach((k, v) -> command.add(k + "=" + v));
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        // the child's log, for a failure's post-mortem: appended, as a restarted child shares its predecessor's dir
        Writer log = Files.newBufferedWriter(dir.resolve("child-output.log"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (log) {
                log.write("---- child " + kind + " pid " + p.pid() + " " + settings + "\n");
                for (String line; (line = out.readLine()) != null; ) {
                    log.write(line);
                    log.write('\n');
                    log.flush();
                    if (line.startsWith("READY")) {
                        ready.complete(line.length() > 6 ? line.substring(6).trim() : "");
                    }
                }
            } catch (IOException e) {
                // the child died
            }
            ready.complete(null);
        }, "child-" + kind + "-output");
        reader.setDaemon(true);
        reader.start();
        String arg;
        try {
            arg = ready.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("child " + kind + " did not get ready: " + e, e);
        }
        if (arg == null) { // its output ended: it is exiting (or has closed its stdout); say how, not "still running"
            String how;
            try {
                how = p.waitFor(30, TimeUnit.SECONDS) ? "exited with " + p.exitValue() : "closed its output";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                how = "closed its output";
            }
            p.destroyForcibly();
            throw new IllegalStateException("child " + kind + " " + how + " before it was ready; its output is in "
                    + dir.resolve("child-output.log"));
        }
        return new Child(p, arg);
    }
}
