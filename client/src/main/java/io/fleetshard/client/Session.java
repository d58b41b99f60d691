package io.fleetshard.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A sequence of queries that sees its own writes. Each write's consistency token is remembered per tenant and fleet;
 * a later read of that fleet with {@link Consistency#READ_YOUR_WRITES} or {@link Consistency#bounded} sends it as
 * {@code afterToken}, so the router serves it from a replica that has replayed the write, or else from the primary.
 * A scatter of a tenant this session wrote is sent {@code strong} in those modes (the router takes no token there).
 *
 * <p>{@link FleetShardClient}'s own query methods use one session shared by all callers; take a
 * {@link FleetShardClient#session()} per user, request or unit of work to keep their tokens apart. Sessions are
 * thread-safe and cheap.
 *
 * <p>A remembered token names the shard that issued it. When the fleet has moved to another shard since, the router
 * refuses the token (400); the session then forgets it and sends the read once more {@code strong}, which the new
 * primary serves with every write the move carried over.
 */
public final class Session {
    private final RouterCalls calls;
    private final Consistency defaultConsistency;
    private final WriteTokens tokens = new WriteTokens();
    private final QueryCoalescer coalescer; // null unless the client's autoBatch is set

    Session(RouterCalls calls, Consistency defaultConsistency, FleetShardClient.AutoBatch autoBatch) {
        this.calls = calls;
        this.defaultConsistency = defaultConsistency;
        this.coalescer = autoBatch == null ? null : new QueryCoalescer(autoBatch, this::queryAlone, this::batch);
    }

    /** Runs one statement for one fleet with the client's default consistency. */
    public QueryResult query(String tenantId, String fleetId, String sql, Object... params) {
        return query(QueryRequest.builder(tenantId, fleetId, sql).params(params).build());
    }

    /**
     * Runs one statement for one fleet with the request's options. With the client's
     * {@link FleetShardClient.Builder#autoBatch auto-batching} on, a call made while other calls of this session and
     * tenant are on their way may be sent with them in one {@code POST /v1/query/batch} (ADR 0034); its answer, or
     * its typed exception, is the same as alone.
     */
    public QueryResult query(QueryRequest request) {
        return coalescer == null ? queryAlone(request) : coalescer.query(request);
    }

    /** {@link #query(QueryRequest)} in its own HTTP request. */
    private QueryResult queryAlone(QueryRequest request) {
        Consistency c = request.consistency() != null ? request.consistency() : defaultConsistency;
        String token = request.afterToken();
        boolean sessionToken = false;
        if (token == null && c.carriesSessionToken()) {
            token = tokens.last(request.tenantId(), request.fleetId());
            sessionToken = token != null;
        }
        QueryResult result;
        try {
            result = calls.query(request, c, token);
        } catch (InvalidQueryException e) {
            if (!sessionToken || !refusesToken(e)) {
                throw e;
            }
            tokens.forget(request.tenantId(), request.fleetId(), token);
            result = calls.query(request, Consistency.STRONG, null);
        }
        if (result.token().isPresent()) {
            tokens.remember(request.tenantId(), request.fleetId(), result.token().get());
        }
        return result;
    }

    /**
     * Runs {@code requests} in one HTTP request ({@code POST /v1/query/batch}, ADR 0031), in order, each exactly as
     * {@link #query(QueryRequest)} would run it alone (the router checks every item), and answers each in its own
     * {@link BatchResult.Item}: a failing request does not fail the others, and the requests are not one transaction.
     * For many small statements this saves an HTTP round trip per statement; a single statement gains nothing.
     *
     * <p>Read-your-writes: a request carries the session's token of its fleet as {@link #query} does; a request whose
     * fleet an earlier request of the same batch writes is sent {@code strong} in those modes (its token is not known
     * yet). Write tokens in the answers are remembered. A request whose remembered token the router refuses (the fleet
     * moved) is sent again alone, {@code strong}. The router takes at most {@code router.batch.max.items} requests
     * (64 by default; more is a {@link QueryRejectedException}) within {@code router.max.request.bytes}. Each item's
     * failure is not retried (a 503 item of a read may be sent again by the caller); the batch as a whole is retried
     * only when it never reached a router. The timeout is the largest of the requests' own, else the client's.
     *
     * @throws IllegalArgumentException when {@code requests} is empty
     */
    public BatchResult batch(List<QueryRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one request");
        }
        List<RouterJson.BatchEntry> entries = new ArrayList<>(requests.size());
        List<String> sessionTokens = new ArrayList<>(requests.size());
        Set<String> writtenHere = new HashSet<>();
        java.time.Duration timeout = null;
        for (QueryRequest r : requests) {
            Consistency c = r.consistency() != null ? r.consistency() : defaultConsistency;
            String token = r.afterToken();
            String sessionToken = null;
            String fleet = r.tenantId() + "/" + r.fleetId();
            if (token == null && c.carriesSessionToken()) {
                if (writtenHere.contains(fleet)) {
                    c = Consistency.STRONG;
                } else {
                    token = tokens.last(r.tenantId(), r.fleetId());
                    sessionToken = token;
                }
            }
            if (StatementKind.of(r.sql()) != StatementKind.READ) {
                writtenHere.add(fleet);
            }
            if (r.timeout() != null && (timeout == null || r.timeout().compareTo(timeout) > 0)) {
                timeout = r.timeout();
            }
            entries.add(new RouterJson.BatchEntry(r, c, token));
            sessionTokens.add(sessionToken);
        }
        List<RouterJson.BatchAnswer> answers = calls.batch(entries, timeout);
        List<BatchResult.Item> items = new ArrayList<>(answers.size());
        for (int i = 0; i < answers.size(); i++) {
            QueryRequest r = requests.get(i);
            RouterJson.BatchAnswer a = answers.get(i);
            BatchResult.Item item;
            if (a.result() != null) {
                item = new BatchResult.Item(a.result(), null);
            } else {
                boolean write = StatementKind.of(r.sql()) != StatementKind.READ;
                FleetShardException failure = a.problem().toException("POST " + RouterCalls.BATCH_PATH + " item " + i
                        + " for fleet " + r.tenantId() + "/" + r.fleetId(), write && a.problem().status() >= 503
                        && !Problem.FLEET_MOVING.equals(Problem.slugOf(a.problem().type())));
                String refused = sessionTokens.get(i);
                if (refused != null && failure instanceof InvalidQueryException && refusesToken(failure)) {
                    tokens.forget(r.tenantId(), r.fleetId(), refused);
                    try {
                        item = new BatchResult.Item(calls.query(r, Consistency.STRONG, null), null);
                    } catch (FleetShardException again) {
                        item = new BatchResult.Item(null, again);
                    }
                } else {
                    item = new BatchResult.Item(null, failure);
                }
            }
            if (item.ok() && item.result().token().isPresent()) {
                tokens.remember(r.tenantId(), r.fleetId(), item.result().token().get());
            }
            items.add(item);
        }
        return new BatchResult(items);
    }

    /** Tests: queries of this session waiting to be sent in a batch. */
    int waitingToBeBatched() {
        return coalescer == null ? 0 : coalescer.waiting();
    }

    /** Runs one read on every shard of the tenant, merged by the router. */
    public ScatterResult scatter(String tenantId, String sql, Object... params) {
        return scatter(ScatterRequest.builder(tenantId, sql).params(params).build());
    }

    /** Runs one read on every shard of the tenant with the request's options. */
    public ScatterResult scatter(ScatterRequest request) {
        Consistency c = request.consistency() != null ? request.consistency() : defaultConsistency;
        if (c.carriesSessionToken() && tokens.wroteTenant(request.tenantId())) {
            c = Consistency.STRONG;
        }
        return calls.scatter(request, c);
    }

    /** The token of this session's last write of the fleet, if any. */
    public Optional<String> lastWriteToken(String tenantId, String fleetId) {
        return Optional.ofNullable(tokens.last(tenantId, fleetId));
    }

    /**
     * The router's 400 for a token of another shard than the fleet's (router QueryEndpoints: "afterToken ... was
     * issued by shard ..."), or for a token it cannot read.
     */
    static boolean refusesToken(FleetShardException e) {
        String d = e.detail();
        return d != null && d.startsWith("afterToken ");
    }
}
