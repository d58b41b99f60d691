package io.fleetshard.controlapi;

import java.time.Instant;

/**
 * The monitor's view of one shard's archive after the last round.
 *
 * @param latest the newest manifest; null when the archive has none yet or could not be read
 * @param error why the archive could not be read; null when it was
 * @param readAt when the round read it
 * @param behindBytes PostgreSQL: WAL bytes from the newest manifest's {@code lastPosition} to the primary's
 *        {@code pg_current_wal_lsn()} read after it in the same round; null when either is unknown
 */
record ArchiveStatus(LatestManifest latest, String error, Instant readAt, Long behindBytes) {

    static ArchiveStatus failed(String error, Instant readAt) {
        return new ArchiveStatus(null, error, readAt, null);
    }

    boolean ok() {
        return error == null;
    }
}
