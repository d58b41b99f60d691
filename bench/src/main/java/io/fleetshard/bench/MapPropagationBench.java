package io.fleetshard.bench;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Map propagation: from the start of a control-API map commit to the moment a router's follower (a separate
 * follower, as a router process has) has applied it. Runs {@code n} one-fleet commits on an embedded broker.
 */
public final class MapPropagationBench {
    private MapPropagationBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        Path dir = Files.createTempDirectory("fleetshard-bench-map");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            ShardMapLogConfig log = ShardMapLogConfig.defaults(kafka.bootstrapServers());
            try (ShardMapFollower controlFollower = ShardMapFollower.start(log, null);
                    ShardMapWriter writer = ShardMapWriter.open(log, controlFollower);
                    ShardMapFollower routerFollower = ShardMapFollower.start(log, null)) {
                ConcurrentHashMap<Long, CountDownLatch> waiting = new ConcurrentHashMap<>();
                routerFollower.addListener(s -> {
                    CountDownLatch l = waiting.remove(s.version());
                    if (l != null) {
                        l.countDown();
                    }
                });
                long v = writer.commit(0, List.of(new Tenant("bench", DurabilityTier.STANDARD)), List.of());
                routerFollower.awaitVersion(v, Duration.ofSeconds(30));
                long[] commitNs = new long[n];
                long[] propagateNs = new long[n];
                for (int i = 0; i < n; i++) {
                    CountDownLatch applied = new CountDownLatch(1);
                    waiting.put(v + 1, applied);
                    long t0 = System.nanoTime();
                    v = writer.commit(v, List.of(new Fleet("bench", "fleet-" + i, null)), List.of());
                    long t1 = System.nanoTime();
                    if (!applied.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("router follower did not apply version " + v);
                    }
                    long t2 = System.nanoTime();
                    commitNs[i] = t1 - t0;
                    propagateNs[i] = t2 - t0;
                }
                report("commit (control API, incl. its own follower)", commitNs);
                report("commit -> router applied", propagateNs);
            }
        }
        System.exit(0);
    }

    private static void report(String what, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        System.out.printf("%-46s n=%d p50 %.1f ms  p99 %.1f ms  max %.1f ms%n", what, s.length,
                s[s.length / 2] / 1e6, s[(int) (s.length * 0.99)] / 1e6, s[s.length - 1] / 1e6);
    }
}
