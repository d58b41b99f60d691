package io.fleetshard.cdc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/** Reads and addresses the compacted offsets topic; one key per shard, read with {@code read_committed}. */
final class OffsetsTopic {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private OffsetsTopic() {
    }

    static byte[] key(String shardId) {
        return shardId.getBytes(StandardCharsets.UTF_8);
    }

    /** The partition of a shard's key, as the default partitioner would choose it. */
    static int partitionOf(String shardId, int partitions) {
        return Utils.toPositive(Utils.murmur2(key(shardId))) % partitions;
    }

    static ProducerRecord<byte[], byte[]> record(String topic, int partitions, StoredOffset offset) {
        return new ProducerRecord<>(topic, partitionOf(offset.shardId(), partitions), key(offset.shardId()), offset.toBytes());
    }

    static ProducerRecord<byte[], byte[]> tombstone(String topic, int partitions, String shardId) {
        return new ProducerRecord<>(topic, partitionOf(shardId, partitions), key(shardId), null);
    }

    /** The last committed offset of {@code shardId}, empty if none or deleted. Reads its partition to the end. */
    static Optional<StoredOffset> read(String bootstrapServers, java.util.Map<String, String> security, String topic,
            String shardId) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(security); // TLS/SASL (ADR 0027)
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-cdc-offsets-" + shardId);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, READ_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                throw new CaptureException("offsets topic '" + topic + "' does not exist; the capture worker creates it at start");
            }
            TopicPartition tp = new TopicPartition(topic, partitionOf(shardId, infos.size()));
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), READ_TIMEOUT).get(tp); // the LSO under read_committed
            byte[] key = key(shardId);
            byte[] last = null;
            boolean seen = false;
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (consumer.position(tp, READ_TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new CaptureException("reading offsets of shard " + shardId + " from " + tp + " did not reach offset "
                            + end + " within " + READ_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (java.util.Arrays.equals(r.key(), key)) {
                        last = r.value();
                        seen = true;
                    }
                }
            }
            return seen && last != null ? Optional.of(StoredOffset.parse(last)) : Optional.empty();
        }
    }

    static Map<String, String> topicConfig() {
        return Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000");
    }
}
