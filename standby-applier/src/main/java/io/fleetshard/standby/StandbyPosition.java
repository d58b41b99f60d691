package io.fleetshard.standby;

import java.util.Objects;

/**
 * A row of {@code fleetshard_standby_position}: the last manifest wholly applied and its hash, which the next manifest
 * must name as {@code previousSha256}. Seq 0 (hash of zeros) means nothing applied yet.
 */
public record StandbyPosition(String shardId, long manifestSeq, String manifestSha256, long nextOffset, String lastPosition,
                              long lastCommitTsMs, long appliedAtMs) {
    static final String NO_MANIFEST_SHA = "0".repeat(64);

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
