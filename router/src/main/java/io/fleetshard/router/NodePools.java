package io.fleetshard.router;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One small HikariCP pool per database node that can serve requests (primaries and streaming replicas), created when
 * the shard map adds the node (or lazily on first use) and closed when the map removes it or changes its URL. Pools
 * start without failing on an unreachable node and keep {@code router.pool.min.idle} connections warm.
 */
final class NodePools implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodePools.class);

    /**
     * A node's pool, with the dialect of its shard, what its connections are bound to (null when
     * {@code router.tenant.binding} is {@code transaction}) and which tenant's statements each session ran since its
     * last reset (null when the dialect does not reset sessions, ADR 0020).
     */
    record NodePool(Node node, ShardDialect dialect, HikariDataSource dataSource, ConnectionBindings bindings,
            SessionTenants sessions, PoolMetrics metrics) {

        /** A connection within {@code timeoutMs} (the time left of the request), else a transient exception. */
        java.sql.Connection connection(long timeoutMs) throws java.sql.SQLException {
            // the data source's own timeout is fixed; the pool takes one per call
            return ((com.zaxxer.hikari.pool.HikariPool) dataSource.getHikariPoolMXBean()).getConnection(timeoutMs);
        }
    }

    private final RouterConfig config;
    private final MeterRegistry registry;
    private final ScheduledExecutorService housekeeping;
    private final ExecutorService closer;
    private final ConcurrentHashMap<String, NodePool> pools = new ConcurrentHashMap<>();
    /** Pools out of the map, closed once their statements had time to finish (or when the router stops). */
    private final Set<NodePool> retiring = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    NodePools(RouterConfig config, MeterRegistry registry, ScheduledExecutorService housekeeping,
            ExecutorService closer) {
        this.config = config;
        this.registry = registry;
        this.housekeeping = housekeeping;
        this.closer = closer;
    }

    /** The pool of {@code node}, creating it if needed (a request may arrive before the map listener ran). */
    NodePool poolFor(Node node, Engine engine) {
        NodePool p = pools.get(node.nodeId());
        if (p != null && p.node().equals(node)) {
            return p;
        }
        return pools.compute(node.nodeId(), (id, existing) -> {
            if (existing != null && existing.node().equals(node)) {
                return existing;
            }
            if (existing != null) {
                retire(existing);
            }
            return create(node, engine);
        });
    }

    /** Brings the pools in line with {@code map}: creates missing ones, retires those of removed or changed nodes. */
    void sync(ShardMapSnapshot map) {
        if (closed) {
            return;
        }
        Set<String> wanted = new HashSet<>();
        for (Node node : map.nodes()) {
            Engine engine = map.shard(node.shardId()).map(Shard::engine).orElse(null);
            if (!servesRequests(node.role()) || engine == null || engine == Engine.MYSQL) {
                continue;
            }
            wanted.add(node.nodeId());
            try {
                poolFor(node, engine);
            } catch (RuntimeException e) {
                LOG.warn("could not create a pool for node {} of shard {}: {}", node.nodeId(), node.shardId(),
                        e.getMessage());
            }
        }
        for (Map.Entry<String, NodePool> e : pools.entrySet()) {
            if (!wanted.contains(e.getKey()) && pools.remove(e.getKey(), e.getValue())) {
                retire(e.getValue());
            }
        }
    }

    int size() {
        return pools.size();
    }

    /** Pools out of the map not handed to the closer yet. */
    int retiring() {
        return retiring.size();
    }

    private NodePool create(Node node, Engine engine) {
        if (closed) {
            throw new IllegalStateException("the router is stopped");
        }
        ShardDialect dialect = ShardDialect.of(engine);
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("router-" + node.nodeId());
        hc.setJdbcUrl(dialect.appJdbcUrl(node.jdbcUrl()));
        hc.setUsername(config.dbUser());
        if (!config.dbPassword().isEmpty()) {
            hc.setPassword(config.dbPassword());
        }
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setConnectionTimeout(Math.max(250, config.requestTimeoutMs()));
        hc.setValidationTimeout(Math.max(250, Math.min(1000, config.requestTimeoutMs())));
        hc.setInitializationFailTimeout(-1);
        hc.setAutoCommit(true);
        hc.setScheduledExecutor(housekeeping);
        PoolMetrics metrics = new PoolMetrics(registry);
        hc.setMetricsTrackerFactory(metrics);
        dialect.configurePool(hc, config);
        LOG.info("opening pool for node {} ({} of shard {}, {})", node.nodeId(), node.role().wireName(),
                node.shardId(), JdbcUrl.parse(hc.getJdbcUrl()));
        return new NodePool(node, dialect, new HikariDataSource(hc),
                config.bindsConnections() ? new ConnectionBindings(config.poolMaxSize()) : null,
                dialect.resetsSessionsBetweenTenants() ? new SessionTenants(config.poolMaxSize()) : null, metrics);
    }

    /**
     * Closes a pool no longer in the map once the statements it still runs had their request timeout to finish:
     * closing at once would abort them (a read on a primary just replaced by a switchover, say). New requests do not
     * get it any more.
     */
    private void retire(NodePool pool) {
        LOG.info("closing pool of node {} (shard {}) in {} ms", pool.node().nodeId(), pool.node().shardId(),
                config.requestTimeoutMs());
        pool.metrics().detach(); // its meters now, not at its close: a new pool of the node registers the same ids
        retiring.add(pool);
        try {
            housekeeping.schedule(() -> {
                if (retiring.remove(pool)) {
                    closer.execute(pool.dataSource()::close);
                }
            }, config.requestTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (retiring.remove(pool)) {
                closer.execute(pool.dataSource()::close); // the router is stopping
            }
        }
    }

    static boolean servesRequests(NodeRole role) {
        return role == NodeRole.PRIMARY || ReplicaSelector.servesReads(role);
    }

    @Override
    public void close() {
        closed = true;
        for (NodePool p : pools.values()) {
            p.dataSource().close();
        }
        pools.clear();
        for (NodePool p : retiring) {
            if (retiring.remove(p)) {
                p.dataSource().close();
            }
        }
    }
}
