package io.fleetshard.router;

/** A PostgreSQL WAL position ({@code pg_lsn}), printed as two hex halves: {@code 16/B374D848}. */
record Lsn(long value) implements LogPosition, Comparable<Lsn> {

    /** Parses {@code X/Y}; throws {@link IllegalArgumentException} naming the value when it is not an LSN. */
    static Lsn parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || slash > 8 || text.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not a PostgreSQL LSN (X/Y in hex): '" + text + "'");
        }
        try {
            long hi = Long.parseLong(text, 0, slash, 16);
            long lo = Long.parseLong(text, slash + 1, text.length(), 16);
            return new Lsn(hi << 32 | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a PostgreSQL LSN (X/Y in hex): '" + text + "'", e);
        }
    }

    @Override
    public boolean covers(LogPosition other) {
        return other instanceof Lsn o && Long.compareUnsigned(value, o.value) >= 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String text() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase();
    }

    @Override
    public String toString() {
        return text();
    }
}
