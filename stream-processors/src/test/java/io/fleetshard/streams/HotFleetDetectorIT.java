package io.fleetshard.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.SharedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hot-fleet detector (exactly_once_v2, repartition and changelog topics) on one real broker. */
class HotFleetDetectorIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void reportsTheFleetThatReachesTheThresholdOnceAcrossTables(@TempDir Path stateDir) throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "it" + run + ".cdc.";
        String output = "it" + run + ".hotfleets";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // not the output topic: the detector creates it (a broker need not create topics on first use)
            admin.createTopics(List.of(new NewTopic(prefix + "vehicles", 2, (short) 1),
                    new NewTopic(prefix + "trips", 2, (short) 1))).all().get();
        }
        HotFleetConfig config = HotFleetConfig.builder(bootstrap)
                .set(HotFleetConfig.Key.APPLICATION_ID, "fleetshard-hotfleets-" + run)
                .set(HotFleetConfig.Key.INPUT_PATTERN, "it" + run + "\\.cdc\\.(?!dead-letters).*")
                .set(HotFleetConfig.Key.OUTPUT_TOPIC, output)
                .set(HotFleetConfig.Key.THRESHOLD, 5)
                .set(HotFleetConfig.Key.COMMIT_INTERVAL_MS, 100)
                .set(HotFleetConfig.Key.STATE_DIR, stateDir.toString()).build();
        long t0 = System.currentTimeMillis() / 60_000 * 60_000;
        try (HotFleetDetector detector = new HotFleetDetector(config);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.GROUP_ID_CONFIG, "it-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            detector.start();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, output);
                assertThat(admin.describeConfigs(List.of(topic)).all().get().get(topic)
                        .get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                        .as("created by the detector as it starts, compacted").isEqualTo("compact");
            }
            Await.condition("the detector to run", WAIT, () -> detector.state() == KafkaStreams.State.RUNNING);

            List<ShardLogRecords.Rec> writes = new ArrayList<>();
            for (int i = 0; i < 7; i++) {                      // 7 writes of t1/f1 over two tables: reported once, at 5
                writes.add(ShardLogRecords.vehicle(i == 0 ? "c" : "u", "t1", "f1", "v" + (i % 2), i));
            }
            for (int i = 0; i < 4; i++) {                      // 4 writes of t1/f2 and snapshot/tagged rows: not hot
                writes.add(ShardLogRecords.vehicle("u", "t1", "f2", "v1", i));
                writes.add(ShardLogRecords.vehicle("r", "t1", "f2", "v" + i, i));
                writes.add(DeltaSyncIT.tagged(ShardLogRecords.vehicle("u", "t1", "f2", "v1", i)));
            }
            int n = 0;
            for (ShardLogRecords.Rec r : writes) {
                String topic = prefix + (n++ % 2 == 0 ? "vehicles" : "trips");
                producer.send(new ProducerRecord<>(topic, null, t0 + n, r.key(), r.value(), r.headers())).get();
            }

            consumer.subscribe(List.of(output));
            List<ConsumerRecord<String, String>> reports = new ArrayList<>();
            Await.condition("a hot-fleet report", WAIT, () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(reports::add);
                return !reports.isEmpty();
            });
            assertThat(reports).hasSize(1);
            assertThat(reports.get(0).key()).isEqualTo("t1/f1");
            JsonNode v = ShardLogRecords.JSON.readTree(reports.get(0).value());
            assertThat(v.get("writes").asLong()).isEqualTo(5);
            assertThat(v.get("shardId").asText()).isEqualTo("s1");
            assertThat(v.get("windowStartMs").asLong()).isEqualTo(t0);
            assertThat(v.get("windowEndMs").asLong()).isEqualTo(t0 + 60_000);
            assertThat(detector.lastError()).isNull();
        }
    }
}
