package io.fleetshard.archive.format;

import java.util.Objects;

/** A segment as its manifest lists it: where it is, which shard-log offsets it holds, and its checksum. */
public record SegmentRef(String key, long fromOffset, long toOffset, int records, long bytes, String sha256,
                         String firstPosition, String lastPosition, long firstCommitTsMs, long lastCommitTsMs) {
    public SegmentRef {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sha256, "sha256");
        if (fromOffset < 0 || toOffset < fromOffset) {
            throw new IllegalArgumentException("segment " + key + ": offsets must satisfy 0 <= from <= to, got "
                    + fromOffset + ".." + toOffset);
        }
        if (records < 1 || records > toOffset - fromOffset + 1) {
            throw new IllegalArgumentException("segment " + key + ": " + records + " records cannot fit offsets "
                    + fromOffset + ".." + toOffset);
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("segment " + key + ": sha256 must be 64 lower-case hex digits");
        }
    }
}
