package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;

/**
 * The node refused a statement because it is read-only (SQLSTATE 25006): the statement did not run. For a read routed
 * there, or a write hidden in one, it is the caller's error (422). A write sent to a primary meets it while the primary
 * is frozen for a switchover or fenced after a failover (ADR 0015): {@link QueryEndpoints} then follows the map to
 * the new primary, and answers 503 if none takes the write before the request's deadline.
 */
final class ReadOnlyNodeProblem extends ApiProblem {
    private final String nodeId;

    ReadOnlyNodeProblem(String nodeId, String message) {
        super(422, "unprocessable", "Rejected by the shard", message, null);
        this.nodeId = nodeId;
    }

    /** What a write answers when no primary took it in time. */
    ApiProblem asUnavailable() {
        return ApiProblem.unavailable("node " + nodeId + " takes no writes (a switchover or failover is in"
                + " progress) and no other primary took the write in time: " + detail(), 1);
    }
}
