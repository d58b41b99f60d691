package io.fleetshard.archive.format;

import java.util.List;
import java.util.Objects;

/**
 * A decoded segment: its header and its events in offset order. {@code keys} lists, per tenant whose records are
 * sealed, the wrapped data key (format version 2, ADR 0025); empty for a plain segment.
 */
public record Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events,
                      List<TenantKey> keys) {
    public Segment {
        events = List.copyOf(events);
        keys = List.copyOf(keys);
    }

    public Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events) {
        this(shard, topic, fromOffset, toOffset, events, List.of());
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
}
