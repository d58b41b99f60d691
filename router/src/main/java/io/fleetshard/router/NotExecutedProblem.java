package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;

/**
 * A node's pool handed out no connection in time (the node is down, refusing, or saturated): nothing was sent to the
 * node, so the statement can be tried again elsewhere. A write whose primary is down waits for a failover this way
 * ({@link QueryEndpoints}); answered as is, it is a 503 with {@code Retry-After}.
 */
final class NotExecutedProblem extends ApiProblem {
    NotExecutedProblem(String detail) {
        super(503, "unavailable", "Service unavailable", detail, 1);
    }
}
