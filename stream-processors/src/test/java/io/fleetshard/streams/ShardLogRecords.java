package io.fleetshard.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Shard-log records as cdc-capture writes them (docs/spec/change-events.md, ADR 0013), for tests. */
final class ShardLogRecords {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Key, value and headers of one record. */
    record Rec(byte[] key, byte[] value, Headers headers) {
    }

    private ShardLogRecords() {
    }

    /** A change of table {@code vehicles (tenant_id, fleet_id, vehicle_id) -> (..., odometer)}; {@code d} has no after. */
    static Rec vehicle(String op, String tenant, String fleet, String vehicle, long odometer) {
        ObjectNode key = JSON.createObjectNode().put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle);
        ObjectNode after = op.equals("d") ? null : key.deepCopy().put("odometer", odometer).put("label", "v-" + vehicle + "-" + odometer)
                .put("seen_at", java.time.Instant.ofEpochMilli(1_700_000_000_000L + odometer).toString());
        return change(op, "vehicles", tenant, fleet, key, after, false);
    }

    static Rec change(String op, String table, String tenant, String fleet, ObjectNode key, ObjectNode after, boolean tagged) {
        ObjectNode v = JSON.createObjectNode();
        v.put("version", 1).put("op", op).put("table", table).put("tenant", tenant).put("fleet", fleet).put("shard", "s1");
        v.set("key", key);
        v.set("before", null);
        v.set("after", after);
        v.put("commitTsMs", 1_700_000_000_000L).put("captureTsMs", 1_700_000_000_001L).put("mapVersion", 3)
                .put("snapshot", op.equals("r")).put("txId", "tx");
        Headers h = headers(Map.of("fleetshard.op", op, "fleetshard.table", table, "fleetshard.tenant", tenant,
                "fleetshard.fleet", fleet, "fleetshard.shard", "s1"));
        if (tagged) {
            h.add("fleetshard.origin", bytes("reshard"));
        }
        return new Rec(bytes(key.toString()), bytes(v.toString()), h);
    }

    /** A resharder marker row of {@code fleetshard_reshard_tx} (tagged), of kind {@code kind} for {@code jobId}. */
    static Rec marker(String kind, String jobId) {
        return marker(kind, jobId, 1);
    }

    /** A marker with the slot's sequence number {@code seq} (every tagged transaction of the slot increments it). */
    static Rec marker(String kind, String jobId, long seq) {
        ObjectNode key = JSON.createObjectNode().put("slot", 7);
        ObjectNode after = JSON.createObjectNode().put("slot", 7).put("job_id", jobId).put("kind", kind).put("seq", seq);
        ObjectNode v = JSON.createObjectNode();
        v.put("version", 1).put("op", "u").put("table", "fleetshard_reshard_tx").put("shard", "s1");
        v.set("key", key);
        v.set("after", after);
        v.put("commitTsMs", 1_700_000_000_000L);
        Headers h = headers(Map.of("fleetshard.op", "u", "fleetshard.table", "fleetshard_reshard_tx", "fleetshard.shard", "s1",
                "fleetshard.origin", "reshard", "fleetshard.marker", kind));
        return new Rec(bytes(key.toString()), bytes(v.toString()), h);
    }

    /** Capture's watermark record (ADR 0048): no key, no op, no tenant or fleet. */
    static Rec watermark(long commitTsMs) {
        String v = "{\"watermark\":1,\"shard\":\"s1\",\"position\":\"0/A0\",\"commitTsMs\":" + commitTsMs
                + ",\"captureTsMs\":" + (commitTsMs + 5) + "}";
        return new Rec(null, bytes(v), headers(Map.of("fleetshard.marker", "watermark", "fleetshard.shard", "s1",
                "fleetshard.position", "0/A0", "fleetshard.commit.ts.ms", Long.toString(commitTsMs))));
    }

    private static Headers headers(Map<String, String> values) {
        RecordHeaders h = new RecordHeaders();
        values.forEach((k, v) -> h.add(k, bytes(v)));
        return h;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
