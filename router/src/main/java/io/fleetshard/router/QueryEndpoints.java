package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Caller;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;

/**
 * {@code POST /v1/query}: one statement for one fleet. The hot path reads one map snapshot, parses the body with a
 * streaming parser, picks a node from the prober's last measurements, and streams the result set into a reused
 * per-thread buffer with a JSON generator; the body is sent only once the statement succeeded, so a failure is always
 * a clean problem response. A write refused by a shard's reshard fence is held and retried on the fleet's new shard
 * ({@link WriteHold}, ADR 0013). Scatter queries are in {@link ScatterGather}.
 */
final class QueryEndpoints {
    static final String JSON_TYPE = "application/json";
    static final JsonFactory JSON = JsonFactory.builder().disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET).build();
    static final String BATCH_PATH = "/v1/query/batch";
    private static final ThreadLocal<ResponseBuffer> BUFFERS = ThreadLocal.withInitial(ResponseBuffer::new);
    private static final ThreadLocal<ResponseBuffer> BATCH_BUFFERS = ThreadLocal.withInitial(ResponseBuffer::new);
    private static final byte[] RESULTS_START = "{\"results\":[".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_START = "{\"status\":200,\"result\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESULTS_END = "]}".getBytes(StandardCharsets.US_ASCII);
    /** A write waits at most this long for a connection of its primary before it looks at the map again. */
    private static final long WRITE_CONNECT_ATTEMPT_MS = 300;
    /** An attempt that failed faster than this (a closed pool) waits up to the pause for a newer map. */
    private static final long WRITE_FAST_FAILURE_NANOS = 50_000_000L;
    private static final long WRITE_RETRY_PAUSE_NANOS = 100_000_000L;

    private final RouterConfig config;
    private final ShardMapSource mapSource;
    private final NodePools pools;
    private final ReplicaSelector selector;
    private final NodeHealthBoard health;
    private final TenantSigner signer;
    private final RouterMetrics metrics;
    private final WriteHold hold;
    private final Clock clock;
    private final ScannedSqlCache scans = new ScannedSqlCache();
    // read once: the config's accessors look the value up and parse it on every call
    private final long requestTimeoutMs;
    private final String region;

    QueryEndpoints(RouterConfig config, ShardMapSource mapSource, NodePools pools, ReplicaSelector selector,
            NodeHealthBoard health, TenantSigner signer, RouterMetrics metrics, WriteHold hold, Clock clock) {
        this.config = config;
        this.mapSource = mapSource;
        this.pools = pools;
        this.selector = selector;
        this.health = health;
        this.signer = signer;
        this.metrics = metrics;
        this.hold = hold;
        this.clock = clock;
        this.requestTimeoutMs = config.requestTimeoutMs();
        this.region = config.region();
    }

    void query(Context ctx) throws IOException {
        byte[] answer = answer(ctx.bodyAsBytes(), Authentication.caller(ctx)); // first: a failure must find no content type set
        ctx.contentType(JSON_TYPE).result(answer);
    }

    void batch(Context ctx) throws IOException {
        byte[] answer = answerBatch(ctx.bodyAsBytes(), Authentication.caller(ctx));
        ctx.contentType(JSON_TYPE).result(answer);
    }

    /**
     * Serves one {@code POST /v1/query} body of {@code caller} (already authenticated, of a role that may query)
     * and returns the {@value #JSON_TYPE} response body; a failure is thrown
     * as an {@link ApiProblem} (or an unexpected exception) for the caller to answer.
     */
    byte[] answer(byte[] body, Caller caller) throws IOException {
        long start = System.nanoTime();
        QueryRequest req = QueryRequestParser.parseQuery(body);
        ResponseBuffer out = BUFFERS.get();
        out.reset();
        try {
            answer(req, caller, start, start + requestTimeoutMs * 1_000_000L, out);
            return out.copy();
        } finally {
            out.trim(); // also after a failure half-way through a large answer
        }
    }

    /**
     * {@code POST /v1/query/batch} (ADR 0031): runs each item of the body in order, exactly as {@code /v1/query} runs
     * one body (every check, per item), under one deadline for the whole batch, and returns
     * {@code {"results": [...]}} in the items' order: {@code {"status": 200, "result": <query response>}} or
     * {@code {"status": <4xx/5xx>, "problem": <problem+json>[, "retryAfterSeconds": n]}}. A failed item fails
     * alone. Only a body that is not a batch at all (invalid JSON, no queries, too many) fails as a whole.
     */
    byte[] answerBatch(byte[] body, Caller caller) throws IOException {
        long start = System.nanoTime();
        long deadline = start + requestTimeoutMs * 1_000_000L;
        List<BatchItem> items = QueryRequestParser.parseBatch(body, config.batchMaxItems());
        int n = items.size();
        Planned[] plans = new Planned[n];
        ApiProblem[] problems = new ApiProblem[n];
        byte[][] answers = new byte[n][];
        for (int i = 0; i < n; i++) {
            BatchItem b = items.get(i);
            problems[i] = b.problem();
            if (b.problem() == null) {
                try {
                    plans[i] = plan(b.request(), caller, System.nanoTime());
                } catch (Exception e) {
                    problems[i] = ProblemResponses.problemOf(e, "POST", BATCH_PATH);
                }
            }
        }
        for (int i = 0; i < n;) {
            if (problems[i] != null) {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < n && problems[end] == null && plans[i].groupsWith(plans[end])) {
                end++;
            }
            if (end - i > 1) {
                GroupOutcome outcome = runGroup(plans, i, end, deadline, answers);
                if (outcome == GroupOutcome.RAN) {
                    i = end;
                    continue;
                }
                if (outcome == GroupOutcome.FAILED) {
                    runAlone(plans, i, end, deadline, answers, problems); // each answered on its own
                    i = end;
                    continue;
                }
                // NOT_BOUND: the first runs alone, which binds its connection; the rest are tried as a group again
            }
            runAlone(plans, i, i + 1, deadline, answers, problems);
            i++;
        }
        ResponseBuffer all = BATCH_BUFFERS.get();
        all.reset();
        all.write(RESULTS_START);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                all.write(',');
            }
            ApiProblem problem = problems[i];
            if (problem == null) {
                all.write(OK_START);
                all.write(answers[i]);
                all.write('}');
                continue;
            }
            try (JsonGenerator g = JSON.createGenerator(all)) {
                g.writeStartObject();
                g.writeNumberField("status", problem.status());
                g.writeFieldName("problem");
                g.writeRawValue(ProblemResponses.body(problem));
                if (problem.retryAfterSeconds() != null) {
                    g.writeNumberField("retryAfterSeconds", problem.retryAfterSeconds());
                }
                g.writeEndObject();
            }
        }
        all.write(RESULTS_END);
        return all.copy();
    }

    private enum GroupOutcome { RAN, NOT_BOUND, FAILED }

    private void runAlone(Planned[] plans, int from, int to, long deadline, byte[][] answers, ApiProblem[] problems) {
        ResponseBuffer item = BUFFERS.get();
        for (int k = from; k < to; k++) {
            item.reset();
            try {
                execute(plans[k].startingNow(), deadline, item);
                answers[k] = item.copy();
            } catch (Exception e) {
                problems[k] = ProblemResponses.problemOf(e, "POST", BATCH_PATH);
            } finally {
                item.trim();
            }
        }
    }

    /**
     * Tries to run the reads {@code plans[from, to)} (one tenant, fleet, shard and read preference) as one composite
     * statement in one round trip ({@link NodeStatementRunner#runGroup}); when it {@code RAN}, their answers are in
     * {@code answers}; else nothing of it counts and the items are to be run alone.
     */
    private GroupOutcome runGroup(Planned[] plans, int from, int to, long deadline, byte[][] answers) {
        Planned first = plans[from];
        long start = System.nanoTime();
        List<ScannedSql> sqls = new java.util.ArrayList<>(to - from);
        List<List<Object>> params = new java.util.ArrayList<>(to - from);
        for (int k = from; k < to; k++) {
            sqls.add(plans[k].sql());
            params.add(plans[k].req().params());
        }
        ResponseBuffer[] outs = new ResponseBuffer[to - from];
        try {
            Node node = selector.select(first.map(), first.shard().shardId(), StatementKind.READ, first.pref());
            boolean ran = NodeStatementRunner.runGroup(pools.poolFor(node, first.shard().engine()), sqls, params,
                    first.tenant(), deadline, requestTimeoutMs, (index, ps) -> {
                        ResponseBuffer out = new ResponseBuffer();
                        outs[index] = out;
                        writeAnswer(out, first.shard(), node, sqls.get(index), ps, true, null, null);
                    });
            if (!ran) {
                return GroupOutcome.NOT_BOUND;
            }
        } catch (Exception e) {
            return GroupOutcome.FAILED;
        }
        long nanos = System.nanoTime() - start;
        for (int k = from; k < to; k++) {
            answers[k] = outs[k - from].copy();
            metrics.recordQuery(first.shard().shardId(), StatementKind.READ, nanos);
        }
        return GroupOutcome.RAN;
    }

    /**
     * An item checked and placed, ready to run: everything {@code /v1/query} decides before it touches a database.
     * {@code start} is when its own time began (for the latency metric).
     */
    private record Planned(QueryRequest req, ShardMapSnapshot map, Shard shard, ScannedSql sql, ReadPreference pref,
            TenantBinding tenant, long start) {
        /** Whether {@code next}, right after this one, may run with it in one composite statement (ADR 0031). */
        boolean groupsWith(Planned next) {
            return sql.kind().isRead() && next.sql.kind().isRead() && shard.engine() == Engine.POSTGRES
                    && map == next.map && shard.shardId().equals(next.shard.shardId()) && tenant.equals(next.tenant)
                    && pref.equals(next.pref);
        }

        Planned startingNow() {
            return new Planned(req, map, shard, sql, pref, tenant, System.nanoTime());
        }
    }

    /**
     * Serves one parsed query of {@code caller} that started at {@code start}, to be done by {@code deadline}, and
     * writes its response body to {@code out}; a failure is thrown as an {@link ApiProblem}.
     */
    private void answer(QueryRequest req, Caller caller, long start, long deadline, ResponseBuffer out)
            throws IOException {
        execute(plan(req, caller, start), deadline, out);
    }

    /** Every check of {@code /v1/query} on {@code req} of {@code caller}, and where it runs; nothing is run yet. */
    private Planned plan(QueryRequest req, Caller caller, long start) {
        Authentication.requireTenant(caller, req.tenantId());
        ShardMapSnapshot map = loaded(mapSource.current());
        Fleet fleet = fleetOf(map, req.tenantId(), req.fleetId());
        Shard shard = shardOf(map, fleet);
        ShardDialect dialect = ShardDialect.of(shard.engine());
        ScannedSql sql = scans.scan(req.sql(), dialect.sqlDialect());
        checkPlaceholders(sql, req.params());
        if (!sql.kind().isRead() && !caller.mayWriteRows()) {
            throw Authentication.forbidden("a " + caller.role() + " token may only read, and this statement writes;"
                    + " nothing was run");
        }
        ReadPreference pref = req.read().withRegionIfAbsent(region);
        ConsistencyToken after = pref.after();
        if (after != null && (!after.shardId().equals(shard.shardId()) || after.engine() != shard.engine())) {
            throw ApiProblem.badRequest("afterToken " + after.text() + " was issued by shard " + after.shardId()
                    + " but fleet " + fleet.fleetId() + " of tenant " + fleet.tenantId() + " lives on shard "
                    + shard.shardId() + " (" + shard.engine().wireName() + ")");
        }
        // a tenant role binds the token's tenant, never one the request could choose (equal here, by requireTenant)
        String tenantId = caller.role().isTenantRole() ? caller.tenantId() : req.tenantId();
        TenantBinding tenant = new TenantBinding(tenantId, signer.signatureOf(tenantId), req.fleetId());
        return new Planned(req, map, shard, sql, pref, tenant, start);
    }

    /** Runs a planned item and writes its response body to {@code out}. */
    private void execute(Planned p, long deadline, ResponseBuffer out) throws IOException {
        Shard shard = p.shard();
        if (p.sql().kind().isRead()) {
            read(p.map(), shard, p.sql(), p.req().params(), p.pref(), p.tenant(), deadline, out);
        } else {
            shard = write(p.map(), shard, p.sql(), p.req(), p.tenant(), deadline, out);
        }
        // a held write counts with its hold, on the shard that took it
        metrics.recordQuery(shard.shardId(), p.sql().kind(), System.nanoTime() - p.start());
    }

    private void read(ShardMapSnapshot map, Shard shard, ScannedSql sql, List<Object> params, ReadPreference pref,
            TenantBinding tenant, long deadline, ResponseBuffer out) throws IOException {
        Node node = selector.select(map, shard.shardId(), sql.kind(), pref);
        try {
            run(node, shard, sql, params, tenant, deadline, out);
        } catch (ApiProblem p) {
            if (node.role() == NodeRole.PRIMARY || p.status() != 503) {
                throw p;
            }
            // the replica could not serve: the primary always can serve a read, at any consistency
            health.markDown(node.nodeId(), p.detail(), clock.millis());
            out.reset();
            run(ReplicaSelector.primaryOf(map, shard.shardId()), shard, sql, params, tenant, deadline, out);
        }
    }

    /**
     * Runs a write on the primary of the fleet's shard. A shard that refuses it because the fleet is fenced there for
     * a move (ADR 0013) changed nothing: the write is held until a map places the fleet elsewhere, then retried on
     * the new shard ({@link WriteHold}). Returns the shard that took the write.
     */
    private Shard write(ShardMapSnapshot map, Shard shard, ScannedSql sql, QueryRequest req, TenantBinding tenant,
            long deadline, ResponseBuffer out) throws IOException {
        boolean held = false;
        long holdStart = 0;
        for (;;) {
            long attemptStart = System.nanoTime();
            try {
                run(ReplicaSelector.primaryOf(map, shard.shardId()), shard, sql, req.params(), tenant, deadline,
                        WRITE_CONNECT_ATTEMPT_MS, out);
                return shard;
            } catch (NotExecutedProblem | ReadOnlyNodeProblem down) {
                // the primary did not run it (no connection, or read-only while a switchover freezes it): try again
                // until the request's deadline, with the newest map (a failover or switchover names another primary,
                // ADR 0015); an attempt that failed at once waits a moment for a newer map
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw down instanceof ReadOnlyNodeProblem ro ? ro.asUnavailable() : down;
                }
                ShardMapSnapshot newer = now - attemptStart < WRITE_FAST_FAILURE_NANOS
                        ? hold.awaitNewer(map.version(), Math.min(deadline, now + WRITE_RETRY_PAUSE_NANOS))
                        : mapSource.current();
                if (newer.version() != map.version()) {
                    Shard again = shardOf(newer, fleetOf(newer, req.tenantId(), req.fleetId()));
                    if (again.engine() != shard.engine()) {
                        sql = scans.scan(req.sql(), ShardDialect.of(again.engine()).sqlDialect());
                        checkPlaceholders(sql, req.params());
                    }
                    map = newer;
                    shard = again;
                }
                out.reset();
            } catch (WriteFencedProblem fenced) {
                long heldSince = System.nanoTime();
                if (!held) {
                    held = true;
                    holdStart = heldSince;
                }
                map = hold.awaitMove(req.tenantId(), req.fleetId(), shard.shardId(), map.version(), holdStart);
                deadline += System.nanoTime() - heldSince; // the hold does not count against the request timeout
                Shard moved = shardOf(map, fleetOf(map, req.tenantId(), req.fleetId()));
                if (moved.engine() != shard.engine()) {
                    sql = scans.scan(req.sql(), ShardDialect.of(moved.engine()).sqlDialect());
                    checkPlaceholders(sql, req.params());
                }
                shard = moved;
                out.reset();
            }
        }
    }

    private void run(Node node, Shard shard, ScannedSql sql, List<Object> params, TenantBinding tenant,
            long deadline, ResponseBuffer out) throws IOException {
        run(node, shard, sql, params, tenant, deadline, Long.MAX_VALUE, out);
    }

    private void run(Node node, Shard shard, ScannedSql sql, List<Object> params, TenantBinding tenant,
            long deadline, long connectWaitMs, ResponseBuffer out) throws IOException {
        NodePools.NodePool pool = pools.poolFor(node, shard.engine());
        NodeStatementRunner.run(pool, sql, params, tenant, deadline, requestTimeoutMs, connectWaitMs,
                (ps, resultSet, c, dialect) -> {
                    writeAnswer(out, shard, node, sql, ps, resultSet, c, dialect);
                    return null;
                });
    }

    /** Writes the {@code /v1/query} response body of the statement {@code ps} is on ({@code c} may be null for a read). */
    private static void writeAnswer(ResponseBuffer out, Shard shard, Node node, ScannedSql sql, PreparedStatement ps,
            boolean resultSet, java.sql.Connection c, ShardDialect dialect) throws SQLException, IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("shardId", shard.shardId());
            g.writeStringField("nodeId", node.nodeId());
            g.writeStringField("role", node.role().wireName());
            if (resultSet) {
                try (ResultSet rs = ps.getResultSet()) {
                    writeResultSet(g, rs, shard.engine());
                }
            } else {
                g.writeArrayFieldStart("columns");
                g.writeEndArray();
                g.writeArrayFieldStart("columnTypes");
                g.writeEndArray();
                g.writeArrayFieldStart("rows");
                g.writeEndArray();
                g.writeNumberField("updateCount", Math.max(0, ps.getUpdateCount()));
            }
            if (!sql.kind().isRead()) {
                LogPosition position = dialect.positionAfterWrite(c);
                if (position != null) {
                    g.writeStringField("token", new ConsistencyToken(shard.shardId(), shard.engine(), position).text());
                }
            }
            g.writeEndObject();
        }
    }

    /** The columns, their types and the rows of {@code rs}, alike on both engines (ADR 0050). */
    private static void writeResultSet(JsonGenerator g, ResultSet rs, Engine engine) throws SQLException, IOException {
        ResultSetMetaData md = rs.getMetaData();
        ColumnKind[] kinds = ColumnKind.of(md, engine);
        g.writeArrayFieldStart("columns");
        for (int i = 1; i <= kinds.length; i++) {
            g.writeString(md.getColumnLabel(i));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("columnTypes");
        for (int i = 1; i <= kinds.length; i++) {
            g.writeString(kinds[i - 1].typeName(engine, md.getColumnTypeName(i)));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("rows");
        while (rs.next()) {
            g.writeStartArray();
            for (int i = 0; i < kinds.length; i++) {
                kinds[i].write(g, rs, i + 1);
            }
            g.writeEndArray();
        }
        g.writeEndArray();
    }

    static ShardMapSnapshot loaded(ShardMapSnapshot map) {
        if (map.version() == 0) {
            throw ApiProblem.unavailable("the shard map is not loaded yet", 1);
        }
        return map;
    }

    static void requireTenant(ShardMapSnapshot map, String tenantId) {
        if (map.tenant(tenantId).isEmpty()) {
            throw ApiProblem.notFound("tenant '" + tenantId + "' is not registered (shard map version "
                    + map.version() + ")");
        }
    }

    private static Fleet fleetOf(ShardMapSnapshot map, String tenantId, String fleetId) {
        requireTenant(map, tenantId);
        return map.fleet(tenantId, fleetId).orElseThrow(() -> ApiProblem.notFound("fleet '" + fleetId
                + "' of tenant '" + tenantId + "' is not registered (shard map version " + map.version() + ")"));
    }

    private static Shard shardOf(ShardMapSnapshot map, Fleet fleet) {
        String shardId;
        try {
            shardId = map.shardFor(fleet);
        } catch (IllegalStateException e) {
            throw ApiProblem.unavailable("no shard owns fleet " + fleet.fleetId() + ": " + e.getMessage(), 5);
        }
        return shard(map, shardId);
    }

    static Shard shard(ShardMapSnapshot map, String shardId) {
        return map.shard(shardId).orElseThrow(() -> ApiProblem.unavailable("shard " + shardId
                + " is not in shard map version " + map.version(), 1));
    }

    static void checkPlaceholders(ScannedSql sql, List<Object> params) {
        if (sql.placeholders() != params.size()) {
            throw ApiProblem.badRequest("sql has " + sql.placeholders() + " ? placeholder"
                    + (sql.placeholders() == 1 ? "" : "s") + " but params has " + params.size() + " value"
                    + (params.size() == 1 ? "" : "s"));
        }
    }

    /**
     * A response body buffer reused by a server thread; {@link #copy()} hands out the bytes. It keeps at most
     * {@value #KEEP_AT_MOST} bytes between answers: a larger answer's array is dropped once copied, so a thread that
     * once answered a large result does not hold it for its lifetime (a blocking listener's connection thread, ADR
     * 0039, lives as long as its connection; 256 of them would otherwise hold up to two large arrays each).
     */
    static final class ResponseBuffer extends ByteArrayOutputStream {
        static final int KEEP_AT_MOST = 64 * 1024;
        private static final int INITIAL = 4096;

        ResponseBuffer() {
            super(INITIAL);
        }

        @Override
        public void write(byte[] b) {
            write(b, 0, b.length);
        }

        /** The bytes written since the last {@link #reset()}; then {@link #trim()}. */
        byte[] copy() {
            byte[] bytes = toByteArray();
            trim();
            return bytes;
        }

        /** Drops the array (and what was written) when it grew above {@value #KEEP_AT_MOST} bytes. */
        void trim() {
            if (buf.length > KEEP_AT_MOST) {
                buf = new byte[INITIAL];
                count = 0;
            }
        }

        /** The bytes this buffer holds on to (its array's length), written or not. */
        int capacity() {
            return buf.length;
        }
    }
}
