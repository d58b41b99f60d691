package io.fleetshard.launcher;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapFollower;
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
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code stream-processors}, in {@code fleetshard dev} and {@code fleetshard run stream-processors}: the resharding
 * delta sync, following the shard map so that every job in {@code catchup} or {@code cutover} has its Kafka Streams
 * app (ADR 0013), writing to each job's target primary as the resharder's database user, and the hot-fleet detector.
 */
final class StreamProcessors implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamProcessors.class);

    /** The database users the delta sync writes to target primaries as, per engine family. */
    record TargetLogins(String postgresUser, String postgresPassword, String mysqlUser, String mysqlPassword) {
        /** {@code fleetshard dev}'s embedded servers: their superusers, no password. */
        static final TargetLogins DEV = new TargetLogins("postgres", "", "root", "");

        String urlFor(String jdbcUrl, Engine engine) {
            boolean pg = engine == Engine.POSTGRES;
            String user = pg ? postgresUser : mysqlUser;
            String password = pg ? postgresPassword : mysqlPassword;
            if (user == null || user.isEmpty()) { // the node URL's own credentials, as the control API's resharder
                return jdbcUrl;
            }
            String url = jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "user=" + encode(user);
            return password == null || password.isEmpty() ? url : url + "&password=" + encode(password);
        }

        private static String encode(String s) {
            return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public String toString() { // never the passwords
            return "TargetLogins[postgres=" + postgresUser + ", mysql=" + mysqlUser + "]";
        }
    }

    /** How long one reconcile waits for the map to catch up with its log before it tries again. */
    private static final Duration CATCH_UP_WAIT = Duration.ofSeconds(5);

    /** What a reconcile reads of the shard map: {@link ShardMapFollower}'s view (a fake in tests). */
    interface FollowedMap {
        ShardMapSnapshot current();

        boolean hasCaughtUp();

        boolean awaitCaughtUp(Duration timeout);
    }

    /** What a reconcile drives: {@link DeltaSyncService}'s Kafka Streams apps (a fake in tests). */
    interface DeltaSyncs {
        void reconcile(Collection<DeltaSyncSpec> wanted, Set<String> held);

        void forgetFinished(Collection<String> jobIds);
    }

    /** One reconcile of the delta syncs with the map; {@link StreamProcessors} runs it on every map change. */
    static final class Reconcile {
        private final FollowedMap map;
        private final TargetLogins logins;
        private final DeltaSyncs deltaSyncs;

        Reconcile(FollowedMap map, TargetLogins logins, DeltaSyncs deltaSyncs) {
            this.map = map;
            this.logins = logins;
            this.deltaSyncs = deltaSyncs;
        }

        /**
         * Reconciles on the map once it has caught up with its log, waiting at most {@code catchUpWait}; returns false,
         * having changed nothing, if it has not.
         */
        boolean once(Duration catchUpWait) {
            // Only on the latest map: a stale one (the local snapshot file at a restart, or the log read part way)
            // can still show a finished job in catch-up, and its delta sync would apply the source's old changes
            // over the rows the application has written on the target since the cutover.
            if (!map.hasCaughtUp() && !map.awaitCaughtUp(catchUpWait)) {
                return false;
            }
            ShardMapSnapshot current = map.current();
            deltaSyncs.reconcile(wanted(current, logins), held(current));
            deltaSyncs.forgetFinished(current.reshards().stream().filter(j -> j.phase().isTerminal())
                    .map(ReshardJob::jobId).toList());
            return true;
        }
    }

    private final Reconcile reconcile;
    private final DeltaSyncService deltaSync;
    private final HotFleetDetector hotFleets;
    private final ScheduledExecutorService reconciler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dev-delta-sync-reconcile");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private StreamProcessors(ShardMapFollower map, TargetLogins logins, DeltaSyncService deltaSync,
            HotFleetDetector hotFleets) {
        this.deltaSync = deltaSync;
        this.reconcile = new Reconcile(new FollowedMap() {
            @Override
            public ShardMapSnapshot current() {
                return map.current();
            }

            @Override
            public boolean hasCaughtUp() {
                return map.hasCaughtUp();
            }

            @Override
            public boolean awaitCaughtUp(Duration timeout) {
                return map.awaitCaughtUp(timeout);
            }
        }, logins, new DeltaSyncs() {
            @Override
            public void reconcile(Collection<DeltaSyncSpec> wanted, Set<String> held) {
                deltaSync.reconcile(wanted, held);
            }

            @Override
            public void forgetFinished(Collection<String> jobIds) {
                deltaSync.forgetFinished(jobIds);
            }
        });
        this.hotFleets = hotFleets;
    }

    /** {@code fleetshard dev}'s: state under {@code stateDir}, the embedded servers' superusers. */
    static StreamProcessors start(String bootstrapServers, ShardMapFollower map, Path stateDir, MeterRegistry registry,
            long hotFleetThreshold) {
        return start(DeltaSyncConfig.builder(bootstrapServers)
                .set(DeltaSyncConfig.Key.STATE_DIR, stateDir.resolve("delta-sync").toString()).build(),
                HotFleetConfig.builder(bootstrapServers)
                        .set(HotFleetConfig.Key.STATE_DIR, stateDir.resolve("hot-fleets").toString())
                        .set(HotFleetConfig.Key.THRESHOLD, hotFleetThreshold).build(), TargetLogins.DEV, map, registry);
    }

    static StreamProcessors start(DeltaSyncConfig deltaSyncConfig, HotFleetConfig hotFleetConfig, TargetLogins logins,
            ShardMapFollower map, MeterRegistry registry) {
        DeltaSyncService deltaSync = new DeltaSyncService(deltaSyncConfig, registry, Clock.systemUTC());
        HotFleetDetector hot = new HotFleetDetector(hotFleetConfig);
        hot.start();
        StreamProcessors p = new StreamProcessors(map, logins, deltaSync, hot);
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
                if (!reconcile.once(CATCH_UP_WAIT)) {
                    LOG.warn("delta sync reconcile waits: the shard map has not caught up with its log within {} ms",
                            CATCH_UP_WAIT.toMillis());
                    if (!closed) {
                        reconciler.schedule(this::reconcileLater, CATCH_UP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("delta sync reconcile failed: {}", e.toString());
            }
        });
    }

    /**
     * A delta sync per job in catchup or cutover that moves rows, to the target's primary as {@code logins} say; and
     * one per job still in precopy whose start offset is recorded, which {@link #held} keeps paused until the copy
     * ends, so that its start-up overlaps the copy (ADR 0030).
     */
    static List<DeltaSyncSpec> wanted(ShardMapSnapshot snapshot, TargetLogins logins) {
        List<DeltaSyncSpec> out = new ArrayList<>();
        for (ReshardJob job : snapshot.reshards()) {
            if ((job.phase() != ReshardPhase.PRECOPY && job.phase() != ReshardPhase.CATCHUP
                    && job.phase() != ReshardPhase.CUTOVER) || job.fleets().isEmpty() || job.startOffset() < 0) {
                continue;
            }
            Optional<Node> primary = snapshot.primaryOf(job.targetShardId());
            Optional<Engine> engine = snapshot.shard(job.targetShardId()).map(Shard::engine);
            if (primary.isEmpty() || engine.isEmpty()) {
                continue;
            }
            out.add(new DeltaSyncSpec(job.jobId(), job.sourceShardId(), job.startOffset(), new HashSet<>(job.fleets()),
                    logins.urlFor(primary.get().jdbcUrl(), engine.get())));
        }
        return out;
    }

    /** The jobs whose delta sync runs paused: those in precopy (a change applied under the copy could be lost). */
    static Set<String> held(ShardMapSnapshot snapshot) {
        Set<String> out = new HashSet<>();
        for (ReshardJob job : snapshot.reshards()) {
            if (job.phase() == ReshardPhase.PRECOPY) {
                out.add(job.jobId());
            }
        }
        return out;
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
