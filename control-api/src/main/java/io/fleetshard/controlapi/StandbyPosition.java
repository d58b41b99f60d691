package io.fleetshard.controlapi;

import java.util.Objects;

/**
 * A warm standby's row of {@code fleetshard_standby_position} for one shard, as the standby applier wrote it in the
 * same transaction as the changes it applied ({@code docs/spec/archive.md} "Applying").
 *
 * @param manifestSeq last manifest wholly applied
 * @param manifestSha256 its hash
 * @param nextOffset that manifest's {@code nextOffset} in the shard log
 * @param lastPosition source position of the last applied change: PostgreSQL LSN {@code X/Y}; MySQL/MariaDB
 *        {@code <gtid>@<binlog file>:<pos>#<row>}
 * @param lastCommitTsMs source commit time of the last applied change, epoch ms
 * @param appliedAtMs when the applier's transaction committed on the standby, epoch ms
 * @param watermarkTsMs commit time of the newest capture watermark the standby applied through (ADR 0048), 0 when none
 *        (or the applier predates the column)
 */
record StandbyPosition(String shardId, long manifestSeq, String manifestSha256, long nextOffset, String lastPosition,
        long lastCommitTsMs, long appliedAtMs, long watermarkTsMs) {

    StandbyPosition(String shardId, long manifestSeq, String manifestSha256, long nextOffset, String lastPosition,
            long lastCommitTsMs, long appliedAtMs) {
        this(shardId, manifestSeq, manifestSha256, nextOffset, lastPosition, lastCommitTsMs, appliedAtMs, 0);
    }

    /** The standby holds every change committed on the primary before this time, epoch ms (0: nothing known). */
    long caughtUpTsMs() {
        return Math.max(lastCommitTsMs, watermarkTsMs);
    }

    StandbyPosition {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(manifestSha256, "manifestSha256");
        Objects.requireNonNull(lastPosition, "lastPosition");
        if (manifestSeq < 1) {
            throw new IllegalArgumentException("manifest_seq of shard " + shardId + " must be at least 1, got "
                    + manifestSeq);
        }
    }
}
