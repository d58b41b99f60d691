package io.fleetshard.archive.format;

import java.util.Objects;

/**
 * Capture's watermark as a manifest carries it (ADR 0048, docs/spec/archive.md "Watermark"): the shard-log record at
 * {@code offset} says that every change committed on the shard before {@code commitTsMs} lies at a lower offset of
 * the shard log. A manifest carries one only if it archives through {@code offset} ({@code offset < nextOffset}), so
 * a standby that applied that manifest holds every change committed before {@code commitTsMs}.
 *
 * @param offset shard-log offset of the watermark record
 * @param position source position of the heartbeat it came from (PostgreSQL LSN; MariaDB {@code <gtid>@<file>:<pos>#<row>})
 * @param commitTsMs source commit time of that heartbeat, epoch ms (MariaDB: second precision, rounded down)
 */
public record Watermark(long offset, String position, long commitTsMs) {
    public Watermark {
        Objects.requireNonNull(position, "position");
        if (offset < 0) {
            throw new IllegalArgumentException("watermark offset must not be negative, got " + offset);
        }
    }

    /** The newer of two watermarks (by offset); either may be null. */
    public static Watermark newer(Watermark a, Watermark b) {
        if (a == null) {
            return b;
        }
        return b == null || a.offset() >= b.offset() ? a : b;
    }
}
