package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** {@code fleetshard.cdc.vehicles} as a consumer sees it, for the dev platform's tests. */
final class ChangeTopicEvents {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Suffix of the op of a retraction (ADR 0029: the inverse of a published change of a lost transaction). */
    static final String RETRACTION = "!retraction";

    private ChangeTopicEvents() {
    }

    /**
     * {@code fleet/vehicle id} -> ops of the tenant's events for {@code fleets}, read (read_committed) until every key
     * in {@code keys} has an event and then up to the topic's end at that moment, so that a late duplicate would show;
     * what was read when {@code wait} passes otherwise. A retraction's op ends in {@link #RETRACTION}.
     */
    static Map<String, List<String>> read(String bootstrapServers, String tenant, Set<String> fleets, Set<String> keys,
            Duration wait) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<String>> events = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor("fleetshard.cdc.vehicles").stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = null;
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode v = JSON.readTree(new String(r.value(), StandardCharsets.UTF_8));
                    if (v.path("tenant").asText().equals(tenant) && fleets.contains(v.path("fleet").asText())) {
                        events.computeIfAbsent(v.path("fleet").asText() + "/" + v.path("key").path("vehicle_id")
                                .asText(), k -> new ArrayList<>()).add(v.path("op").asText()
                                + ("retraction".equals(v.path("origin").asText()) ? RETRACTION : ""));
                    }
                }
                if (end == null && events.keySet().containsAll(keys)) {
                    end = consumer.endOffsets(parts); // late duplicates would be before these
                }
                if (end != null) {
                    Map<TopicPartition, Long> e = end;
                    if (parts.stream().allMatch(tp -> consumer.position(tp) >= e.get(tp))) {
                        return events;
                    }
                }
            }
        }
        return events;
    }
}
