package io.fleetshard.archive.format;

import java.util.Objects;

/** One change event of a segment: its shard-log offset and the Kafka record value (the change envelope), as is. */
public record ArchivedEvent(long offset, byte[] event) {
    public ArchivedEvent {
        Objects.requireNonNull(event, "event");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be non-negative, got " + offset);
        }
    }
}
