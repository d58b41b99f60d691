package io.fleetshard.controlapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB server's {@code @@gtid_binlog_state}: the last GTID its binary log holds of each (domain, server id) pair,
 * e.g. {@code 0-1-150,0-3-100,3-3-200}. Finer than {@code @@gtid_binlog_pos}, which keeps one GTID per domain: two
 * servers that wrote in the same domain (a crashed primary and the replica promoted in its place, if it was not given
 * a domain of its own) are told apart, so a returning node's transactions that its new primary never had — its
 * <em>errant</em> GTIDs — are found even when the primary's sequence in that domain went further (ADR 0032).
 */
record GtidBinlogState(Map<Long, Map<Long, Long>> sequenceByServerByDomain) {
    GtidBinlogState {
        Map<Long, Map<Long, Long>> copy = new TreeMap<>();
        sequenceByServerByDomain.forEach((d, m) -> copy.put(d, Map.copyOf(new TreeMap<>(m))));
        sequenceByServerByDomain = java.util.Collections.unmodifiableMap(copy);
    }

    /** Parses {@code 0-1-150,0-3-100}; blank or null is a server that wrote nothing to its binary log. */
    static GtidBinlogState parse(String text) {
        Map<Long, Map<Long, Long>> out = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return new GtidBinlogState(out);
        }
        for (String gtid : text.split(",")) {
            String[] parts = gtid.trim().split("-");
            try {
                if (parts.length != 3) {
                    throw new NumberFormatException();
                }
                out.computeIfAbsent(Long.parseLong(parts[0]), d -> new TreeMap<>())
                        .merge(Long.parseLong(parts[1]), Long.parseLong(parts[2]), Math::max);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID (domain-server-sequence): '" + gtid.trim()
                        + "' in '" + text + "'", e);
            }
        }
        return new GtidBinlogState(out);
    }

    /**
     * The transactions this server's binary log holds that {@code primary}'s does not, one entry per (domain, server)
     * where this one went further, as {@code 0-3-101..0-3-121} (the server's transactions in that domain after the
     * primary's last one of it, up to this server's last), or a single GTID when it is one. Empty when the primary
     * holds everything this server wrote or replicated: it may follow the primary by GTID.
     */
    List<String> errantAgainst(GtidBinlogState primary) {
        List<String> errant = new ArrayList<>();
        sequenceByServerByDomain.forEach((domain, byServer) -> byServer.forEach((server, last) -> {
            Long held = primary.sequenceByServerByDomain.getOrDefault(domain, Map.of()).get(server);
            if (held != null && held >= last) {
                return;
            }
            String to = domain + "-" + server + "-" + last;
            if (held == null) {
                errant.add(to.equals(domain + "-" + server + "-1") ? to : "every transaction of server " + server
                        + " in domain " + domain + " up to " + to + " (the primary has none of them)");
            } else {
                String from = domain + "-" + server + "-" + (held + 1);
                errant.add(held + 1 == last ? to : from + ".." + to);
            }
        }));
        return errant;
    }
}
