package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Caller;
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
 * (no fleet), each seeing only the rows of fleets its shard owns per the map (the shard hides the rows a reshard job
 * left or is copying there, ADR 0051), merged: rows of all shards sorted by {@code orderBy} (stable; shard order
 * otherwise), then cut to {@code limit}. A shard that fails for a reason of the request itself (bad SQL: 4xx) fails
 * the request with that problem; a shard that cannot answer (5xx, deadline) fails it with 503 unless
 * {@code allowPartial}, in which case the response lists it in {@code failedShards}.
 */
final class ScatterGather {
    private static final Logger LOG = LoggerFactory.getLogger(ScatterGather.class);
    private static final long LEG_GRACE_NANOS = 250_000_000L;

    /** One shard's answer. */
    record ShardRows(String shardId, Node node, List<String> columns, List<String> types, List<ColumnKind> kinds,
            List<Object[]> rows) {
    }

    /**
     * What runs on the shards of one SQL dialect: the client's statement, or, for a statement with aggregates, the
     * rewritten one of {@code aggregate} with the parameters it binds.
     */
    private record Prepared(ScannedSql sql, List<Object> params, AggregateQuery aggregate) {
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
        Caller caller = Authentication.requireTenant(ctx, req.tenantId());
        String tenantId = caller.role().isTenantRole() ? caller.tenantId() : req.tenantId(); // the token's, ADR 0018
        ShardMapSnapshot map = QueryEndpoints.loaded(mapSource.current());
        QueryEndpoints.requireTenant(map, req.tenantId());
        List<String> shardIds = map.shardsOfTenant(req.tenantId());
        ReadPreference pref = req.read().withRegionIfAbsent(config.region());
        TenantBinding tenant = new TenantBinding(tenantId, signer.signatureOf(tenantId), null);
        AtomicInteger budget = new AtomicInteger(config.scatterMaxRows());

        Map<SqlDialect, Prepared> prepared = new EnumMap<>(SqlDialect.class);
        List<Shard> shards = new ArrayList<>(shardIds.size());
        for (String shardId : shardIds) {
            Shard shard = QueryEndpoints.shard(map, shardId);
            shards.add(shard);
            prepared.computeIfAbsent(ShardDialect.of(shard.engine()).sqlDialect(), d -> prepare(req, d));
        }
        AggregateQuery aggregate = aggregateOf(req, prepared);

        Map<String, Future<ShardRows>> legs = new LinkedHashMap<>();
        Map<String, ApiProblem> failed = new LinkedHashMap<>();
        for (Shard shard : shards) {
            String shardId = shard.shardId();
            Prepared p = prepared.get(ShardDialect.of(shard.engine()).sqlDialect());
            // the rows this shard holds of fleets it does not own are another leg's (or no leg's): hidden, ADR 0051
            TenantBinding legTenant = tenant.hiding(map.strayFleetsOn(shardId, tenantId));
            try {
                legs.put(shardId, executor.submit(() -> leg(map, shard, p.sql(), p.params(), pref, legTenant,
                        deadline, budget)));
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
        byte[] body = merge(req, aggregate, shardIds.size(), answers, failed);
        ctx.contentType(QueryEndpoints.JSON_TYPE).result(body);
        metrics.recordScatter(System.nanoTime() - start);
    }

    /**
     * Scans the client's statement for {@code dialect} and, when it has aggregates, plans their merge (ADR 0014) and
     * scans the rewritten statement the same way: it runs bound to the tenant exactly as the client's would.
     */
    private static Prepared prepare(ScatterRequest req, SqlDialect dialect) {
        ScannedSql sql = SqlScanner.scan(req.sql(), dialect);
        if (!sql.kind().isRead()) {
            throw ApiProblem.badRequest("scatter runs reads only (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN); send"
                    + " writes to /v1/query with a fleetId");
        }
        QueryEndpoints.checkPlaceholders(sql, req.params());
        AggregateQuery aggregate = AggregateQueryParser.plan(sql.sql(), dialect).orElse(null);
        if (aggregate == null) {
            return new Prepared(sql, req.params(), null);
        }
        ScannedSql rewritten = SqlScanner.scan(aggregate.shardSql(), dialect);
        if (!rewritten.kind().isRead() || rewritten.placeholders() != aggregate.paramOrder().size()) {
            throw new IllegalStateException("the aggregate rewrite of a read is not a read with "
                    + aggregate.paramOrder().size() + " placeholders: " + aggregate.shardSql());
        }
        return new Prepared(rewritten, aggregate.shardParams(req.params()), aggregate);
    }

    /** The merge plan of the statement (null: rows are concatenated), the same whatever the shards' engines. */
    private static AggregateQuery aggregateOf(ScatterRequest req, Map<SqlDialect, Prepared> prepared) {
        if (prepared.isEmpty()) {
            // no shard: the merge still answers as SQL would (one row of count 0 without GROUP BY)
            prepared.put(SqlDialect.POSTGRES, prepare(req, SqlDialect.POSTGRES));
        }
        List<AggregateQuery> plans = prepared.values().stream().map(Prepared::aggregate).toList();
        AggregateQuery first = plans.get(0);
        for (AggregateQuery a : plans) {
            if ((first == null) != (a == null) || a != null && !a.shape().equals(first.shape())) {
                throw ApiProblem.unprocessable("the statement reads differently on the tenant's PostgreSQL and MariaDB"
                        + " shards (their quoting differs: \"x\" is a name on PostgreSQL and a string on MariaDB),"
                        + " so its aggregates cannot be merged; quote names portably or not at all");
            }
        }
        return first;
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
                        return new ShardRows(shard.shardId(), node, List.of(), List.of(), List.of(), List.of());
                    }
                    try (ResultSet rs = ps.getResultSet()) {
                        ResultSetMetaData md = rs.getMetaData();
                        ColumnKind[] kinds = ColumnKind.of(md, shard.engine());
                        List<String> columns = new ArrayList<>(kinds.length);
                        List<String> types = new ArrayList<>(kinds.length);
                        for (int i = 1; i <= kinds.length; i++) {
                            columns.add(md.getColumnLabel(i));
                            types.add(kinds[i - 1].typeName(shard.engine(), md.getColumnTypeName(i)));
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
                        return new ShardRows(shard.shardId(), node, columns, types, List.of(kinds), rows);
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

    private byte[] merge(ScatterRequest req, AggregateQuery aggregate, int shardCount, List<ShardRows> answers,
            Map<String, ApiProblem> failed) throws IOException {
        List<String> columns = List.of();
        List<String> types = List.of();
        List<Object[]> rows;
        if (aggregate != null) {
            AggregateMerge.Merged merged = AggregateMerge.merge(aggregate, answers, req.params());
            columns = merged.columns();
            types = merged.types();
            rows = new ArrayList<>(merged.rows());
        } else {
            String columnsFrom = null;
            int total = 0;
            for (ShardRows a : answers) {
                if (columnsFrom == null && !a.columns().isEmpty()) {
                    columns = a.columns();
                    types = a.types();
                    columnsFrom = a.shardId();
                } else if (!a.columns().isEmpty() && !a.columns().equals(columns)) {
                    throw ApiProblem.unprocessable("shards returned different columns: " + columnsFrom + " "
                            + columns + ", " + a.shardId() + " " + a.columns());
                }
                total += a.rows().size();
            }
            rows = new ArrayList<>(total);
            for (ShardRows a : answers) {
                rows.addAll(a.rows());
            }
        }
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
