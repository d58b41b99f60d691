package io.fleetshard.controlapi;

import java.time.Instant;

/**
 * The monitor's view of one warm standby after the last round.
 *
 * @param reading its position row, or why it could not be read
 * @param readAt when the round read it
 * @param behindBytes PostgreSQL: WAL bytes from the standby's {@code last_position} to the primary's
 *        {@code pg_current_wal_lsn()} read after it in the same round; null when either is unknown
 */
record StandbyStatus(StandbyReading reading, Instant readAt, Long behindBytes) {

    /**
     * Now minus the time before which the standby holds every change of the primary (its newest applied watermark, or
     * its last applied change if later: ADR 0048); null when the row was not read. Small on an idle shard whose chain
     * works; it grows when capture, the shard log, the archiver, S3 or the applier is stuck.
     */
    Long appliedLagMs(long nowMs) {
        return reading.ok() ? Math.max(0, nowMs - reading.position().caughtUpTsMs()) : null;
    }

    /**
     * Manifests the archive holds that the standby has not applied: the newest manifest's seq minus the applied one,
     * never negative (the archive is read after the standby in a round, but a standby may be read mid-step); null when
     * either is unknown.
     */
    Long manifestsBehind(LatestManifest archive) {
        return reading.ok() && archive != null
                ? Math.max(0, archive.seq() - reading.position().manifestSeq()) : null;
    }

    /**
     * How far the standby trails the archive, in source time: the time the archive is complete through minus the one
     * the standby is, never negative; null when either is unknown.
     */
    Long archiveLagMs(LatestManifest archive) {
        return reading.ok() && archive != null
                ? Math.max(0, archive.lastCommitTsMs() - reading.position().caughtUpTsMs()) : null;
    }
}
