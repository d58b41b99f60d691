package io.fleetshard.router;

import java.util.Arrays;

/**
 * A MariaDB GTID position ({@code @@gtid_binlog_pos}, {@code @@gtid_slave_pos}): the last GTID
 * {@code domain-server-seq} of each replication domain, comma separated; empty when nothing was logged. Within a
 * domain sequence numbers grow, so a position covers another when it is at or past it in every domain of the other.
 */
record GtidPosition(long[] domains, long[] servers, long[] seqs) implements LogPosition {

    static GtidPosition parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("not a MariaDB GTID position: null");
        }
        String t = text.trim();
        if (t.isEmpty()) {
            return new GtidPosition(new long[0], new long[0], new long[0]);
        }
        String[] parts = t.split(",");
        long[][] rows = new long[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            String[] f = parts[i].trim().split("-");
            if (f.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID position (domain-server-seq,...): '" + text + "'");
            }
            try {
                rows[i] = new long[] {Long.parseUnsignedLong(f[0]), Long.parseUnsignedLong(f[1]),
                        Long.parseUnsignedLong(f[2])};
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID position (domain-server-seq,...): '" + text
                        + "'", e);
            }
        }
        Arrays.sort(rows, (a, b) -> Long.compareUnsigned(a[0], b[0]));
        long[] d = new long[rows.length];
        long[] s = new long[rows.length];
        long[] q = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            if (i > 0 && rows[i][0] == rows[i - 1][0]) {
                throw new IllegalArgumentException("GTID position lists domain " + rows[i][0] + " twice: '" + text + "'");
            }
            d[i] = rows[i][0];
            s[i] = rows[i][1];
            q[i] = rows[i][2];
        }
        return new GtidPosition(d, s, q);
    }

    @Override
    public boolean covers(LogPosition other) {
        if (!(other instanceof GtidPosition o)) {
            return false;
        }
        for (int i = 0; i < o.domains.length; i++) {
            int at = indexOf(o.domains[i]);
            if (at < 0 || Long.compareUnsigned(seqs[at], o.seqs[i]) < 0) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(long domain) {
        for (int i = 0; i < domains.length; i++) {
            if (domains[i] == domain) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String text() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < domains.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(Long.toUnsignedString(domains[i])).append('-').append(Long.toUnsignedString(servers[i]))
                    .append('-').append(Long.toUnsignedString(seqs[i]));
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidPosition g && Arrays.equals(domains, g.domains) && Arrays.equals(servers, g.servers)
                && Arrays.equals(seqs, g.seqs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(seqs) * 31 + Arrays.hashCode(domains);
    }

    @Override
    public String toString() {
        return text();
    }
}
