package io.fleetshard.router;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes, every {@code router.probe.interval.ms}, each shard that has read replicas or warm standbys: the primary's log
 * position, then each replica's replayed position and each standby's applied position (its
 * {@code fleetshard_standby_position} row), over connections of its own (so a saturated request pool cannot make a node look
 * down). From the primary's recent positions it derives each replica's lag ({@link PrimaryLsnHistory}); a node whose
 * probe fails is marked down. Results go to the {@link NodeHealthBoard} that request routing reads, and to the
 * {@code fleetshard_router_replica_lag_ms} gauges. Nothing here runs on the request path.
 */
final class ReplicationProber implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationProber.class);
    /** The start of the reason a standby that has applied no change yet gives (a standby's normal first state). */
    static final String NOTHING_APPLIED = "standby has not applied anything yet";

    private final ShardMapSource mapSource;
    private final RouterConfig config;
    private final NodeHealthBoard board;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ExecutorService probeExecutor;
    private final Map<String, ShardState> shards = new ConcurrentHashMap<>();
    private final Map<String, ProbeConnection> connections = new ConcurrentHashMap<>();
    private final Map<String, Meter> gauges = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private static final class ShardState {
        final PrimaryLsnHistory history = new PrimaryLsnHistory();
        final AtomicBoolean running = new AtomicBoolean();
    }

    /** A node's probe connection, reopened after a failure. */
    private record ProbeConnection(String url, Connection connection) {
    }

    ReplicationProber(ShardMapSource mapSource, RouterConfig config, NodeHealthBoard board, Clock clock,
            MeterRegistry registry, ExecutorService probeExecutor) {
        this.mapSource = mapSource;
        this.config = config;
        this.board = board;
        this.clock = clock;
        this.registry = registry;
        this.probeExecutor = probeExecutor;
    }

    /** One round: starts a probe of every shard with replicas whose previous probe has finished. */
    void tick() {
        if (closed) {
            return;
        }
        ShardMapSnapshot map = mapSource.current();
        Set<String> liveShards = new HashSet<>();
        Set<String> liveNodes = new HashSet<>();
        for (Shard shard : map.shards()) {
            List<Node> nodes = map.nodesOf(shard.shardId());
            if (shard.engine() == Engine.MYSQL || nodes.stream().noneMatch(n -> ReplicaSelector.servesReads(n.role()))) {
                continue;
            }
            liveShards.add(shard.shardId());
            nodes.forEach(n -> liveNodes.add(n.nodeId()));
            ShardState state = shards.computeIfAbsent(shard.shardId(), k -> new ShardState());
            if (state.running.compareAndSet(false, true)) {
                try {
                    probeExecutor.execute(() -> {
                        try {
                            probe(map, shard, state);
                        } finally {
                            state.running.set(false);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    state.running.set(false);
                }
            }
        }
        shards.keySet().retainAll(liveShards);
        forgetNodesExcept(liveNodes);
    }

    private void probe(ShardMapSnapshot map, Shard shard, ShardState state) {
        ShardDialect dialect = ShardDialect.of(shard.engine());
        Node primary = map.primaryOf(shard.shardId()).orElse(null);
        LogPosition primaryPosition = null;
        if (primary != null) {
            long t = clock.millis();
            try {
                primaryPosition = dialect.primaryPosition(connection(primary, dialect));
                if (primaryPosition instanceof Lsn lsn) {
                    state.history.record(t, lsn.value());
                }
                board.put(primary.nodeId(), NodeHealth.up(0, primaryPosition, t));
            } catch (SQLException | RuntimeException e) {
                fail(primary, e, t);
            }
        }
        for (Node node : map.nodesOf(shard.shardId())) {
            if (!ReplicaSelector.servesReads(node.role())) {
                continue;
            }
            if (node.role() == NodeRole.STANDBY) {
                probeStandby(node, shard, dialect, state, primaryPosition);
            } else {
                probeReplica(node, dialect, state, primaryPosition);
            }
            registerGauge(node);
        }
    }

    private void probeReplica(Node replica, ShardDialect dialect, ShardState state, LogPosition primaryPosition) {
        long t = clock.millis();
        try {
            LogPosition replayed = dialect.replicaPosition(connection(replica, dialect));
            if (replayed == null) {
                board.put(replica.nodeId(), NodeHealth.down("not replaying (not in recovery)", t));
            } else {
                board.put(replica.nodeId(), NodeHealth.up(lagMs(replayed, state, primaryPosition, t), replayed, t));
            }
        } catch (SQLException | RuntimeException e) {
            fail(replica, e, t);
        }
    }

    /**
     * A warm standby is a database of its own, not a streaming replica: its position is the source position of the last
     * change the standby applier applied, from its {@code fleetshard_standby_position} row. On PostgreSQL that is an LSN
     * of the primary's WAL, so its lag comes from the same history as a replica's; otherwise it is unknown (-1).
     */
    private void probeStandby(Node standby, Shard shard, ShardDialect dialect, ShardState state,
            LogPosition primaryPosition) {
        long t = clock.millis();
        try {
            LogPosition applied = dialect.standbyPosition(connection(standby, dialect), standby.jdbcUrl(),
                    shard.shardId());
            if (applied == null) {
                notServingYet(standby, nothingApplied(shard), t);
            } else {
                board.put(standby.nodeId(), NodeHealth.up(lagMs(applied, state, primaryPosition, t), applied, t));
            }
        } catch (SQLException e) {
            String problem = dialect.standbyProblem(e);
            if (problem == null) {
                fail(standby, e, t);
            } else {
                notServing(standby, problem, t);
            }
        } catch (IllegalArgumentException e) {
            notServing(standby, ShardDialect.STANDBY_POSITION_TABLE + ".last_position of shard " + shard.shardId()
                    + " is unreadable: " + e.getMessage(), t);
        } catch (RuntimeException e) {
            fail(standby, e, t);
        }
    }

    /**
     * Why a standby without an applied change does not serve yet: its shard has no row in the position table, or a row
     * whose {@code last_position} is still empty; the same words for both.
     */
    static String nothingApplied(Shard shard) {
        return NOTHING_APPLIED + ": shard " + shard.shardId() + " has no last_position in "
                + ShardDialect.STANDBY_POSITION_TABLE + " yet";
    }

    /** Lag of a node at {@code position}: from the primary's WAL history on PostgreSQL, else unknown (-1). */
    private static long lagMs(LogPosition position, ShardState state, LogPosition primaryPosition, long t) {
        return position instanceof Lsn lsn && primaryPosition != null ? state.history.lagMs(lsn.value(), t) : -1;
    }

    /** The node answered, but must not serve reads; its connection is fine and is kept. */
    private void notServing(Node node, String problem, long t) {
        if (changed(node, problem)) {
            LOG.warn("node {} ({} of shard {}) does not serve reads: {}", node.nodeId(), node.role().wireName(),
                    node.shardId(), problem);
        }
        board.put(node.nodeId(), NodeHealth.down(problem, t));
    }

    /**
     * A standby that does not serve reads yet, as every standby until its applier applies a first change: down like
     * {@link #notServing}, logged at INFO (a new platform's standbys start so; nothing is wrong).
     */
    private void notServingYet(Node node, String problem, long t) {
        if (changed(node, problem)) {
            LOG.info("node {} ({} of shard {}) does not serve reads yet: {}", node.nodeId(), node.role().wireName(),
                    node.shardId(), problem);
        }
        board.put(node.nodeId(), NodeHealth.down(problem, t));
    }

    /** Whether {@code problem} is news for the node: it was healthy, unknown, or down for another reason. */
    private boolean changed(Node node, String problem) {
        NodeHealth before = board.get(node.nodeId());
        return before == null || before.healthy() || !problem.equals(before.problem());
    }

    private void fail(Node node, Exception e, long t) {
        NodeHealth before = board.get(node.nodeId());
        if (before == null || before.healthy()) {
            LOG.warn("probe of node {} (shard {}) failed: {}", node.nodeId(), node.shardId(), e.getMessage());
        }
        board.put(node.nodeId(), NodeHealth.down(ShardDialect.cleanMessage(e.getMessage()), t));
        ProbeConnection pc = connections.remove(node.nodeId());
        if (pc != null) {
            closeQuietly(pc.connection());
        }
    }

    private Connection connection(Node node, ShardDialect dialect) throws SQLException {
        String url = dialect.appJdbcUrl(node.jdbcUrl());
        ProbeConnection pc = connections.get(node.nodeId());
        if (pc != null && pc.url().equals(url)) {
            return pc.connection();
        }
        if (pc != null) {
            closeQuietly(pc.connection());
        }
        Properties props = dialect.probeProperties(config);
        props.setProperty("user", config.dbUser());
        if (!config.dbPassword().isEmpty()) {
            props.setProperty("password", config.dbPassword());
        }
        Connection c = DriverManager.getConnection(url, props);
        connections.put(node.nodeId(), new ProbeConnection(url, c));
        return c;
    }

    private void registerGauge(Node replica) {
        gauges.computeIfAbsent(replica.nodeId(), id -> Gauge.builder("fleetshard.router.replica.lag.ms", board,
                        b -> b.lagMsOrNaN(id))
                .description("Replication lag of a replica or standby as last probed: how long ago the primary was at"
                        + " the node's replayed or applied position (NaN when unknown or down)")
                .tag("shard", replica.shardId()).tag("node", id)
                .register(registry));
    }

    private void forgetNodesExcept(Set<String> liveNodes) {
        for (String nodeId : Set.copyOf(connections.keySet())) {
            if (!liveNodes.contains(nodeId)) {
                ProbeConnection pc = connections.remove(nodeId);
                if (pc != null) {
                    closeQuietly(pc.connection());
                }
            }
        }
        for (String nodeId : Set.copyOf(gauges.keySet())) {
            if (!liveNodes.contains(nodeId)) {
                registry.remove(gauges.remove(nodeId));
            }
        }
        for (String nodeId : Set.copyOf(board.nodeIds())) {
            if (!liveNodes.contains(nodeId)) {
                board.remove(nodeId);
            }
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // closing a broken connection
        }
    }

    @Override
    public void close() {
        closed = true;
        connections.values().forEach(pc -> closeQuietly(pc.connection()));
        connections.clear();
    }
}
