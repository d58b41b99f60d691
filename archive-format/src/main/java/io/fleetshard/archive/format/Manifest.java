package io.fleetshard.archive.format;

import java.util.List;
import java.util.Objects;

/** One step of a shard's archive: the segments it adds, linked to the previous manifest by its hash. */
public record Manifest(String shard, String tier, String topic, long seq, String previousSha256,
                       List<SegmentRef> segments, long nextOffset, long createdMs, String writer) {
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
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("manifest " + seq + " lists no segment");
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
    }

    public SegmentRef lastSegment() {
        return segments.get(segments.size() - 1);
    }

    public long records() {
        return segments.stream().mapToLong(SegmentRef::records).sum();
    }
}
