package io.fleetshard.cdc;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A MariaDB GTID position ({@code @@gtid_binlog_pos}, or the {@code gtids} of a stored MariaDB offset): per
 * replication domain the last GTID, {@code domain-server-sequence}, comma-separated. With {@code gtid_strict_mode}
 * sequences rise within a domain, so a server holds a transaction of domain d exactly when its sequence in d is not
 * lower (ADR 0029).
 */
record MariaDbGtidPosition(Map<Long, Gtid> byDomain) {
    static final MariaDbGtidPosition EMPTY = new MariaDbGtidPosition(Map.of());

    MariaDbGtidPosition {
        byDomain = Map.copyOf(byDomain);
    }

    /** One MariaDB GTID. */
    record Gtid(long domain, long server, long sequence) {
        static Gtid parse(String text) {
            String[] parts = text.trim().split("-");
            if (parts.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + text + "'");
            }
            try {
                return new Gtid(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + text + "'", e);
            }
        }

        /** Whether {@code text} looks like a MariaDB GTID (a MySQL one is {@code uuid:n}). */
        static boolean isGtid(String text) {
            return text != null && text.matches("\\d+-\\d+-\\d+");
        }

        @Override
        public String toString() {
            return domain + "-" + server + "-" + sequence;
        }
    }

    /** Parses {@code 0-1-100,3-3-7}; blank or null is {@link #EMPTY}. */
    static MariaDbGtidPosition parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Map<Long, Gtid> out = new TreeMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            Gtid g = Gtid.parse(part);
            out.merge(g.domain(), g, (a, b) -> a.sequence() >= b.sequence() ? a : b);
        }
        return new MariaDbGtidPosition(out);
    }

    /** Whether this position holds {@code gtid}: its domain is here with a sequence not lower. */
    boolean holds(Gtid gtid) {
        Gtid own = byDomain.get(gtid.domain());
        return own != null && own.sequence() >= gtid.sequence();
    }

    /**
     * This position cut back to what {@code server} holds: per domain the lower of the two (the server's GTID where
     * the server is behind), a domain the server has none of left out. Equal to this when the server holds it all.
     */
    MariaDbGtidPosition cutTo(MariaDbGtidPosition server) {
        Map<Long, Gtid> out = new TreeMap<>();
        byDomain.forEach((domain, gtid) -> {
            if (server.holds(gtid)) {
                out.put(domain, gtid);
            } else if (server.byDomain.containsKey(domain)) {
                out.put(domain, server.byDomain.get(domain));
            }
        });
        return new MariaDbGtidPosition(out);
    }

    /** The domains where this position is ahead of {@code server}, as {@code server's GTID (or none) < this GTID}. */
    Map<Long, String> aheadOf(MariaDbGtidPosition server) {
        Map<Long, String> out = new TreeMap<>();
        byDomain.forEach((domain, gtid) -> {
            if (!server.holds(gtid)) {
                Gtid theirs = server.byDomain.get(domain);
                out.put(domain, (theirs == null ? "none" : theirs.toString()) + " < " + gtid);
            }
        });
        return out;
    }

    String text() {
        return new TreeMap<>(byDomain).values().stream().map(Gtid::toString).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return text();
    }
}
