package io.fleetshard.controlapi;

import java.util.Locale;

/**
 * A PostgreSQL WAL position ({@code pg_lsn}), written {@code XXXXXXXX/XXXXXXXX}: the high and low 32 bits in hex. The
 * byte distance between two positions is their difference.
 */
record PgLsn(long value) implements Comparable<PgLsn> {

    static PgLsn parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 1 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not a PostgreSQL LSN (XXXXXXXX/XXXXXXXX): '" + text + "'");
        }
        try {
            long hi = Long.parseLong(text.substring(0, slash), 16);
            long lo = Long.parseLong(text.substring(slash + 1), 16);
            return new PgLsn(hi << 32 | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a PostgreSQL LSN (XXXXXXXX/XXXXXXXX): '" + text + "'", e);
        }
    }

    /** Bytes of WAL from {@code earlier} to this position; 0 if {@code earlier} is not before it. */
    long bytesAfter(PgLsn earlier) {
        return Long.compareUnsigned(value, earlier.value) > 0 ? value - earlier.value : 0;
    }

    @Override
    public int compareTo(PgLsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(Locale.ROOT) + "/"
                + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }
}
