package io.fleetshard.controlapi;

import io.fleetshard.shardmap.ShardMapException;
import io.fleetshard.shardmap.ShardMapTopic;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
    static void ensureTopic(String bootstrapServers, String topic, Duration retention, String what) {
        try {
            ShardMapTopic.ensureOnePartition(bootstrapServers, topic, Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, retention == null ? "-1" : Long.toString(retention.toMillis())),
                    Duration.ofSeconds(15), "the " + what + " events keep their order");
        } catch (ShardMapException e) {
            throw new ControlApiException("cannot create " + what + " topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** The producer of one log: acks from all in-sync replicas, idempotent, no lingering, bounded delivery. */
    static KafkaProducer<byte[], byte[]> producer(String bootstrapServers, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
