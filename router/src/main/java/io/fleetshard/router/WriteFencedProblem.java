package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;

/**
 * A write the shard refused with SQLSTATE {@value FleetSchema#FENCED}: its fleet is fenced there by a reshard job
 * (ADR 0013), and the statement changed nothing. {@link QueryEndpoints} holds such a write ({@link WriteHold}); answered
 * as is (503), it tells the client to retry.
 */
final class WriteFencedProblem extends ApiProblem {
    WriteFencedProblem(String nodeId, String message) {
        super(503, "fleet-moving", "Fleet is being moved", "node " + nodeId + " refused the write: " + message, 1);
    }
}
