package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Change envelopes as cdc-capture writes them (docs/spec/change-events.md), for tests. */
final class Envelopes {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> VEHICLE_KEY = List.of("tenant_id", "fleet_id", "vehicle_id");
    static final List<String> TELEMETRY_KEY = List.of("tenant_id", "fleet_id", "vehicle_id", "ts");

    private Envelopes() {
    }

    /** A vehicles row. */
    static ObjectNode vehicle(String tenant, String fleet, String vehicle, String status) {
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("vin", "VIN-" + vehicle)
                .put("status", status).put("updated_at", "2026-12-05T10:15:30.123456Z");
        return row;
    }

    /** A telemetry row. */
    static ObjectNode telemetry(String tenant, String fleet, String vehicle, String ts, double speed) {
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts)
                .put("lat", 52.5).put("lon", 13.4).put("speed_kph", speed);
        return row;
    }

    /** The envelope of a change of {@code table} with the given images; the key is taken from whichever image exists. */
    static ObjectNode envelope(String table, String op, List<String> keyColumns, ObjectNode before, ObjectNode after,
            long commitTsMs) {
        ObjectNode image = after != null ? after : before;
        ObjectNode key = JSON.createObjectNode();
        for (String k : keyColumns) {
            key.set(k, image.get(k));
        }
        ObjectNode e = JSON.createObjectNode();
        e.put("version", 1).put("op", op).put("table", table)
                .put("tenant", image.path("tenant_id").asText()).put("fleet", image.path("fleet_id").asText())
                .put("shard", "pg-1");
        e.set("key", key);
        e.set("before", before);
        e.set("after", after);
        ObjectNode source = e.putObject("source");
        source.put("engine", "postgres").put("db", "shard1").put("lsn", "0/16B3748").put("lsnNumeric", 23803720L);
        e.put("position", "0/16B3748");
        if (op.equals("r")) {
            e.putNull("txId");
        } else {
            e.put("txId", "7" + commitTsMs % 1000);
        }
        e.put("commitTsMs", commitTsMs).put("captureTsMs", commitTsMs + 5).put("mapVersion", 3)
                .put("snapshot", op.equals("r"));
        return e;
    }

    /** The record key: the primary key as JSON. */
    static byte[] keyBytes(ObjectNode envelope) {
        return envelope.get("key").toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] bytes(ObjectNode envelope) {
        return envelope.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The parsed event of {@code envelope} at {@code partition@offset} of topic {@code fleetshard.cdc.<table>}. */
    static ChangeEvent event(ObjectNode envelope, int partition, long offset) {
        return ChangeEventParser.parse("fleetshard.cdc." + envelope.get("table").asText(), partition, offset, bytes(envelope));
    }

    /** The only key columns, as PostgreSQL's default replica identity gives them in {@code before}. */
    static ObjectNode keyOnly(ObjectNode row, List<String> keyColumns) {
        ObjectNode out = JSON.createObjectNode();
        for (String k : keyColumns) {
            out.set(k, row.get(k));
        }
        return out;
    }

    static Map<String, Object> map(Object... kv) {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
