package io.fleetshard.controlapi;

import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB GTID position ({@code @@gtid_slave_pos}, {@code Gtid_IO_Pos}): per replication domain the last
 * transaction's {@code domain-server-sequence}, comma-separated; empty for a server that has seen none. Sequence
 * numbers rise within a domain whatever server wrote them ({@code gtid_strict_mode}), so between two replicas of one
 * primary the one whose sequences are not lower in any domain has received at least as much (ADR 0024).
 */
record GtidPositions(Map<Long, Long> sequenceByDomain) {
    GtidPositions {
        sequenceByDomain = Map.copyOf(sequenceByDomain);
    }

    static final GtidPositions EMPTY = new GtidPositions(Map.of());

    /** Parses {@code 0-1-100,1-2-7}; blank or null is {@link #EMPTY}. */
    static GtidPositions parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Map<Long, Long> out = new TreeMap<>();
        for (String gtid : text.split(",")) {
            String[] parts = gtid.trim().split("-");
            if (parts.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + gtid.trim()
                        + "' in '" + text + "'");
            }
            try {
                Long.parseLong(parts[1]); // the server id: checked, not needed to compare positions
                out.merge(Long.parseLong(parts[0]), Long.parseLong(parts[2]), Math::max);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + gtid.trim()
                        + "' in '" + text + "'", e);
            }
        }
        return new GtidPositions(out);
    }

    /** Whether this position holds every transaction {@code other} holds (no domain behind it). */
    boolean covers(GtidPositions other) {
        return other.sequenceByDomain.entrySet().stream()
                .allMatch(e -> sequenceByDomain.getOrDefault(e.getKey(), -1L) >= e.getValue());
    }

    /** Transactions over all domains: orders positions that neither covers (replicas of several domains). */
    long transactions() {
        return sequenceByDomain.values().stream().mapToLong(Long::longValue).sum();
    }
}
