package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KafkaShardLogs#capture} on a real broker, over an offsets topic written as cdc-capture writes it: one record
 * per batch keyed by shard id, each in its own transaction, several shards per partition.
 */
class KafkaShardLogsCaptureIT {
    private static final int PARTITIONS = 3;
    private final String topic = "fleetshard.cdc.offsets.it-" + UUID.randomUUID();
    private KafkaProducer<byte[], byte[]> producer;
    private KafkaShardLogs logs;

    @BeforeEach
    void createTopic() throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "capture-it-" + UUID.randomUUID());
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        logs = new KafkaShardLogs(bootstrap, Map.of(), "fleetshard.shardlog.it-", topic);
    }

    @AfterEach
    void close() {
        producer.close();
        logs.close();
    }

    private static int partitionOf(String shardId) {
        return Utils.toPositive(Utils.murmur2(shardId.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    /** One committed batch position of {@code shardId}, as capture's StoredOffset; null offset = a tombstone. */
    private void position(String shardId, String offset) {
        byte[] value = offset == null ? null : ("{\"shard\":\"" + shardId + "\",\"partition\":{\"server\":\"fs_"
                + shardId + "\"},\"offset\":" + offset + ",\"mapVersion\":3,\"writtenAtMs\":1000}")
                .getBytes(StandardCharsets.UTF_8);
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, partitionOf(shardId), shardId.getBytes(StandardCharsets.UTF_8),
                value));
        producer.commitTransaction();
    }

    /** {@code n} positions of other shards on the partition of {@code shardId}, in batches of 50 per transaction. */
    private void othersOnPartitionOf(String shardId, int n) {
        for (int i = 0; i < n; i += 50) {
            producer.beginTransaction();
            for (int j = i; j < Math.min(n, i + 50); j++) {
                producer.send(new ProducerRecord<>(topic, partitionOf(shardId),
                        ("other-" + j).getBytes(StandardCharsets.UTF_8),
                        "{\"shard\":\"x\",\"offset\":{\"lsn\":1}}".getBytes(StandardCharsets.UTF_8)));
            }
            producer.commitTransaction();
        }
    }

    @Test
    void readsTheNewestPositionOfTheShardFarBehindOtherShardsPositions() {
        assertThat(logs.capture("pg-1").stage()).isEqualTo(CaptureState.Stage.NONE);

        position("pg-1", "{\"lsn\":10,\"snapshot\":\"INITIAL\",\"last_snapshot_record\":false}");
        othersOnPartitionOf("pg-1", 1_000); // past the first windows (64, 256) of the backward read
        CaptureState snapshot = logs.capture("pg-1");
        assertThat(snapshot.stage()).isEqualTo(CaptureState.Stage.SNAPSHOT);
        assertThat(snapshot.writtenAtMs()).isEqualTo(1000);

        position("pg-1", "{\"lsn\":20,\"lsn_commit\":20}");
        othersOnPartitionOf("pg-1", 10);
        assertThat(logs.capture("pg-1").stage()).isEqualTo(CaptureState.Stage.STREAMING);

        position("pg-1", null); // capture reset: the next capture snapshots again
        assertThat(logs.capture("pg-1").stage()).isEqualTo(CaptureState.Stage.NONE);
        assertThat(logs.capture("pg-never").stage()).isEqualTo(CaptureState.Stage.NONE);
    }

    @Test
    void aClusterWithoutTheOffsetsTopicHasNoCaptureAndKeepsNoSuchTopic() throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        String missing = "fleetshard.cdc.offsets.absent-" + UUID.randomUUID();
        try (KafkaShardLogs none = new KafkaShardLogs(bootstrap, Map.of(), "fleetshard.shardlog.it-", missing)) {
            assertThat(none.capture("pg-1").stage()).isEqualTo(CaptureState.Stage.NONE);
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.listTopics().names().get()).doesNotContain(missing);
        }
    }
}
