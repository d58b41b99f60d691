package io.fleetshard.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HotFleetTopologyTest {
    static final long WINDOW_MS = 60_000;
    static final long T0 = 1_700_000_040_000L - 1_700_000_040_000L % WINDOW_MS;

    @TempDir
    Path stateDir;
    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> vehicles;
    TestInputTopic<byte[], byte[]> trips;
    TestOutputTopic<String, String> hot;

    @BeforeEach
    void start() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "fleetshard-hotfleets");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(HotFleetTopology.build(Pattern.compile(HotFleetTopology.DEFAULT_INPUT),
                "fleetshard.hotfleets", Duration.ofMillis(WINDOW_MS), Duration.ofSeconds(5), 3), p);
        vehicles = driver.createInputTopic("fleetshard.cdc.vehicles", new ByteArraySerializer(), new ByteArraySerializer());
        trips = driver.createInputTopic("fleetshard.cdc.trips", new ByteArraySerializer(), new ByteArraySerializer());
        hot = driver.createOutputTopic("fleetshard.hotfleets", new StringDeserializer(), new StringDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static void pipe(TestInputTopic<byte[], byte[]> topic, ShardLogRecords.Rec r, long ts) {
        topic.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), ts));
    }

    @Test
    void theDefaultInputIsTheChangeTopicsNotCapturesOwnTopics() {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(HotFleetTopology.DEFAULT_INPUT);
        assertThat(java.util.List.of("fleetshard.cdc.vehicles", "fleetshard.cdc.telemetry",
                "fleetshard.cdc.offsets_archive")).allMatch(t -> p.matcher(t).matches());
        assertThat(java.util.List.of("fleetshard.cdc.dead-letters", "fleetshard.cdc.assignments",
                "fleetshard.cdc.offsets", "fleetshard.shardlog.pg-1")).noneMatch(t -> p.matcher(t).matches());
    }

    @Test
    void reportsAFleetOnceWhenItsWritesInAWindowReachTheThresholdAcrossTables() throws Exception {
        pipe(vehicles, ShardLogRecords.vehicle("c", "t1", "f1", "v1", 1), T0 + 1);
        pipe(trips, ShardLogRecords.vehicle("u", "t1", "f1", "v1", 2), T0 + 2);
        pipe(vehicles, ShardLogRecords.vehicle("c", "t1", "f2", "v9", 1), T0 + 3);
        assertThat(hot.isEmpty()).isTrue();
        pipe(vehicles, ShardLogRecords.vehicle("d", "t1", "f1", "v1", 0), T0 + 4);
        pipe(vehicles, ShardLogRecords.vehicle("u", "t1", "f1", "v2", 5), T0 + 5); // 4th: already reported

        List<TestRecord<String, String>> out = hot.readRecordsToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).key()).isEqualTo("t1/f1");
        assertThat(out.get(0).headers().toArray()).as("no change-event headers on a report").isEmpty();
        JsonNode v = ShardLogRecords.JSON.readTree(out.get(0).value());
        assertThat(v.get("tenantId").asText()).isEqualTo("t1");
        assertThat(v.get("fleetId").asText()).isEqualTo("f1");
        assertThat(v.get("shardId").asText()).isEqualTo("s1");
        assertThat(v.get("writes").asLong()).isEqualTo(3);
        assertThat(v.get("windowStartMs").asLong()).isEqualTo(T0);
        assertThat(v.get("windowEndMs").asLong()).isEqualTo(T0 + WINDOW_MS);
    }

    @Test
    void snapshotReadsTaggedRecordsAndOffloadDeletesDoNotCount() {
        pipe(vehicles, ShardLogRecords.vehicle("r", "t1", "f1", "v1", 1), T0 + 1);
        pipe(vehicles, ShardLogRecords.vehicle("r", "t1", "f1", "v2", 1), T0 + 2);
        pipe(vehicles, ShardLogRecords.change("c", "vehicles", "t1", "f1", ShardLogRecords.JSON.createObjectNode().put("k", 1),
                ShardLogRecords.JSON.createObjectNode().put("k", 1), true), T0 + 3);
        pipe(vehicles, ShardLogRecords.vehicle("c", "t1", "f1", "v4", 1), T0 + 5);
        pipe(vehicles, ShardLogRecords.vehicle("c", "t1", "f1", "v5", 1), T0 + 6);
        ShardLogRecords.Rec offload = ShardLogRecords.vehicle("d", "t1", "f1", "v0", 0);
        offload.headers().add("fleetshard.origin", "offload".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        pipe(vehicles, offload, T0 + 6);
        assertThat(hot.isEmpty()).as("2 writes counted").isTrue();
        pipe(vehicles, ShardLogRecords.vehicle("c", "t1", "f1", "v6", 1), T0 + 7);
        assertThat(hot.readRecordsToList()).hasSize(1);
    }

    @Test
    void eachWindowCountsOnItsOwn() {
        for (int i = 0; i < 2; i++) {
            pipe(vehicles, ShardLogRecords.vehicle("u", "t1", "f1", "v1", i), T0 + i);
        }
        for (int i = 0; i < 3; i++) {
            pipe(vehicles, ShardLogRecords.vehicle("u", "t1", "f1", "v1", i), T0 + WINDOW_MS + i);
        }
        List<TestRecord<String, String>> out = hot.readRecordsToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).value()).contains("\"windowStartMs\":" + (T0 + WINDOW_MS));
    }
}
