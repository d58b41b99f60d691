package io.fleetshard.controlapi;

import java.time.Instant;

/**
 * The monitor's view of one node after its last probe.
 *
 * @param lastSuccessAt null if no probe ever succeeded
 * @param lastError the last failure's message, kept until a probe succeeds again
 * @param replicationLagMs replicas: how far behind the primary the node's data is in time, null when not known
 * @param replicationLagBytes PostgreSQL replicas: WAL bytes between the primary's position and the replica's replay
 *        position, null when not known
 */
record NodeHealth(HealthStatus status, Instant lastProbeAt, Instant lastSuccessAt, int consecutiveFailures,
        String lastError, long probeLatencyMs, Long replicationLagMs, Long replicationLagBytes) {

    static final NodeHealth UNKNOWN = new NodeHealth(HealthStatus.UNKNOWN, null, null, 0, null, 0, null, null);
}
