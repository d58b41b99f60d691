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
 * @param semiSync MariaDB primaries: semi-sync as the last successful probe found it (kept while probes fail: what
 *        a failover's declare step reports of a dead primary), null when not semi-synchronous or not known
 * @param semiSyncOffSince when a probe first found semi-sync off after it was on (or at the first probe), null while on
 */
record NodeHealth(HealthStatus status, Instant lastProbeAt, Instant lastSuccessAt, int consecutiveFailures,
        String lastError, long probeLatencyMs, Long replicationLagMs, Long replicationLagBytes,
        ProbeResult.SemiSync semiSync, Instant semiSyncOffSince) {

    static final NodeHealth UNKNOWN = new NodeHealth(HealthStatus.UNKNOWN, null, null, 0, null, 0, null, null, null,
            null);

    NodeHealth(HealthStatus status, Instant lastProbeAt, Instant lastSuccessAt, int consecutiveFailures,
            String lastError, long probeLatencyMs, Long replicationLagMs, Long replicationLagBytes) {
        this(status, lastProbeAt, lastSuccessAt, consecutiveFailures, lastError, probeLatencyMs, replicationLagMs,
                replicationLagBytes, null, null);
    }

    /** A primary whose last successful probe found semi-sync enabled but fallen back to asynchronous. */
    boolean semiSyncFellBack() {
        return semiSync != null && !semiSync.on();
    }
}
