package io.fleetshard.standby;

import java.util.Objects;

/**
 * A row of {@code fleetshard_standby_position}: the last manifest wholly applied and its hash, which the next manifest
 * must name as {@code previousSha256}. Seq 0 (hash of zeros) means nothing applied yet. {@code watermarkTsMs} is the
 * commit time of the newest capture watermark applied through (ADR 0048; 0: none): the standby holds every change
 * committed on the primary before it.
 */
public record StandbyPosition(String shardId, long manifestSeq, String manifestSha256, long nextOffset, String lastPosition,
                              long lastCommitTsMs, long appliedAtMs, long watermarkTsMs) {
    static final String NO_MANIFEST_SHA = "0".repeat(64);

    /** A position without a watermark (a restore, or an archive written before ADR 0048). */
    public StandbyPosition(String shardId, long manifestSeq, String manifestSha256, long nextOffset, String lastPosition,
                           long lastCommitTsMs, long appliedAtMs) {
        this(shardId, manifestSeq, manifestSha256, nextOffset, lastPosition, lastCommitTsMs, appliedAtMs, 0);
    }

    /**
     * The source time before which the standby holds every change of the shard: the later of its watermark and the
     * last applied commit time; 0 when nothing is known. Now minus this is the standby's lag (its RPO if promoted).
     */
    public long caughtUpTsMs() {
        return Math.max(lastCommitTsMs, watermarkTsMs);
    }

    public StandbyPosition {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(lastPosition, "lastPosition");
        if (manifestSeq < 0) {
            throw new IllegalArgumentException("manifest seq must be non-negative, got " + manifestSeq);
        }
        if (manifestSha256 == null || !manifestSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("manifest sha256 must be 64 lower-case hex digits, got '" + manifestSha256 + "'");
        }
    }
}
