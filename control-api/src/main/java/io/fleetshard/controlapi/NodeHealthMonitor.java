package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every node of the current map once per round and keeps the latest {@link NodeHealth} of each, for the shard
 * endpoints and the node gauges. Rounds run on the caller's schedule (never on a request thread); a request only
 * reads the last round's immutable results.
 *
 * <p>Warm standbys (role {@code standby}) are separate databases: besides the probe, each round reads their
 * {@code fleetshard_standby_position} row ({@link StandbyPositionReader}), for {@code GET /v1/shards/{id}/standby}, the
 * standby's lag in the node view and the {@code fleetshard.standby.applied.lag.ms} gauge. Once an archive is attached
 * ({@link #attachArchive}), each round also reads the newest manifest of every shard's archive ({@link ArchiveHead}),
 * for the archive's side of that endpoint and the {@code fleetshard.archive.manifests.behind} gauge.
 *
 * <p>A round reads standby positions first, archive heads second, probes replicas third and primaries last, so every
 * position is read before the positions it is compared with further along the chain (standby, archive, primary): a
 * distance between them is then never less than the true one at the moment the earlier was read (it errs on the side
 * of "more behind", which is the safe side for bounded-staleness reads and recovery points).
 */
final class NodeHealthMonitor {
    private final java.util.concurrent.atomic.AtomicLong roundsDone = new java.util.concurrent.atomic.AtomicLong();
    private static final Logger LOG = LoggerFactory.getLogger(NodeHealthMonitor.class);

    private final ShardMapSource source;
    private final NodeProbe probe;
    private final Clock clock;
    private final ExecutorService probePool;
    private final int failuresBeforeDown;
    private final Duration roundPhaseTimeout;
    private final MeterRegistry registry;
    private final MultiGauge upGauge;
    private final MultiGauge lagMsGauge;
    private final MultiGauge lagBytesGauge;
    private final MultiGauge failuresGauge;
    private final MultiGauge semiSyncGauge;
    private final MultiGauge standbyLagGauge;
    private final MultiGauge manifestsBehindGauge;
    private final StandbyPositionReader standbyReader;
    private final GaugeScrapeLock scrapeLock;
    private volatile ArchiveHead archiveHead;
    private volatile Map<String, NodeHealth> health = Map.of();
    private volatile Map<String, StandbyStatus> standbys = Map.of();
    private volatile Map<String, ArchiveStatus> archives = Map.of();

    NodeHealthMonitor(ShardMapSource source, NodeProbe probe, StandbyPositionReader standbyReader, Clock clock,
            ExecutorService probePool, Duration probeTimeout, int failuresBeforeDown, MeterRegistry registry,
            GaugeScrapeLock scrapeLock) {
        this.source = source;
        this.scrapeLock = Objects.requireNonNull(scrapeLock, "scrapeLock");
        this.probe = probe;
        this.standbyReader = standbyReader;
        this.clock = clock;
        this.probePool = probePool;
        this.failuresBeforeDown = failuresBeforeDown;
        // connect, login and query may each take up to the probe timeout; past that a probe is reported as hung
        this.roundPhaseTimeout = probeTimeout.multipliedBy(4);
        this.registry = registry;
        this.upGauge = MultiGauge.builder("fleetshard.node.up")
                .description("1 if the last probe of the node succeeded, else 0").register(registry);
        this.lagMsGauge = MultiGauge.builder("fleetshard.node.replication.lag.ms")
                .description("How far a replica's data is behind its primary, in milliseconds (where known)")
                .register(registry);
        this.lagBytesGauge = MultiGauge.builder("fleetshard.node.replication.lag.bytes")
                .description("WAL bytes a PostgreSQL replica has not replayed yet (where known)").register(registry);
        this.failuresGauge = MultiGauge.builder("fleetshard.node.probe.consecutive.failures")
                .description("Probes of the node that failed in a row").register(registry);
        this.semiSyncGauge = MultiGauge.builder("fleetshard.node.semisync.on")
                .description("MariaDB primaries with semi-synchronous replication enabled: 1 while a replica"
                        + " acknowledges commits, 0 after the primary fell back to asynchronous (RPO 0 lost);"
                        + " as its last successful probe found it").register(registry);
        this.standbyLagGauge = MultiGauge.builder("fleetshard.standby.applied.lag.ms")
                .description("Now minus the source commit time of the last change a warm standby applied (an upper"
                        + " bound of its lag when the primary is idle); absent while its position cannot be read")
                .register(registry);
        this.manifestsBehindGauge = MultiGauge.builder("fleetshard.archive.manifests.behind")
                .description("Manifests of the shard's archive a warm standby has not applied yet; absent while the"
                        + " standby's position or the archive cannot be read")
                .register(registry);
    }

    /**
     * From the next round on, also reads the newest manifest of every shard's archive through {@code head}. May be
     * called while rounds run (the launcher starts the archive after the control API).
     */
    void attachArchive(ArchiveHead head) {
        this.archiveHead = Objects.requireNonNull(head, "head");
    }

    /** Whether an archive is attached: if not, the standby endpoint reports no archive at all. */
    boolean archiveAttached() {
        return archiveHead != null;
    }

    /** The shard's archive after the last round; null if no archive is attached or the shard was not read yet. */
    ArchiveStatus archive(String shardId) {
        return archives.get(shardId);
    }

    /** The node's health after the last round; {@link NodeHealth#UNKNOWN} if it was not probed yet. */
    NodeHealth health(String nodeId) {
        return health.getOrDefault(nodeId, NodeHealth.UNKNOWN);
    }

    /** The standby's position after the last round; null if it is not a standby or was not read yet. */
    StandbyStatus standby(String nodeId) {
        return standbys.get(nodeId);
    }

    /** Rounds finished so far (tests wait for the start-up round with it). */
    long roundsDone() {
        return roundsDone.get();
    }

    /** One round for a scheduler: never throws, so the schedule keeps running. */
    void probeRoundSafely() {
        try {
            probeRound();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RejectedExecutionException e) {
            if (!probePool.isShutdown()) {
                LOG.error("node health round failed; the next round runs as scheduled", e);
            } // else the control API is stopping: the round under way ends here
        } catch (RuntimeException e) {
            LOG.error("node health round failed; the next round runs as scheduled", e);
        }
    }

    /** Probes every node of the current map once and publishes the results. Blocks until the round is over. */
    void probeRound() throws InterruptedException {
        try {
            probeRoundOnce();
        } finally {
            roundsDone.incrementAndGet();
        }
    }

    private void probeRoundOnce() throws InterruptedException {
        ShardMapSnapshot map = source.current();
        List<Node> replicas = new ArrayList<>();
        List<Node> primaries = new ArrayList<>();
        for (Node n : map.nodes()) {
            if (map.shard(n.shardId()).isEmpty()) {
                continue; // a node of an unknown shard has no engine to probe with
            }
            (n.role() == NodeRole.PRIMARY ? primaries : replicas).add(n);
        }
        // standby positions first, then replicas, then primaries: each distance to a primary is read after the node's
        // own position, so it is never less than the true lag
        List<Node> standbyNodes = replicas.stream().filter(n -> n.role() == NodeRole.STANDBY).toList();
        Map<String, StandbyReading> readings = runAll(standbyNodes, map, standbyReader::read, StandbyReading::failed);
        Instant readAt = clock.instant();
        ArchiveHead head = archiveHead;
        Map<String, ArchiveStatus> heads = head == null ? Map.of() : readArchives(head, map);
        Map<String, ProbeResult> results = new HashMap<>(runAll(replicas, map, this::timed, this::timedOut));
        results.putAll(runAll(primaries, map, this::timed, this::timedOut));

        Map<String, StandbyStatus> nextStandbys = new HashMap<>();
        for (Map.Entry<String, StandbyReading> e : readings.entrySet()) {
            Node node = map.node(e.getKey()).orElseThrow();
            nextStandbys.put(node.nodeId(), new StandbyStatus(e.getValue(), readAt,
                    behindBytes(map, node, e.getValue(), results)));
        }
        standbys = Map.copyOf(nextStandbys);
        Map<String, ArchiveStatus> nextArchives = new HashMap<>();
        for (Map.Entry<String, ArchiveStatus> e : heads.entrySet()) {
            ArchiveStatus a = e.getValue();
            Long bytes = a.latest() == null ? null : walBehind(map, e.getKey(), a.latest().lastPosition(), results);
            nextArchives.put(e.getKey(), new ArchiveStatus(a.latest(), a.error(), a.readAt(), bytes));
        }
        archives = Map.copyOf(nextArchives);

        Instant now = clock.instant();
        Map<String, NodeHealth> previous = health;
        Map<String, NodeHealth> next = new HashMap<>();
        for (Map.Entry<String, ProbeResult> e : results.entrySet()) {
            Node node = map.node(e.getKey()).orElseThrow();
            NodeHealth before = previous.getOrDefault(node.nodeId(), NodeHealth.UNKNOWN);
            Lag lag = node.role() == NodeRole.STANDBY ? standbyLag(nextStandbys.get(node.nodeId()), now)
                    : lag(map, node, results);
            NodeHealth after = next(before, e.getValue(), lag, now);
            next.put(node.nodeId(), after);
            if (before.status() != after.status()) {
                logTransition(node, before, after);
            }
            logSemiSync(node, before, after);
        }
        health = Map.copyOf(next);
        // whole, between two scrapes: a scrape never sees a gauge's rows half replaced (GaugeScrapeLock)
        scrapeLock.publish(() -> {
            publishGauges(map, next);
            publishStandbyGauges(map, nextStandbys);
            publishArchiveGauges(map, nextStandbys, nextArchives);
        });
    }

    /** The newest manifest of every shard's archive, read on the probe pool and bounded like a probe. */
    private Map<String, ArchiveStatus> readArchives(ArchiveHead head, ShardMapSnapshot map)
            throws InterruptedException {
        Map<String, Callable<ArchiveStatus>> tasks = new LinkedHashMap<>();
        for (Shard shard : map.shards()) {
            String shardId = shard.shardId();
            tasks.put(shardId, () -> {
                try {
                    LatestManifest latest = head.latest(shardId).orElse(null);
                    return new ArchiveStatus(latest, null, clock.instant(), null);
                } catch (RuntimeException e) {
                    LOG.debug("archive of shard {} could not be read", shardId, e);
                    return ArchiveStatus.failed(e.getMessage() == null ? e.getClass().getSimpleName()
                            : e.getMessage(), clock.instant());
                }
            });
        }
        return invokeAll(tasks, "archive read", error -> ArchiveStatus.failed(error, clock.instant()));
    }

    /** Runs {@code task} for every node on the probe pool, bounded by the phase timeout. */
    private <T> Map<String, T> runAll(List<Node> nodes, ShardMapSnapshot map, BiFunction<Node, Engine, T> task,
            Function<String, T> failed) throws InterruptedException {
        Map<String, Callable<T>> tasks = new LinkedHashMap<>();
        for (Node n : nodes) {
            Engine engine = map.shard(n.shardId()).map(Shard::engine).orElseThrow();
            tasks.put(n.nodeId(), () -> task.apply(n, engine));
        }
        return invokeAll(tasks, "probe", failed);
    }

    /** Runs the tasks on the probe pool, bounded by the phase timeout; results by the tasks' keys. */
    private <T> Map<String, T> invokeAll(Map<String, Callable<T>> tasks, String what, Function<String, T> failed)
            throws InterruptedException {
        if (tasks.isEmpty()) {
            return Map.of();
        }
        List<String> keys = new ArrayList<>(tasks.keySet());
        List<Future<T>> futures = probePool.invokeAll(new ArrayList<>(tasks.values()), roundPhaseTimeout.toMillis(),
                TimeUnit.MILLISECONDS);
        Map<String, T> out = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            out.put(keys.get(i), resultOf(futures.get(i), what, failed));
        }
        return out;
    }

    private ProbeResult timedOut(String error) {
        return ProbeResult.failed(error, roundPhaseTimeout.toMillis());
    }

    private ProbeResult timed(Node node, Engine engine) {
        long start = System.nanoTime();
        ProbeResult r = probe.probe(node, engine);
        Timer.builder("fleetshard.control.node.probe")
                .description("Duration of node health probes")
                .tags("engine", engine.wireName(), "outcome", r.ok() ? "up" : "failed")
                .register(registry)
                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return r;
    }

    private <T> T resultOf(Future<T> f, String what, Function<String, T> failed) throws InterruptedException {
        try {
            return f.get();
        } catch (CancellationException e) {
            return failed.apply(what + " did not finish within " + roundPhaseTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return failed.apply(what + " failed: " + e.getCause());
        }
    }

    /** Replication lag of a replica; either part null when not known (or not a replica). */
    private record Lag(Long ms, Long bytes) {
        static final Lag UNKNOWN = new Lag(null, null);
    }

    private static Lag lag(ShardMapSnapshot map, Node node, Map<String, ProbeResult> results) {
        ProbeResult r = results.get(node.nodeId());
        if (node.role() == NodeRole.PRIMARY || !r.ok()) {
            return Lag.UNKNOWN;
        }
        if (r.reportedLagMs() != null) {
            return new Lag(r.reportedLagMs(), null);
        }
        ProbeResult primary = map.primaryOf(node.shardId()).map(p -> results.get(p.nodeId())).orElse(null);
        if (r.walPosition() == null || primary == null || !primary.ok() || primary.walPosition() == null
                || Boolean.TRUE.equals(primary.inRecovery())) {
            return Lag.UNKNOWN;
        }
        long bytes = primary.walPosition().bytesAfter(r.walPosition());
        // caught up: no lag in time either; behind: the age of the last transaction it replayed (an upper bound when
        // the primary was idle before the WAL the replica is missing)
        Long ms = bytes == 0 ? Long.valueOf(0) : r.replayAgeMs();
        return new Lag(ms, bytes);
    }

    /**
     * PostgreSQL: WAL bytes from the standby's last applied LSN to its primary's current LSN of this round (what
     * {@code pg_wal_lsn_diff(pg_current_wal_lsn(), last_position)} on the primary answers); null when unknown.
     */
    private static Long behindBytes(ShardMapSnapshot map, Node standby, StandbyReading reading,
            Map<String, ProbeResult> results) {
        return reading.ok() ? walBehind(map, standby.shardId(), reading.position().lastPosition(), results) : null;
    }

    /**
     * PostgreSQL shards: WAL bytes from {@code lastPosition} (an LSN read earlier in the round) to the shard primary's
     * current LSN of this round; null for other engines, while the primary cannot be probed, or for a position that
     * is not an LSN. The same distance for a standby's applied position and the archive's newest one.
     */
    private static Long walBehind(ShardMapSnapshot map, String shardId, String lastPosition,
            Map<String, ProbeResult> results) {
        Engine engine = map.shard(shardId).map(Shard::engine).orElse(null);
        if (engine != Engine.POSTGRES) {
            return null;
        }
        ProbeResult primary = map.primaryOf(shardId).map(p -> results.get(p.nodeId())).orElse(null);
        if (primary == null || !primary.ok() || primary.walPosition() == null
                || Boolean.TRUE.equals(primary.inRecovery())) {
            return null;
        }
        try {
            return primary.walPosition().bytesAfter(PgLsn.parse(lastPosition));
        } catch (IllegalArgumentException e) {
            return null; // reported as is in lastPosition; not a distance
        }
    }

    /** A standby's lag in the node view: its applied lag and WAL distance (its own WAL is another server's). */
    private static Lag standbyLag(StandbyStatus status, Instant now) {
        return status == null ? Lag.UNKNOWN : new Lag(status.appliedLagMs(now.toEpochMilli()), status.behindBytes());
    }

    private NodeHealth next(NodeHealth before, ProbeResult r, Lag lag, Instant now) {
        if (r.ok()) {
            ProbeResult.SemiSync semiSync = r.semiSync();
            Instant offSince = semiSync == null || semiSync.on() ? null
                    : before.semiSyncOffSince() != null ? before.semiSyncOffSince() : now;
            return new NodeHealth(HealthStatus.UP, now, now, 0, null, r.latencyMs(), lag.ms(), lag.bytes(), semiSync,
                    offSince);
        }
        int failures = before.consecutiveFailures() + 1;
        HealthStatus status = failures >= failuresBeforeDown ? HealthStatus.DOWN : HealthStatus.SUSPECT;
        return new NodeHealth(status, now, before.lastSuccessAt(), failures, r.error(), r.latencyMs(), null, null,
                before.semiSync(), before.semiSyncOffSince());
    }

    /** A MariaDB primary's semi-sync falling back to asynchronous, or coming back (ADR 0024): a WARN, an INFO. */
    private static void logSemiSync(Node node, NodeHealth before, NodeHealth after) {
        if (after.semiSyncFellBack() && !before.semiSyncFellBack()) {
            LOG.warn("primary {} of shard {}: semi-synchronous replication fell back to asynchronous (no replica"
                    + " acknowledged within rpl_semi_sync_master_timeout; {} commit(s) not acknowledged since start):"
                    + " a failover now may lose acknowledged writes", node.nodeId(), node.shardId(),
                    after.semiSync().asyncCommits());
        } else if (before.semiSyncFellBack() && after.semiSync() != null && after.semiSync().on()) {
            LOG.info("primary {} of shard {}: semi-synchronous replication is on again", node.nodeId(),
                    node.shardId());
        }
    }

    private void logTransition(Node node, NodeHealth before, NodeHealth after) {
        if (after.status() == HealthStatus.UP) {
            LOG.info("node {} ({} of shard {}) is up (was {})", node.nodeId(), node.role().wireName(), node.shardId(),
                    before.status().wireName());
        } else {
            LOG.warn("node {} ({} of shard {}) is {} after {} failed probe(s) (was {}): {}", node.nodeId(),
                    node.role().wireName(), node.shardId(), after.status().wireName(), after.consecutiveFailures(),
                    before.status().wireName(), after.lastError());
        }
    }

    private void publishStandbyGauges(ShardMapSnapshot map, Map<String, StandbyStatus> byNode) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Map.Entry<String, StandbyStatus> e : byNode.entrySet()) {
            StandbyStatus s = e.getValue();
            if (s.reading().ok()) {
                Node node = map.node(e.getKey()).orElseThrow();
                // evaluated at each scrape: the lag grows between rounds as it does in reality
                rows.add(MultiGauge.Row.of(Tags.of("shard", node.shardId(), "node", node.nodeId()), s,
                        st -> st.appliedLagMs(clock.millis())));
            }
        }
        standbyLagGauge.register(rows, true);
    }

    private void publishArchiveGauges(ShardMapSnapshot map, Map<String, StandbyStatus> byNode,
            Map<String, ArchiveStatus> byShard) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Map.Entry<String, StandbyStatus> e : byNode.entrySet()) {
            Node node = map.node(e.getKey()).orElseThrow();
            ArchiveStatus archive = byShard.get(node.shardId());
            Long behind = archive == null ? null : e.getValue().manifestsBehind(archive.latest());
            if (behind != null) {
                rows.add(MultiGauge.Row.of(Tags.of("shard", node.shardId(), "node", node.nodeId()), behind));
            }
        }
        manifestsBehindGauge.register(rows, true);
    }

    private void publishGauges(ShardMapSnapshot map, Map<String, NodeHealth> byNode) {
        List<MultiGauge.Row<?>> up = new ArrayList<>();
        List<MultiGauge.Row<?>> lagMs = new ArrayList<>();
        List<MultiGauge.Row<?>> lagBytes = new ArrayList<>();
        List<MultiGauge.Row<?>> failures = new ArrayList<>();
        List<MultiGauge.Row<?>> semiSync = new ArrayList<>();
        for (Map.Entry<String, NodeHealth> e : byNode.entrySet()) {
            Node node = map.node(e.getKey()).orElseThrow();
            NodeHealth h = e.getValue();
            Tags tags = Tags.of("shard", node.shardId(), "node", node.nodeId(), "role", node.role().wireName());
            up.add(MultiGauge.Row.of(tags, h.status() == HealthStatus.UP ? 1 : 0));
            failures.add(MultiGauge.Row.of(tags, h.consecutiveFailures()));
            if (h.replicationLagMs() != null) {
                lagMs.add(MultiGauge.Row.of(tags, h.replicationLagMs()));
            }
            if (h.replicationLagBytes() != null) {
                lagBytes.add(MultiGauge.Row.of(tags, h.replicationLagBytes()));
            }
            if (h.semiSync() != null) {
                semiSync.add(MultiGauge.Row.of(tags, h.semiSync().on() ? 1 : 0));
            }
        }
        upGauge.register(up, true);
        lagMsGauge.register(lagMs, true);
        lagBytesGauge.register(lagBytes, true);
        failuresGauge.register(failures, true);
        semiSyncGauge.register(semiSync, true);
    }
}
