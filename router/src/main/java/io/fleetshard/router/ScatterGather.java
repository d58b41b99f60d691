package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/query/scatter}: one read on every shard holding the tenant's fleets, in parallel, bound to the tenant
 * (no fleet), merged: rows of all shards sorted by {@code orderBy} (stable; shard order otherwise), then cut to
 * {@code limit}. A shard that fails for a reason of the request itself (bad SQL: 4xx) fails the request with that
 * problem; a shard that cannot answer (5xx, deadline) fails it with 503 unless {@code allowPartial}, in which case the
 * response lists it in {@code failedShards}.
 */
final class ScatterGather {
    private static final Logger LOG = LoggerFactory.getLogger(ScatterGather.class);
    private static final long LEG_GRACE_NANOS = 250_000_000L;

    /** One shard's answer. */
    record ShardRows(String shardId, Node node, List<String> columns, List<String> types, List<Object[]> rows) {
    }

    private final RouterConfig config;
    private final ShardMapSource mapSource;
    private final NodePools pools;
    private final ReplicaSelector selector;
    private final NodeHealthBoard health;
    private final TenantSigner signer;
    private final RouterMetrics metrics;
    private final ExecutorService executor;
    private final Clock clock;

    ScatterGather(RouterConfig config, ShardMapSource mapSource, NodePools pools, ReplicaSelector selector,
            NodeHealthBoard health, TenantSigner signer, RouterMetrics metrics, ExecutorService executor, Clock clock) {
        this.config = config;
        this.mapSource = mapSource;
        this.pools = pools;
        this.selector = selector;
        this.health = health;
        this.signer = signer;
        this.metrics = metrics;
        this.executor = executor;
        this.clock = clock;
    }

