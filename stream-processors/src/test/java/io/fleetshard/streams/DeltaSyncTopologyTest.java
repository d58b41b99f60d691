package io.fleetshard.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaSyncTopologyTest {
    static final String TOPIC = "fleetshard.shardlog.s1";

    @TempDir
    Path stateDir;
    final InMemoryTargetWriter target = new InMemoryTargetWriter();
    final DeltaSyncProgress progress = new DeltaSyncProgress();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> log;

    void start(String jobId, Set<String> fleets) {
        DeltaSyncMetrics metrics = new DeltaSyncMetrics(registry, jobId, () -> 0);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "fleetshard-reshard-" + jobId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(DeltaSyncTopology.build(TOPIC, jobId, fleets, 100, Duration.ofMillis(50),
                () -> target, progress, metrics), p);
        log = driver.createInputTopic(TOPIC, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    void pipe(ShardLogRecords.Rec r) {
        log.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), 0L));
    }

    @Test
    void appliesOnlyTheChangesOfTheMovingFleetsInLogOrder() {
        start("j1", Set.of("t1/f1", "t2/f9"));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v1", 10));
        pipe(ShardLogRecords.vehicle("c", "t1", "f2", "v2", 20));   // not moving
        pipe(ShardLogRecords.vehicle("u", "t1", "f1", "v1", 11));
        pipe(ShardLogRecords.vehicle("c", "t2", "f9", "v3", 30));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v4", 40));
        pipe(ShardLogRecords.vehicle("d", "t1", "f1", "v4", 0));
        pipe(ShardLogRecords.vehicle("r", "t9", "f1", "v5", 50));   // same fleet id, other tenant

        assertThat(target.rows("vehicles")).hasSize(2);
        assertThat(target.rows("vehicles").values()).extracting(n -> n.get("odometer").asLong()).containsExactlyInAnyOrder(11L, 30L);
        assertThat(target.sourceOffset).as("progress: the offset of the last record handled, applied or not").isEqualTo(6);
        assertThat(progress.appliedOffset()).isEqualTo(6);
        assertThat(progress.eventsApplied()).isEqualTo(5);
        assertThat(registry.get(DeltaSyncMetrics.APPLIED).tag("job", "j1").counter().count()).isEqualTo(5);
    }

    @Test
    void skipsTaggedRecordsAndOtherJobsFencesButRecordsItsOwnFence() {
        start("j1", Set.of("t1/f1"));
        pipe(ShardLogRecords.marker("copy", "j1"));
        pipe(ShardLogRecords.change("c", "vehicles", "t1", "f1",
                ShardLogRecords.JSON.createObjectNode().put("vehicle_id", "copied"),
                ShardLogRecords.JSON.createObjectNode().put("vehicle_id", "copied"), true));
        pipe(ShardLogRecords.marker("fence", "other-job", 2));
        assertThat(target.fenceSeq).isZero();
        assertThat(progress.fenceSeen()).isFalse();

        pipe(ShardLogRecords.marker("fence", "j1", 3));
        assertThat(target.fenceSeq).isEqualTo(3);
        assertThat(progress.fenceSeen()).isTrue();

        pipe(ShardLogRecords.marker("cleanup", "j1", 4));
        pipe(ShardLogRecords.vehicle("c", "t1", "f2", "v2", 20));
        assertThat(target.fenceSeq).as("once seen, the fence stays seen").isEqualTo(3);
        assertThat(target.rows("vehicles")).isEmpty();
        assertThat(target.sourceOffset).isEqualTo(5);
    }

    /**
     * A cutover whose fence was lifted (the delta sync was down) fences again: the target's progress must tell the
     * second fence from the first, which a restarted delta sync still finds in the shard log before it.
     */
    @Test
    void skipsCapturesWatermarksButCountsTheirOffsets() {
        start("j1", Set.of("t1/f1"));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v1", 10));
        pipe(ShardLogRecords.watermark(1_700_000_000_000L));
        pipe(ShardLogRecords.vehicle("u", "t1", "f1", "v1", 11));
        pipe(ShardLogRecords.watermark(1_700_000_005_000L));
        driver.advanceWallClockTime(Duration.ofMillis(100));

        assertThat(target.rows("vehicles").values()).extracting(n -> n.get("odometer").asLong()).containsExactly(11L);
        assertThat(progress.eventsApplied()).as("two changes, no watermark").isEqualTo(2);
        assertThat(target.sourceOffset).as("through the last watermark's offset").isEqualTo(3);
    }

    @Test
    void aLiftedFenceAndItsSuccessorAreToldApartBySequenceNumber() {
        start("j1", Set.of("t1/f1"));
        pipe(ShardLogRecords.marker("fence", "j1", 5));
        pipe(ShardLogRecords.marker("rollback", "j1", 6));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v1", 10)); // written between the two fences
        assertThat(target.fenceSeq).as("the first fence only").isEqualTo(5);
        assertThat(target.rows("vehicles")).hasSize(1);

        pipe(ShardLogRecords.marker("fence", "j1", 7));
        assertThat(target.fenceSeq).isEqualTo(7);
        pipe(ShardLogRecords.marker("fence", "j1", 5)); // never backwards
        assertThat(target.fenceSeq).isEqualTo(7);
    }

    @Test
    void aReplayedRecordThatTheTargetAlreadyCoversIsNotAppliedAgain() {
        target.sourceOffset = 1; // an earlier run committed on the target but not in Kafka
        start("j1", Set.of("t1/f1"));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v1", 10));
        pipe(ShardLogRecords.vehicle("d", "t1", "f1", "v1", 0));
        assertThat(target.transactions).as("nothing new: no target transaction").isEmpty();
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v2", 20));
        assertThat(target.rows("vehicles")).hasSize(1);
        assertThat(target.transactions).containsExactly(1);
        assertThat(progress.eventsApplied()).isEqualTo(1);
    }

    @Test
    void aMalformedChangeOfAMovingFleetStopsTheJobNamingTheOffset() {
        start("j1", Set.of("t1/f1"));
        pipe(ShardLogRecords.vehicle("c", "t1", "f1", "v1", 10));
        ShardLogRecords.Rec good = ShardLogRecords.vehicle("c", "t1", "f1", "v2", 10);
        ShardLogRecords.Rec bad = new ShardLogRecords.Rec(good.key(), ShardLogRecords.bytes("{\"op\":\"x\",\"table\":\"vehicles\"}"),
                good.headers());
        assertThatThrownBy(() -> pipe(bad)).hasRootCauseInstanceOf(DeltaSyncProcessor.MalformedRecord.class)
                .rootCause().hasMessageContaining("shard-log record at offset 1 has op 'x', expected c, u, r or d");
    }

    @Test
    void theTopologyNamesItsSourceProcessorAndStore() {
        start("j1", Set.of("t1/f1"));
        TopologyDescription d = DeltaSyncTopology.build(TOPIC, "j1", Set.of("t1/f1"), 10, Duration.ofMillis(50),
                () -> target, progress, new DeltaSyncMetrics(new SimpleMeterRegistry(), "j1", () -> 0)).describe();
        assertThat(d.toString()).contains("Source: " + DeltaSyncTopology.SOURCE + " (topics: [" + TOPIC + "])")
                .contains("Processor: " + DeltaSyncTopology.APPLY + " (stores: [" + DeltaSyncTopology.PENDING + "])");
    }
}
