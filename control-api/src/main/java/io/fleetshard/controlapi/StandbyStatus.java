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
}