    void scatter(Context ctx) throws IOException {
        long start = System.nanoTime();
        long deadline = start + config.requestTimeoutMs() * 1_000_000L;
        ScatterRequest req = QueryRequestParser.parseScatter(ctx.bodyAsBytes());
        ShardMapSnapshot map = QueryEndpoints.loaded(mapSource.current());
        QueryEndpoints.requireTenant(map, req.tenantId());
        List<String> shardIds = map.shardsOfTenant(req.tenantId());
        ReadPreference pref = req.read().withRegionIfAbsent(config.region());
        TenantBinding tenant = new TenantBinding(req.tenantId(), signer.signatureOf(req.tenantId()), null);
        AtomicInteger budget = new AtomicInteger(config.scatterMaxRows());

        Map<SqlDialect, ScannedSql> scanned = new EnumMap<>(SqlDialect.class);
        Map<String, Future<ShardRows>> legs = new LinkedHashMap<>();
        Map<String, ApiProblem> failed = new LinkedHashMap<>();
        for (String shardId : shardIds) {
            Shard shard = QueryEndpoints.shard(map, shardId);
            ShardDialect dialect = ShardDialect.of(shard.engine());
            ScannedSql sql = scanned.computeIfAbsent(dialect.sqlDialect(), d -> SqlScanner.scan(req.sql(), d));
            if (!sql.kind().isRead()) {
                throw ApiProblem.badRequest("scatter runs reads only (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN); send"
                        + " writes to /v1/query with a fleetId");
            }
            QueryEndpoints.checkPlaceholders(sql, req.params());
            try {
                legs.put(shardId, executor.submit(() -> leg(map, shard, sql, req.params(), pref, tenant, deadline,
                        budget)));
            } catch (RejectedExecutionException e) {
                legs.values().forEach(f -> f.cancel(true));
                throw ApiProblem.unavailable("the router is too busy for scatter queries (" + config.scatterThreads()
                        + " scatter threads, queue full)", 1);
            }
        }

        List<ShardRows> answers = new ArrayList<>();
        for (Map.Entry<String, Future<ShardRows>> leg : legs.entrySet()) {
            // each leg keeps the deadline itself (pool wait, statement timeout) and reports why it failed; the grace
            // only covers a leg stuck where no timeout reaches (a stalled socket)
            long remaining = deadline + LEG_GRACE_NANOS - System.nanoTime();
            try {
                answers.add(leg.getValue().get(Math.max(0, remaining), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                leg.getValue().cancel(true);
                failed.put(leg.getKey(), ApiProblem.timeout("shard " + leg.getKey() + " did not answer within the"
                        + " request timeout of " + config.requestTimeoutMs() + " ms"));
            } catch (ExecutionException e) {
                failed.put(leg.getKey(), asProblem(leg.getKey(), e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                legs.values().forEach(f -> f.cancel(true));
                throw ApiProblem.unavailable("the router is shutting down", 1);
            }
        }
        for (Map.Entry<String, ApiProblem> f : failed.entrySet()) {
            if (f.getValue().status() < 500) {
                ApiProblem p = f.getValue();
                throw new ApiProblem(p.status(), p.type(), p.title(), "shard " + f.getKey() + ": " + p.detail(), null);
            }
        }
        if (!failed.isEmpty() && !req.allowPartial()) {
            StringBuilder why = new StringBuilder();
            failed.forEach((id, p) -> why.append(why.length() == 0 ? "" : "; ").append(id).append(": ")
                    .append(p.detail()));
            throw ApiProblem.unavailable(failed.size() + " of " + shardIds.size() + " shards failed (set allowPartial"
                    + " to accept partial results): " + why, 1);
        }
        byte[] body = merge(req, shardIds.size(), answers, failed);
        ctx.contentType(QueryEndpoints.JSON_TYPE).result(body);
        metrics.recordScatter(System.nanoTime() - start);
    }

    private ShardRows leg(ShardMapSnapshot map, Shard shard, ScannedSql sql, List<Object> params, ReadPreference pref,
            TenantBinding tenant, long deadline, AtomicInteger budget) throws IOException {
        Node node = selector.select(map, shard.shardId(), StatementKind.READ, pref);
        try {
            return collect(node, shard, sql, params, tenant, deadline, budget);
        } catch (ApiProblem p) {
            if (node.role() == NodeRole.PRIMARY || p.status() != 503) {
                throw p;
            }
            health.markDown(node.nodeId(), p.detail(), clock.millis());
            return collect(ReplicaSelector.primaryOf(map, shard.shardId()), shard, sql, params, tenant, deadline,
                    budget);
        }
    }

    private ShardRows collect(Node node, Shard shard, ScannedSql sql, List<Object> params, TenantBinding tenant,
            long deadline, AtomicInteger budget) throws IOException {
        return NodeStatementRunner.run(pools.poolFor(node, shard.engine()), sql, params, tenant, deadline,
                config.requestTimeoutMs(), (ps, resultSet, c, dialect) -> {
                    if (!resultSet) {
                        return new ShardRows(shard.shardId(), node, List.of(), List.of(), List.of());
                    }
                    try (ResultSet rs = ps.getResultSet()) {
                        ResultSetMetaData md = rs.getMetaData();
                        ColumnKind[] kinds = ColumnKind.of(md);
                        List<String> columns = new ArrayList<>(kinds.length);
                        List<String> types = new ArrayList<>(kinds.length);
                        for (int i = 1; i <= kinds.length; i++) {
                            columns.add(md.getColumnLabel(i));
                            types.add(md.getColumnTypeName(i));
                        }
                        List<Object[]> rows = new ArrayList<>();
                        while (rs.next()) {
                            if (budget.decrementAndGet() < 0) {
                                throw ApiProblem.unprocessable("the scatter query gathered more than "
                                        + config.scatterMaxRows() + " rows (router.scatter.max.rows); add a LIMIT to"
                                        + " the SQL");
                            }
                            Object[] row = new Object[kinds.length];
                            for (int i = 0; i < kinds.length; i++) {
                                row[i] = kinds[i].read(rs, i + 1);
                            }
                            rows.add(row);
                        }
                        return new ShardRows(shard.shardId(), node, columns, types, rows);
                    }
                });
    }

    private static ApiProblem asProblem(String shardId, Throwable cause) {
        if (cause instanceof ApiProblem p) {
            return p;
        }
        LOG.error("scatter leg on shard {} failed unexpectedly", shardId, cause);
        return ApiProblem.unavailable("shard " + shardId + " failed: unexpected "
                + cause.getClass().getSimpleName(), 1);
    }

    private byte[] merge(ScatterRequest req, int shardCount, List<ShardRows> answers, Map<String, ApiProblem> failed)
            throws IOException {
        List<String> columns = List.of();
        List<String> types = List.of();
        String columnsFrom = null;
        int total = 0;
        for (ShardRows a : answers) {
            if (columnsFrom == null && !a.columns().isEmpty()) {
                columns = a.columns();
                types = a.types();
                columnsFrom = a.shardId();
            } else if (!a.columns().isEmpty() && !a.columns().equals(columns)) {
                throw ApiProblem.unprocessable("shards returned different columns: " + columnsFrom + " " + columns
                        + ", " + a.shardId() + " " + a.columns());
            }
            total += a.rows().size();
        }
        List<Object[]> rows = new ArrayList<>(total);
        answers.forEach(a -> rows.addAll(a.rows()));
        if (!req.orderBy().isEmpty() && !columns.isEmpty()) {
            Comparator<Object[]> order = OrderBy.comparator(req.orderBy(), columns);
            rows.sort(order);
        }
        int n = req.limit() < 0 ? rows.size() : Math.min(req.limit(), rows.size());

        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, n * 64));
        try (JsonGenerator g = QueryEndpoints.JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("tenantId", req.tenantId());
            g.writeArrayFieldStart("shards");
            for (ShardRows a : answers) {
                g.writeStartObject();
                g.writeStringField("shardId", a.shardId());
                g.writeStringField("nodeId", a.node().nodeId());
                g.writeStringField("role", a.node().role().wireName());
                g.writeNumberField("rows", a.rows().size());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("columns");
            for (String c : columns) {
                g.writeString(c);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("columnTypes");
            for (String t : types) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("rows");
            for (int r = 0; r < n; r++) {
                g.writeStartArray();
                for (Object v : rows.get(r)) {
                    ColumnKind.writeValue(g, v);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeBooleanField("partial", !failed.isEmpty());
            if (!failed.isEmpty()) {
                g.writeArrayFieldStart("failedShards");
                for (Map.Entry<String, ApiProblem> f : failed.entrySet()) {
                    g.writeStartObject();
                    g.writeStringField("shardId", f.getKey());
                    g.writeNumberField("status", f.getValue().status());
                    g.writeStringField("detail", f.getValue().detail());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeNumberField("shardCount", shardCount);
            g.writeEndObject();
        }
        return out.toByteArray();
    }
}
