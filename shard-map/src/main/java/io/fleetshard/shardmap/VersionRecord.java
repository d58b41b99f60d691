package io.fleetshard.shardmap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The record that ends every map transaction (key {@value #KEY}): the new map version, the keys the transaction
 * wrote, and the commit time. Readers apply a transaction only when its version record arrives.
 */
record VersionRecord(long version, List<String> keys, long committedAtMs) {
    static final String KEY = "version";
    private static final ObjectMapper JSON = new ObjectMapper();

    byte[] encode() {
        ObjectNode o = JSON.createObjectNode().put("kind", "version").put("version", version)
                .put("committedAtMs", committedAtMs);
        keys.forEach(o.putArray("keys")::add);
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    static VersionRecord decode(byte[] value) {
        try {
            JsonNode o = JSON.readTree(value);
            long version = o.path("version").asLong(-1);
            if (version < 1) {
                throw new MapFormatException("version record has no valid version: "
                        + new String(value, StandardCharsets.UTF_8), null);
            }
            List<String> keys = new ArrayList<>();
            o.path("keys").forEach(k -> keys.add(k.asText()));
            return new VersionRecord(version, List.copyOf(keys), o.path("committedAtMs").asLong());
        } catch (IOException e) {
            throw new MapFormatException("version record is not valid JSON: " + e.getMessage(), e);
        }
    }
}
