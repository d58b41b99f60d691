package io.fleetshard.controlapi;

/**
 * What one probe of one node found. Positions and lags are null where the engine or the node's role does not have
 * them, or the probe failed.
 *
 * @param error why the probe failed, or null when it connected and ran {@code SELECT 1}
 * @param latencyMs the probe's queries on its connection (kept between rounds); a failed probe: the whole attempt,
 *                  connecting included
 * @param inRecovery PostgreSQL: whether the server is a standby ({@code pg_is_in_recovery()}); else null
 * @param walPosition PostgreSQL primary: {@code pg_current_wal_lsn()}; replica: {@code pg_last_wal_replay_lsn()}
 * @param receivedPosition PostgreSQL replica: {@code pg_last_wal_receive_lsn()}
 * @param replayAgeMs PostgreSQL replica: now minus {@code pg_last_xact_replay_timestamp()}
 * @param reportedLagMs MySQL/MariaDB replica: {@code Seconds_Behind_Master}/{@code Seconds_Behind_Source} in ms
 * @param semiSync MariaDB primary with {@code rpl_semi_sync_master_enabled}: whether semi-sync is on or fell back to
 *        asynchronous; else null
 */
record ProbeResult(String error, long latencyMs, Boolean inRecovery, PgLsn walPosition, PgLsn receivedPosition,
        Long replayAgeMs, Long reportedLagMs, SemiSync semiSync) {

    ProbeResult(String error, long latencyMs, Boolean inRecovery, PgLsn walPosition, PgLsn receivedPosition,
            Long replayAgeMs, Long reportedLagMs) {
        this(error, latencyMs, inRecovery, walPosition, receivedPosition, replayAgeMs, reportedLagMs, null);
    }

    /**
     * A MariaDB primary's semi-synchronous replication (ADR 0024): {@code on} is {@code Rpl_semi_sync_master_status};
     * off while it is enabled means the primary stopped waiting for a replica's acknowledgement (none came within
     * {@code rpl_semi_sync_master_timeout}) and commits asynchronously: RPO 0 no longer holds until a replica catches
     * up. {@code asyncCommits} is {@code Rpl_semi_sync_master_no_tx}: commits not acknowledged by a replica since
     * the server started.
     */
    record SemiSync(boolean on, long asyncCommits) {
    }

    static ProbeResult failed(String error, long latencyMs) {
        return new ProbeResult(error, latencyMs, null, null, null, null, null);
    }

    static ProbeResult up(long latencyMs) {
        return new ProbeResult(null, latencyMs, null, null, null, null, null);
    }

    boolean ok() {
        return error == null;
    }
}
