package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.testkit.SharedKafka;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The audit topic on a real broker: events come back in order, by time range and actor, after a restart too. */
class KafkaAuditLogIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AuditEvent event(long timeMs, String actor, String tenant) {
        return new AuditEvent(UUID.randomUUID().toString(), timeMs, "req-" + timeMs, actor, "admin",
                "POST /v1/tenants", "/v1/tenants", 201, null, JSON.createObjectNode().put("tenantId", tenant));
    }

    @Test
    void readsEventsBackByTimeRangeAndActor() {
        String topic = "fleetshard.audit.it-" + UUID.randomUUID();
        long t0 = System.currentTimeMillis() - 60_000;
        try (KafkaAuditLog log = new KafkaAuditLog(SharedKafka.get().bootstrapServers(), topic)) {
            log.append(event(t0, "ann", "a"));
            log.append(event(t0 + 1_000, "bob", "b"));
            log.append(event(t0 + 2_000, "ann", "c"));
            assertThat(log.read(0, Long.MAX_VALUE, null, 100)).extracting(e -> e.after().path("tenantId").asText())
                    .containsExactly("a", "b", "c");
        }
        try (KafkaAuditLog again = new KafkaAuditLog(SharedKafka.get().bootstrapServers(), topic)) {
            List<AuditEvent> ann = again.read(0, Long.MAX_VALUE, "ann", 100);
            assertThat(ann).extracting(AuditEvent::requestId).containsExactly("req-" + t0, "req-" + (t0 + 2_000));
            assertThat(again.read(t0 + 500, t0 + 1_500, null, 100)).extracting(AuditEvent::actor)
                    .containsExactly("bob");
            assertThat(again.read(t0 + 500, Long.MAX_VALUE, null, 1)).hasSize(1);
            assertThat(again.read(t0 + 10_000, Long.MAX_VALUE, null, 100)).isEmpty();
        }
    }
}
