package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;

/**
 * One change made through the control API, as the audit topic keeps it (ADR 0018 "Audit"): who (the token's subject
 * and role), what (the route, the concrete path and the answer's status), the target's state before (null for a
 * create) and the answer after, the request id and the time.
 */
record AuditEvent(String eventId, long timeMs, String requestId, String actor, String role, String action,
        String path, int status, JsonNode before, JsonNode after) {
    private static final ObjectMapper JSON = new ObjectMapper();

    AuditEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(path, "path");
    }

    ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode().put("eventId", eventId).put("timeMs", timeMs)
                .put("time", java.time.Instant.ofEpochMilli(timeMs).toString()).put("requestId", requestId)
                .put("actor", actor).put("role", role).put("action", action).put("path", path).put("status", status);
        o.set("before", before == null ? JSON.nullNode() : before);
        o.set("after", after == null ? JSON.nullNode() : after);
        return o;
    }

    static AuditEvent parse(byte[] json) {
        try {
            JsonNode o = JSON.readTree(json);
            return new AuditEvent(o.path("eventId").asText(), o.path("timeMs").asLong(), o.path("requestId").asText(),
                    o.path("actor").asText(), o.path("role").asText(), o.path("action").asText(),
                    o.path("path").asText(), o.path("status").asInt(), nullable(o.get("before")),
                    nullable(o.get("after")));
        } catch (IOException e) {
            throw new IllegalArgumentException("not an audit event: " + e.getMessage(), e);
        }
    }

    private static JsonNode nullable(JsonNode n) {
        return n == null || n.isNull() ? null : n;
    }
}
