package io.fleetshard.controlapi;

import io.fleetshard.shardmap.ShardMapException;
import io.fleetshard.shardmap.ShardMapTopic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The control API's own append-only Kafka logs (orchestrations, audit): one partition each (their order is their
 * meaning), cleanup by deletion, written by an idempotent producer that waits for every in-sync replica.
 */
final class ControlLogs {
    private ControlLogs() {
    }

    /**
     * Creates {@code topic} if missing, with one partition, kept {@code retention} (null: forever).
     *
     * @param what the log in words, for messages ("orchestration")
     */
    static void ensureTopic(String bootstrapServers, Map<String, String> security, String topic, Duration retention,
            String what) {
        try {
            ShardMapTopic.ensureOnePartition(bootstrapServers, security, topic, Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, retention == null ? "-1" : Long.toString(retention.toMillis())),
                    Duration.ofSeconds(15), "the " + what + " events keep their order");
        } catch (ShardMapException e) {
            throw new ControlApiException("cannot create " + what + " topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** The producer of one log: acks from all in-sync replicas, idempotent, no lingering, bounded delivery. */
    static KafkaProducer<byte[], byte[]> producer(String bootstrapServers, Map<String, String> security, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Appends one record to the log's only partition and waits (up to 20 s) until every in-sync replica has it.
     *
     * @param timestampMs the record's timestamp, or null for the producer's time
     * @param what the record in words, for messages ("orchestration fo-1")
     * @throws ControlApiException when it is not stored
     */
    static void append(KafkaProducer<byte[], byte[]> producer, String topic, Long timestampMs, String key, String value,
            String what) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, timestampMs, key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8))).get(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlApiException("interrupted while storing " + what, e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new ControlApiException("cannot store " + what + " in " + topic + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }
}
