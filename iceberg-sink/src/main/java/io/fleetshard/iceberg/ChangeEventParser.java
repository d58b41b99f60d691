package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Reads the change envelope of {@code docs/spec/change-events.md} (version 1); unknown fields are ignored. */
final class ChangeEventParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChangeEventParser() {
    }

    /**
     * The change in {@code value}, read at {@code topic-partition@offset}.
     *
     * @throws DefectiveChangeException naming the position and what is wrong when the value is not a version-1 envelope
     */
    static ChangeEvent parse(String topic, int partition, long offset, byte[] value) {
        String at = topic + "-" + partition + "@" + offset;
        if (value == null) {
            throw new DefectiveChangeException("change event at " + at + " has no value (change topics carry no tombstones)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (IOException e) {
            throw new DefectiveChangeException("change event at " + at + " is not JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode envelope)) {
            throw new DefectiveChangeException("change event at " + at + " is not a JSON object");
        }
        int version = envelope.path("version").asInt(-1);
        if (version != 1) {
            throw new DefectiveChangeException("change event at " + at + " has envelope version " + envelope.get("version")
                    + "; this sink reads version 1 (docs/spec/change-events.md)");
        }
        try {
            return new ChangeEvent(topic, partition, offset, ChangeEvent.Op.of(envelope.path("op").asText()),
                    text(envelope, "table"), text(envelope, "tenant"), text(envelope, "fleet"), text(envelope, "shard"),
                    text(envelope, "txId"), envelope.path("commitTsMs").asLong(0), object(envelope, "key"),
                    object(envelope, "before"), object(envelope, "after"));
        } catch (RuntimeException e) {
            throw new DefectiveChangeException("change event at " + at + " is malformed: " + e.getMessage(), e);
        }
    }

    private static String text(ObjectNode envelope, String field) {
        JsonNode n = envelope.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static ObjectNode object(ObjectNode envelope, String field) {
        JsonNode n = envelope.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n instanceof ObjectNode o) {
            return o;
        }
        throw new IllegalArgumentException("'" + field + "' must be an object or null, got " + n.getNodeType());
    }
}
