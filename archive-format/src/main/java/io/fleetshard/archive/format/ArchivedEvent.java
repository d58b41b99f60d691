package io.fleetshard.archive.format;

import java.util.Objects;

/**
 * One change event of a segment: its shard-log offset and the Kafka record value (the change envelope), as is. A
 * record still sealed (ADR 0025) names its tenant in {@code sealedFor} and holds AES-GCM ciphertext in {@code event};
 * {@link ArchiveReader#segment} hands out opened events only.
 */
public record ArchivedEvent(long offset, byte[] event, String sealedFor) {
    public ArchivedEvent {
        Objects.requireNonNull(event, "event");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be non-negative, got " + offset);
        }
    }

    /** A plain (not sealed) event. */
    public ArchivedEvent(long offset, byte[] event) {
        this(offset, event, null);
    }

    public boolean sealed() {
        return sealedFor != null;
    }
}
