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

    /** Now minus the source commit time of the last applied change; null when the row was not read. */
    Long appliedLagMs(long nowMs) {
        return reading.ok() ? Math.max(0, nowMs - reading.position().lastCommitTsMs()) : null;
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
     * Source commit time of the newest archived change minus that of the last applied change, never negative: how far
     * the standby trails the archive, in source time; null when either is unknown.
     */
    Long archiveLagMs(LatestManifest archive) {
        return reading.ok() && archive != null
                ? Math.max(0, archive.lastCommitTsMs() - reading.position().lastCommitTsMs()) : null;
    }
}
