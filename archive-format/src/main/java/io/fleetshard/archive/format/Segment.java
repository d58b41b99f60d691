package io.fleetshard.archive.format;

import java.util.List;
import java.util.Objects;

/**
 * A decoded segment: its header and its events in offset order. {@code keys} lists, per tenant whose records are
 * sealed, the wrapped data key (format versions 2 and 3, ADR 0025); empty for a plain segment. {@code blocks} holds the
 * still sealed, compressed record blocks of a version 3 segment (ADR 0028): their records are not in {@code events}
 * until the segment is opened ({@link SegmentCodec#open}); an opened segment has no blocks.
 */
public record Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events,
                      List<TenantKey> keys, List<SealedBlock> blocks) {
    public Segment {
        events = List.copyOf(events);
        keys = List.copyOf(keys);
        blocks = List.copyOf(blocks);
    }

    public Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events,
                   List<TenantKey> keys) {
        this(shard, topic, fromOffset, toOffset, events, keys, List.of());
    }

    public Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events) {
        this(shard, topic, fromOffset, toOffset, events, List.of(), List.of());
    }

    /** How many records the segment holds: its events plus the records of its sealed blocks (no key needed). */
    public long records() {
        long n = events.size();
        for (SealedBlock b : blocks) {
            n += b.records();
        }
        return n;
    }

    /** The data key of one tenant's records in this segment, wrapped by the tenant's key {@code keyId}. */
    public record TenantKey(String tenant, String keyId, String algorithm, byte[] wrappedKey) {
        public TenantKey {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(wrappedKey, "wrappedKey");
        }
    }

    /**
     * A sealed block of a version 3 segment (ADR 0028): {@code records} records of {@code tenant} at offsets
     * {@code fromOffset..toOffset} (first and last; the tenant's records between them, other tenants' records
     * interleave), gzipped as record lines, then AES-256-GCM under the tenant's data key ({@code sealed}).
     */
    public record SealedBlock(String tenant, long fromOffset, long toOffset, long records, byte[] sealed) {
        public SealedBlock {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(sealed, "sealed");
            if (fromOffset < 0 || toOffset < fromOffset || records < 1 || records > toOffset - fromOffset + 1) {
                throw new IllegalArgumentException("a block of tenant " + tenant + " holds " + records + " records at offsets "
                        + fromOffset + ".." + toOffset);
            }
        }
    }
}
