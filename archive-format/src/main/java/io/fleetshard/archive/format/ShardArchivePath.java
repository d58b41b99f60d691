package io.fleetshard.archive.format;

import java.util.Set;

/**
 * Where one shard's archive lives in its bucket: {@code <tier>/<shard>/} with segments, manifests and snapshots below
 * (docs/spec/archive.md). Numbers are zero-padded to 20 digits so key order is numeric order.
 */
public record ShardArchivePath(String tier, String shardId) {
    public static final Set<String> TIERS = Set.of("standard", "enhanced", "platinum");
    private static final String SEGMENT_SUFFIX = ".jsonl.gz";

    public ShardArchivePath {
        if (tier == null || !TIERS.contains(tier)) {
            throw new IllegalArgumentException("tier must be one of standard, enhanced, platinum, got '" + tier + "'");
        }
        if (shardId == null || !shardId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new IllegalArgumentException("shard id must be 1-128 of [A-Za-z0-9._-], got '" + shardId + "'");
        }
    }

    public String prefix() {
        return tier + "/" + shardId + "/";
    }

    public String segmentsPrefix() {
        return prefix() + "segments/";
    }

    public String manifestsPrefix() {
        return prefix() + "manifests/";
    }

    public String snapshotsPrefix() {
        return prefix() + "snapshots/";
    }

    public String segmentKey(long fromOffset, long toOffset) {
        return segmentsPrefix() + pad(fromOffset) + "-" + pad(toOffset) + SEGMENT_SUFFIX;
    }

    public String manifestKey(long seq) {
        return manifestsPrefix() + pad(seq) + ".json";
    }

    /** The descriptor of the base snapshot taken after manifest {@code manifestSeq}; written after its parts. */
    public String snapshotKey(long manifestSeq) {
        return snapshotsPrefix() + pad(manifestSeq) + "/snapshot.json";
    }

    public String snapshotPartKey(long manifestSeq, String table, int part) {
        return snapshotsPrefix() + pad(manifestSeq) + "/" + table + "-" + String.format("%05d", part) + SEGMENT_SUFFIX;
    }

    /** Whether {@code key} is named as one of this shard's segments ({@code <20 digits>-<20 digits>.jsonl.gz}). */
    public boolean isSegmentKey(String key) {
        return key.startsWith(segmentsPrefix()) && key.endsWith(SEGMENT_SUFFIX)
                && key.substring(segmentsPrefix().length(), key.length() - SEGMENT_SUFFIX.length()).matches("\\d{20}-\\d{20}");
    }

    /** The seq of a manifest key of this shard, or -1 if the key is not one. */
    public long manifestSeqOf(String key) {
        if (!key.startsWith(manifestsPrefix()) || !key.endsWith(".json")) {
            return -1;
        }
        String digits = key.substring(manifestsPrefix().length(), key.length() - ".json".length());
        return digits.matches("\\d{20}") ? Long.parseLong(digits) : -1;
    }

    /** The manifest seq a snapshot descriptor key belongs to, or -1 if the key is not one. */
    public long snapshotSeqOf(String key) {
        if (!key.startsWith(snapshotsPrefix()) || !key.endsWith("/snapshot.json")) {
            return -1;
        }
        String digits = key.substring(snapshotsPrefix().length(), key.length() - "/snapshot.json".length());
        return digits.matches("\\d{20}") ? Long.parseLong(digits) : -1;
    }

    static String pad(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("archive numbers are non-negative, got " + n);
        }
        return String.format("%020d", n);
    }
}
