package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A shard's source offset as kept in the offsets topic: Debezium's source partition and offset maps, plus the map
 * version and time of the batch that wrote it. Key of the record: the shard id. See ADR 0010.
 */
record StoredOffset(String shardId, JsonNode partition, JsonNode offset, long mapVersion, long writtenAtMs) {
    static final ObjectMapper JSON = new ObjectMapper();

    static StoredOffset of(String shardId, Map<String, ?> partition, Map<String, ?> offset, long mapVersion, long nowMs) {
        return new StoredOffset(shardId, JSON.valueToTree(partition), JSON.valueToTree(offset), mapVersion, nowMs);
    }

    byte[] toBytes() {
        ObjectNode n = JSON.createObjectNode();
        n.put("shard", shardId);
        n.set("partition", partition);
        n.set("offset", offset);
        n.put("mapVersion", mapVersion);
        n.put("writtenAtMs", writtenAtMs);
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new CaptureException("cannot encode offset of shard " + shardId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether this position was taken inside Debezium's initial snapshot. Debezium writes {@code snapshot} only while
     * a snapshot runs: the snapshot's type ({@code "INITIAL"}, {@code "BLOCKING"}) since 2.x, {@code true} before;
     * PostgreSQL's last snapshot record also says {@code snapshot_completed: true}. The control API reads the same
     * field to refuse a move (ADR 0036).
     */
    boolean inSnapshot() {
        JsonNode snapshot = offset == null ? null : offset.get("snapshot");
        if (snapshot == null || snapshot.isNull()) {
            return false;
        }
        boolean set = snapshot.isBoolean() ? snapshot.booleanValue()
                : !snapshot.asText().isEmpty() && !"false".equalsIgnoreCase(snapshot.asText());
        return set && !offset.path("snapshot_completed").asBoolean(false);
    }

    static StoredOffset parse(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            return new StoredOffset(n.path("shard").asText(), n.get("partition"), n.get("offset"),
                    n.path("mapVersion").asLong(), n.path("writtenAtMs").asLong());
        } catch (IOException | RuntimeException e) {
            throw new CaptureException("malformed record in the offsets topic: "
                    + new String(bytes, StandardCharsets.UTF_8) + " (" + e.getMessage() + ")", e);
        }
    }
}
