package io.fleetshard.launcher;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.fleetshard.streams.DeltaSyncConfig;
import io.fleetshard.streams.DeltaSyncService;
import io.fleetshard.streams.DeltaSyncSpec;
import io.fleetshard.streams.HotFleetConfig;
import io.fleetshard.streams.HotFleetDetector;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code stream-processors} of {@code fleetshard dev}: the resharding delta sync, following the shard map so that
 * every job in {@code catchup} or {@code cutover} has its Kafka Streams app (ADR 0013), and the hot-fleet detector.
 */
final class DevStreamProcessors implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DevStreamProcessors.class);

    private final ShardMapSource map;
    private final DeltaSyncService deltaSync;
    private final HotFleetDetector hotFleets;
    private final ExecutorService reconciler = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "dev-delta-sync-reconcile");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private DevStreamProcessors(ShardMapSource map, DeltaSyncService deltaSync, HotFleetDetector hotFleets) {
        this.map = map;
        this.deltaSync = deltaSync;
        this.hotFleets = hotFleets;
    }

    static DevStreamProcessors start(String bootstrapServers, ShardMapSource map, Path stateDir, MeterRegistry registry,
            long hotFleetThreshold) {
        DeltaSyncService deltaSync = new DeltaSyncService(DeltaSyncConfig.builder(bootstrapServers)
                .set(DeltaSyncConfig.Key.STATE_DIR, stateDir.resolve("delta-sync").toString()).build(), registry,
                Clock.systemUTC());
        HotFleetDetector hot = new HotFleetDetector(HotFleetConfig.builder(bootstrapServers)
                .set(HotFleetConfig.Key.STATE_DIR, stateDir.resolve("hot-fleets").toString())
                .set(HotFleetConfig.Key.THRESHOLD, hotFleetThreshold).build());
        hot.start();
        DevStreamProcessors p = new DevStreamProcessors(map, deltaSync, hot);
        map.addListener(snapshot -> p.reconcileLater());
        p.reconcileLater();
        return p;
    }

    private void reconcileLater() {
        if (closed) {
            return;
        }
        reconciler.execute(() -> {
            try {
                deltaSync.reconcile(wanted(map.current()));
            } catch (RuntimeException e) {
                LOG.warn("delta sync reconcile failed: {}", e.toString());
            }
        });
    }

    /** A delta sync per job in catchup or cutover that moves rows, to the target's primary as its admin user. */
    static List<DeltaSyncSpec> wanted(ShardMapSnapshot snapshot) {
        List<DeltaSyncSpec> out = new ArrayList<>();
        for (ReshardJob job : snapshot.reshards()) {
            if ((job.phase() != ReshardPhase.CATCHUP && job.phase() != ReshardPhase.CUTOVER) || job.fleets().isEmpty()
                    || job.startOffset() < 0) {
                continue;
            }
            Optional<Node> primary = snapshot.primaryOf(job.targetShardId());
            Optional<Engine> engine = snapshot.shard(job.targetShardId()).map(Shard::engine);
            if (primary.isEmpty() || engine.isEmpty()) {
                continue;
            }
            out.add(new DeltaSyncSpec(job.jobId(), job.sourceShardId(), job.startOffset(), new HashSet<>(job.fleets()),
                    withUser(primary.get().jdbcUrl(), engine.get() == Engine.POSTGRES ? "postgres" : "root")));
        }
        return out;
    }

    private static String withUser(String jdbcUrl, String user) {
        return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "user=" + user;
    }

    /**
     * Waits until the hot-fleet detector has finished its first rebalance and runs. Kafka Streams cannot close while
     * that rebalance is in progress (the stream thread is inside the group join, creating internal topics): a close
     * then waits out its whole timeout. Returns false, without failing, if it does not get there in time.
     */
    boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (hotFleets.state() != KafkaStreams.State.RUNNING) {
            if (!hotFleets.state().isRunningOrRebalancing() || System.nanoTime() - deadline >= 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        reconciler.shutdownNow();
        try {
            reconciler.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deltaSync.close();
        hotFleets.close();
    }
}
