package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Helpers shared by the capture ITs: schema, shard-map entries and a read_committed collector of change topics. */
final class CdcTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private CdcTestSupport() {
    }

    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    static void createPostgresSchema(String jdbcUrl) throws SQLException {
        exec(jdbcUrl, "CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "vin text, status text, updated_at timestamptz NOT NULL DEFAULT now(), "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
                "ALTER TABLE vehicles REPLICA IDENTITY FULL",
                "CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "ts timestamptz NOT NULL, lat double precision, lon double precision, speed_kph real, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))",
                "ALTER TABLE telemetry REPLICA IDENTITY FULL");
    }

    static void createMariaDbSchema(String jdbcUrl) throws SQLException {
        exec(jdbcUrl, "CREATE TABLE vehicles (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, "
                        + "vehicle_id varchar(64) NOT NULL, vin varchar(32), status varchar(32), "
                        + "updated_at timestamp(6) NOT NULL DEFAULT current_timestamp(6), "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
                "CREATE TABLE telemetry (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, "
                        + "vehicle_id varchar(64) NOT NULL, ts datetime(6) NOT NULL, lat double, lon double, speed_kph float, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))");
    }

    static void exec(String jdbcUrl, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** Registers a shard with its primary node in the in-memory map. */
    static void addShard(InMemoryShardMap map, String shardId, Engine engine, String jdbcUrl) {
        Shard shard = Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, engine, 8);
        Node node = new Node(shardId + "-p", shardId, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", jdbcUrl);
        map.commit(map.current().version(), List.of(shard, node), List.of());
    }

    static void removeShard(InMemoryShardMap map, String shardId) {
        map.commit(map.current().version(), List.of(), List.of(Shard.keyOf(shardId), Node.keyOf(shardId + "-p")));
    }

    /** One received change event. */
    record Received(String topic, int partition, long offset, String key, JsonNode value, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name);
        }
    }

    /**
     * Reads topics from the beginning with read_committed on a thread of its own, keeping everything it saw except
     * capture's watermarks on a shard log (ADR 0048: not changes), which it only counts.
     */
    static final class Collector implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final List<Received> received = new CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicLong watermarks = new java.util.concurrent.atomic.AtomicLong();
        private final Thread thread;
        private volatile boolean closed;

        Collector(String bootstrap, List<String> topics) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            consumer = new KafkaConsumer<>(p);
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            thread = new Thread(this::loop, "test-collector");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            try {
                while (!closed) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        if (ShardLogWatermark.is(r.headers())) {
                            watermarks.incrementAndGet();
                            continue;
                        }
                        Map<String, String> headers = new java.util.HashMap<>();
                        for (Header h : r.headers()) {
                            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                        }
                        received.add(new Received(r.topic(), r.partition(), r.offset(),
                                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                                r.value() == null ? null : JSON.readTree(r.value()), headers));
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                // closing
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                consumer.close();
            }
        }

        /** Capture's watermark records seen (shard logs only). */
        long watermarks() {
            return watermarks.get();
        }

        List<Received> all() {
            return List.copyOf(received);
        }

        List<Received> where(java.util.function.Predicate<Received> p) {
            return received.stream().filter(p).toList();
        }

        long count(java.util.function.Predicate<Received> p) {
            return received.stream().filter(p).count();
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            consumer.wakeup();
            thread.join(10_000);
        }
    }

    static CaptureConfig.Builder config(String bootstrap, String workerId, String prefix) {
        return CaptureConfig.builder(bootstrap, workerId)
                .set(CaptureConfig.Key.GROUP_ID, prefix + "group")
                .set(CaptureConfig.Key.CHANGE_TOPIC_PREFIX, prefix + "cdc.")
                .set(CaptureConfig.Key.CHANGE_TOPIC_PARTITIONS, 6)
                .set(CaptureConfig.Key.ASSIGNMENT_TOPIC, prefix + "assign")
                .set(CaptureConfig.Key.ASSIGNMENT_PARTITIONS, 8)
                .set(CaptureConfig.Key.OFFSETS_TOPIC, prefix + "offsets")
                .set(CaptureConfig.Key.SCHEMA_HISTORY_TOPIC_PREFIX, prefix + "history.")
                .set(CaptureConfig.Key.DEAD_LETTER_TOPIC, prefix + "dlq")
                .set(CaptureConfig.Key.POLL_INTERVAL_MS, 10)
                .set(CaptureConfig.Key.HEARTBEAT_INTERVAL_MS, 500)
                .set(CaptureConfig.Key.RESTART_BACKOFF_MS, 200)
                .set(CaptureConfig.Key.RESTART_BACKOFF_MAX_MS, 2000)
                .set(CaptureConfig.Key.SOURCE_LAG_INTERVAL_MS, 500);
    }
}
