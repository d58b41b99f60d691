package io.fleetshard.archive.format;

import java.util.List;
import java.util.Objects;

/**
 * One step of a shard's archive: the segments it adds, linked to the previous manifest by its hash, and the newest
 * capture watermark it archives through (null: none). A manifest without segments carries a watermark: it only moves
 * the archive's watermark on an idle shard (ADR 0048).
 */
public record Manifest(String shard, String tier, String topic, long seq, String previousSha256,
                       List<SegmentRef> segments, long nextOffset, long createdMs, String writer, Watermark watermark) {

    /** A manifest without a watermark (format version 1). */
    public Manifest(String shard, String tier, String topic, long seq, String previousSha256, List<SegmentRef> segments,
                    long nextOffset, long createdMs, String writer) {
        this(shard, tier, topic, seq, previousSha256, segments, nextOffset, createdMs, writer, null);
    }

    public Manifest {
        Objects.requireNonNull(shard, "shard");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(writer, "writer");
        if (seq < 1) {
            throw new IllegalArgumentException("manifest seq starts at 1, got " + seq);
        }
        if ((seq == 1) != (previousSha256 == null)) {
            throw new IllegalArgumentException("manifest " + seq + ": previousSha256 is null exactly for seq 1");
        }
        segments = List.copyOf(segments);
        if (segments.isEmpty() && watermark == null) {
            throw new IllegalArgumentException("manifest " + seq + " lists no segment and carries no watermark");
        }
        long prevTo = -1;
        for (SegmentRef s : segments) {
            if (s.fromOffset() <= prevTo) {
                throw new IllegalArgumentException("manifest " + seq + ": segment " + s.key() + " overlaps the one before");
            }
            prevTo = s.toOffset();
        }
        if (nextOffset <= prevTo) {
            throw new IllegalArgumentException("manifest " + seq + ": nextOffset " + nextOffset
                    + " must be beyond its last segment's toOffset " + prevTo);
        }
        if (watermark != null && watermark.offset() >= nextOffset) {
            throw new IllegalArgumentException("manifest " + seq + ": its watermark at offset " + watermark.offset()
                    + " is not below nextOffset " + nextOffset);
        }
    }

    /** The last listed segment; a manifest without segments (a watermark only) has none: check {@link #hasSegments}. */
    public SegmentRef lastSegment() {
        if (segments.isEmpty()) {
            throw new IllegalStateException("manifest " + seq + " lists no segment (it carries a watermark only)");
        }
        return segments.get(segments.size() - 1);
    }

    public boolean hasSegments() {
        return !segments.isEmpty();
    }

    /**
     * The source time before which every change of the shard is archived through this manifest: its watermark's commit
     * time, or its last segment's last commit time if later; 0 when it has neither.
     */
    public long archivedThroughTsMs() {
        long events = segments.isEmpty() ? 0 : lastSegment().lastCommitTsMs();
        return Math.max(events, watermark == null ? 0 : watermark.commitTsMs());
    }

    public long records() {
        return segments.stream().mapToLong(SegmentRef::records).sum();
    }
}
