package io.fleetshard.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code threads} workers each run one operation after another for a fixed time, after a warm-up;
 * every latency is kept (bounded per thread) for exact percentiles.
 */
final class LoadRun {
    /** One request; throws on failure. */
    @FunctionalInterface
    interface Operation {
        void run(int thread, long sequence) throws Exception;
    }

    /** Result of a run. */
    record Result(String name, long requests, long errors, double seconds, long p50Ns, long p99Ns, long p999Ns,
            CpuMeter.PerRequest cpu) {
        double throughput() {
            return requests / seconds;
        }

        @Override
        public String toString() {
            return String.format("%-14s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  (%d requests, %d errors)",
                    name, throughput(), p50Ns / 1e6, p99Ns / 1e6, p999Ns / 1e6, requests, errors)
                    + (cpu == null ? "" : "\n" + " ".repeat(15) + cpu);
        }
    }

    private LoadRun() {
    }

    static Result run(String name, int threads, long warmupMs, long measureMs, Operation op)
            throws InterruptedException {
        return run(name, threads, warmupMs, measureMs, op, null);
    }

    /** As {@link #run(String, int, long, long, Operation)}, with the CPU of the measured window per request. */
    static Result run(String name, int threads, long warmupMs, long measureMs, Operation op, CpuMeter meter)
            throws InterruptedException {
        int cap = 2_000_000 / threads;
        long[][] samples = new long[threads][cap];
        int[] counts = new int[threads];
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        long measureFrom = start + warmupMs * 1_000_000;
        long end = measureFrom + measureMs * 1_000_000;
        // with a CPU meter the workers go on briefly after the window: its last sample must find them alive (a thread's
        // CPU time is gone once it ends); only requests started within the window count
        long stop = meter == null ? end : end + 200_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                long seq = 0;
                try {
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= stop) {
                            break;
                        }
                        try {
                            op.run(id, seq++);
                        } catch (Exception e) {
                            if (t0 >= measureFrom && t0 < end) {
                                errors.incrementAndGet();
                            }
                            continue;
                        }
                        if (t0 >= measureFrom && t0 < end && counts[id] < cap) {
                            samples[id][counts[id]++] = System.nanoTime() - t0;
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, CpuMeter.DRIVER_PREFIX + name + "-" + t);
            workers.add(w);
            w.start();
        }
        // the CPU of the measured window: sampled at its start and end, while the workers still live (a thread's
        // time is lost when it ends)
        CpuMeter.Sample cpuBefore = null;
        CpuMeter.Sample cpuAfter = null;
        if (meter != null) {
            parkUntil(measureFrom);
            cpuBefore = meter.sample();
            parkUntil(end);
            cpuAfter = meter.sample();
        }
        done.await();
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(samples[t], 0, all, k, counts[t]);
            k += counts[t];
        }
        Arrays.sort(all);
        return new Result(name, total, errors.get(), measureMs / 1000.0, pct(all, 0.50), pct(all, 0.99),
                pct(all, 0.999), cpuAfter == null ? null : cpuAfter.since(cpuBefore, total));
    }

    private static void parkUntil(long nanoTime) {
        for (long now = System.nanoTime(); now < nanoTime; now = System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(nanoTime - now);
        }
    }

    private static long pct(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }
}
