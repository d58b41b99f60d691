package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.AuditChain;
import io.fleetshard.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The audit topic on a real broker: events come back in order, by time range and actor, after a restart too, and every
 * record is sealed into one hash chain that a restarted writer continues.
 */
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
            again.append(event(t0 + 3_000, "cid", "d")); // continues the chain from the topic's last record
        }
        AuditChain.Walker walker = new AuditChain.Walker();
        List<ConsumerRecord<byte[], byte[]>> records = rawRecords(topic, 4);
        for (ConsumerRecord<byte[], byte[]> r : records) {
            walker.accept(topic, r.offset(), r.value());
        }
        assertThat(walker.records()).isEqualTo(4);
        assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8))
                .startsWith("{\"chain\":{\"previous\":\"" + AuditChain.GENESIS + "\"");
        assertThat(AuditEvent.parse(records.get(3).value()).actor()).isEqualTo("cid");
    }

    private static List<ConsumerRecord<byte[], byte[]>> rawRecords(String topic, int n) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.get().bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).hasSize(n);
        return out;
    }
}
