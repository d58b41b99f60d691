package io.fleetshard.client;

import java.util.Optional;

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

    Session(RouterCalls calls, Consistency defaultConsistency) {
        this.calls = calls;
        this.defaultConsistency = defaultConsistency;
    }

    /** Runs one statement for one fleet with the client's default consistency. */
    public QueryResult query(String tenantId, String fleetId, String sql, Object... params) {
        return query(QueryRequest.builder(tenantId, fleetId, sql).params(params).build());
    }

    /** Runs one statement for one fleet with the request's options. */
    public QueryResult query(QueryRequest request) {
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
