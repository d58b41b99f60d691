package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Transactions capture published but the shard's current MariaDB primary does not hold (ADR 0029): after a failover
 * the killed primary may have sent capture a transaction (written to its binlog, not yet acknowledged by the
 * semi-synchronous replica, so never acknowledged to its client) that the promoted replica never received. Their
 * changes are the end of the shard log with GTIDs the server's {@code @@gtid_binlog_pos} does not hold; the stored
 * offset may be ahead of the server in their domain too, and Debezium would refuse to resume (or, when it stopped
 * inside such a transaction, skip events of a different one).
 *
 * <p>{@link #plan} decides, without I/O: the lost GTIDs, a retraction for each of their published changes (newest
 * first: the inverse change, {@code origin=retraction}), and the offset to resume from (the stored GTIDs cut back to
 * the server's, at a transaction boundary). A transaction whose changes were retracted at an earlier start (a
 * retraction with its GTID follows them in the log) is not lost again: capture restarted before the new primary wrote.
 */
final class LostTransactions {
    /** How many shard-log records before the end are searched for lost changes. */
    static final int LOOK_BACK = 10_000;
    static final String ORIGIN_RETRACTION = "retraction";
    /** Header on a retraction: the GTID of the lost transaction whose change it undoes. */
    static final String H_RETRACTS = "fleetshard.retracts";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private LostTransactions() {
    }

    /** A committed record of the shard log. */
    record Logged(long offset, byte[] key, byte[] value, Headers headers) {
        String header(String name) {
            Header h = headers.lastHeader(name);
            return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    }

    /** A change to publish that undoes a lost one: to the change topic of {@code table} unless {@code shardLogOnly}. */
    record Retraction(String table, String tenant, String fleet, boolean shardLogOnly, byte[] key, byte[] value,
                      Headers headers, long timestampMs) {
    }

    /**
     * What to do before resuming: nothing ({@link #isEmpty}), or publish {@code retractions} and store
     * {@code resumeOffset} in one Kafka transaction. {@code lostGtids} are the transactions the server lacks, oldest
     * first: those with published changes, and per domain where the stored offset was ahead, {@code aheadByDomain}.
     */
    record Plan(List<String> lostGtids, Map<Long, String> aheadByDomain, List<Retraction> retractions,
                JsonNode resumeOffset, boolean lookBackExhausted) {
        boolean isEmpty() {
            return resumeOffset == null;
        }

        String describe() {
            return "lost transactions (published, not on the new primary) " + (lostGtids.isEmpty() ? "none found"
                    : String.join(",", lostGtids)) + "; capture's stored position ahead of the server in domain(s) "
                    + (aheadByDomain.isEmpty() ? "none" : aheadByDomain) + "; " + retractions.size()
                    + " retraction(s) published" + (lookBackExhausted ? "; the oldest shard-log record searched was"
                    + " lost too: earlier lost changes (beyond " + LOOK_BACK + " records) are not retracted" : "");
        }
    }

    /**
     * The plan for resuming a MariaDB shard from {@code stored} on a server at {@code server}, given the end of the
     * shard log ({@code tail}, oldest first).
     */
    static Plan plan(JsonNode stored, MariaDbGtidPosition server, List<Logged> tail, long nowMs, long mapVersion) {
        MariaDbGtidPosition storedGtids = MariaDbGtidPosition.parse(stored.path("gtids").asText(""));
        Map<Long, String> ahead = storedGtids.aheadOf(server);
        // transactions retracted at an earlier start: their changes are still in the log, their retractions after them
        Set<String> retracted = new java.util.HashSet<>();
        for (Logged r : tail) {
            if (r.header(H_RETRACTS) != null) {
                retracted.add(r.header(H_RETRACTS));
            }
        }
        Set<String> lost = new LinkedHashSet<>();
        List<Logged> lostChanges = new ArrayList<>();
        boolean exhausted = false;
        int since = sinceLastSnapshot(tail);
        for (Logged r : tail.subList(since, tail.size())) {
            String tx = r.header(ChangeEnvelopeMapper.H_TX);
            if (!MariaDbGtidPosition.Gtid.isGtid(tx) || server.holds(MariaDbGtidPosition.Gtid.parse(tx))
                    || retracted.contains(tx)) {
                continue;
            }
            if (r == tail.get(0) && r.offset() > 0) {
                exhausted = true;
            }
            lost.add(tx);
            if (r.header(ChangeEnvelopeMapper.H_MARKER) == null && r.value() != null) {
                lostChanges.add(r);
            }
        }
        if (ahead.isEmpty() && lost.isEmpty()) {
            return new Plan(List.of(), Map.of(), List.of(), null, false);
        }
        List<Retraction> retractions = new ArrayList<>();
        for (int i = lostChanges.size() - 1; i >= 0; i--) {
            retractions.add(retraction(lostChanges.get(i), nowMs, mapVersion));
        }
        ObjectNode resume = stored.deepCopy();
        resume.put("gtids", storedGtids.cutTo(server).text());
        // a transaction boundary: the events to skip counted into a transaction the server does not hold
        resume.put("event", 0);
        resume.put("row", 0);
        List<String> sorted = new ArrayList<>(lost);
        sorted.sort(Comparator.comparing((String g) -> MariaDbGtidPosition.Gtid.parse(g).domain())
                .thenComparing(g -> MariaDbGtidPosition.Gtid.parse(g).sequence()));
        return new Plan(List.copyOf(sorted), ahead, List.copyOf(retractions), resume, exhausted);
    }

    /**
     * Where the history of the server capture reads now begins in {@code tail}: after its last snapshot read
     * ({@code op=r}), or at the start when there is none. A snapshot is taken only on a capture with no stored offset
     * (a new shard, or one reset by an operator or a standby promotion, ADR 0035): the changes before it came from
     * another server's binlog (the lost region's primary), whose GTIDs say nothing about what this server holds; they
     * are another history, not lost transactions.
     */
    static int sinceLastSnapshot(List<Logged> tail) {
        for (int i = tail.size() - 1; i >= 0; i--) {
            if ("r".equals(tail.get(i).header(ChangeEnvelopeMapper.H_OP))) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The inverse of a lost change: c becomes d, d becomes c, u swaps before and after (docs/spec/change-events.md). */
    static Retraction retraction(Logged lost, long nowMs, long mapVersion) {
        JsonNode envelope;
        try {
            envelope = StoredOffset.JSON.readTree(lost.value());
        } catch (IOException e) {
            throw new CaptureException("unreadable change in the shard log at offset " + lost.offset() + ": "
                    + e.getMessage(), e);
        }
        String op = envelope.path("op").asText();
        String inverse = switch (op) {
            case "c", "r" -> "d";
            case "d" -> "c";
            case "u" -> "u";
            default -> throw new CaptureException("shard-log record at offset " + lost.offset() + " has op '" + op
                    + "'; cannot retract it");
        };
        ObjectNode out = envelope.deepCopy();
        out.put("op", inverse);
        out.set("before", envelope.hasNonNull("after") ? envelope.get("after") : JsonNodeFactory.instance.nullNode());
        out.set("after", "c".equals(op) || "r".equals(op) ? JsonNodeFactory.instance.nullNode()
                : envelope.hasNonNull("before") ? envelope.get("before") : JsonNodeFactory.instance.nullNode());
        out.put("snapshot", false);
        out.put("captureTsMs", nowMs);
        out.put("mapVersion", mapVersion);
        out.put("origin", ORIGIN_RETRACTION);
        out.put("retracts", envelope.path("txId").asText());
        byte[] value;
        try {
            value = StoredOffset.JSON.writeValueAsBytes(out);
        } catch (IOException e) {
            throw new CaptureException("cannot encode a retraction: " + e.getMessage(), e);
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : lost.headers()) {
            switch (h.key()) {
                case ChangeEnvelopeMapper.H_OP, ChangeEnvelopeMapper.H_ORIGIN, ChangeEnvelopeMapper.H_MAP_VERSION -> {
                }
                default -> headers.add(h.key(), h.value());
            }
        }
        headers.add(ChangeEnvelopeMapper.H_OP, inverse.getBytes(StandardCharsets.UTF_8));
        headers.add(ChangeEnvelopeMapper.H_MAP_VERSION, Long.toString(mapVersion).getBytes(StandardCharsets.UTF_8));
        headers.add(ChangeEnvelopeMapper.H_ORIGIN, ORIGIN_RETRACTION.getBytes(StandardCharsets.UTF_8));
        headers.add(H_RETRACTS, envelope.path("txId").asText().getBytes(StandardCharsets.UTF_8));
        boolean reshard = ChangeEnvelopeMapper.ORIGIN_RESHARD.equals(lost.header(ChangeEnvelopeMapper.H_ORIGIN));
        return new Retraction(envelope.path("table").asText(), envelope.path("tenant").asText(),
                envelope.path("fleet").asText(), reshard, lost.key(), value, headers, nowMs);
    }

    /** The last {@link #LOOK_BACK} committed records of a shard log, oldest first. */
    static List<Logged> tail(String bootstrapServers, Map<String, String> clientSecurity, String shardLog) {
        List<Logged> out = new ArrayList<>();
        ShardLogTail.readEnd(bootstrapServers, clientSecurity, shardLog, LOOK_BACK, READ_TIMEOUT,
                r -> out.add(new Logged(r.offset(), r.key(), r.value(), r.headers())));
        return out;
    }
}
