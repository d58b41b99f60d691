package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.KafkaGate;
import io.fleetshard.testkit.SharedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardMapLogIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static ShardMapLogConfig uniqueLog(String bootstrap) {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        return ShardMapLogConfig.defaults(bootstrap).withTopic("shardmap-it-" + suffix)
                .withTransactionalId("shardmap-writer-it-" + suffix);
    }

    private static List<MapEntity> shardWithNodes(String shardId) {
        return List.of(Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node(shardId + "-p", shardId, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                        "jdbc:postgresql://127.0.0.1:1/fleet"),
                new Node(shardId + "-r", shardId, NodeRole.SYNC_REPLICA, "eu-west-1", "eu-west-1b",
                        "jdbc:postgresql://127.0.0.1:2/fleet"));
    }

    @Test
    void aFollowerStartedWhileKafkaDoesNotAnswerCatchesUpOnceItDoes() throws Exception {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower writerFollower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, writerFollower);
                KafkaGate gate = new KafkaGate(log.bootstrapServers())) {
            long v = writer.commit(0, shardWithNodes("s1"), List.of());
            // a router starting while Kafka is down: its follower's first look at the log times out (2 s here)
            ShardMapLogConfig late = new ShardMapLogConfig(gate.bootstrapServers(), log.topic(),
                    log.transactionalId(), Duration.ofSeconds(2));
            try (ShardMapFollower follower = ShardMapFollower.start(late, null)) {
                assertThat(follower.awaitVersion(v, Duration.ofSeconds(5))).isFalse();
                gate.open();
                assertThat(follower.awaitVersion(v, WAIT)).as("the follower keeps trying once Kafka answers").isTrue();
                assertThat(follower.current().shards()).extracting(Shard::shardId).containsExactly("s1");
            }
        }
    }

    @Test
    void readersSeeAShardAndItsNodesTogetherOrNotAtAll() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower);
                ShardMapFollower observer = ShardMapFollower.start(log, null)) {
            List<ShardMapSnapshot> seen = new CopyOnWriteArrayList<>();
            observer.addListener(seen::add);
            long v = 0;
            for (int i = 0; i < 20; i++) {
                v = writer.commit(v, shardWithNodes("s" + i), List.of());
            }
            assertThat(observer.awaitVersion(v, WAIT)).isTrue();
            for (ShardMapSnapshot s : seen) {
                for (Shard shard : s.shards()) {
                    assertThat(s.nodesOf(shard.shardId())).as("nodes of %s at v%d", shard.shardId(), s.version())
                            .hasSize(2);
                }
                assertThat(s.shards()).hasSize((int) s.version());
            }
            assertThat(observer.current().shards()).hasSize(20);
        }
    }

    @Test
    void entityRecordsWithoutTheirVersionRecordAndAbortedTransactionsAreNotApplied() throws Exception {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v1 = writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD)), List.of());
            writer.close(); // a raw producer takes the writer's place to write incomplete transactions
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, log.bootstrapServers());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, log.transactionalId());
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(p, new StringSerializer(),
                    new ByteArraySerializer())) {
                raw.initTransactions();
                raw.beginTransaction();
                raw.send(new ProducerRecord<>(log.topic(), 0, "tenant:aborted",
                        MapRecordCodec.encode(2, new Tenant("aborted", DurabilityTier.STANDARD))));
                raw.send(new ProducerRecord<>(log.topic(), 0, VersionRecord.KEY,
                        new VersionRecord(2, List.of("tenant:aborted"), 0).encode()));
                raw.flush();
                raw.abortTransaction();
                raw.beginTransaction();
                raw.send(new ProducerRecord<>(log.topic(), 0, "tenant:half",
                        MapRecordCodec.encode(2, new Tenant("half", DurabilityTier.STANDARD))));
                raw.commitTransaction(); // committed, but no version record yet
                assertThat(follower.awaitCaughtUp(WAIT)).isTrue();
                assertThat(follower.current().version()).isEqualTo(v1);
                assertThat(follower.current().tenant("half")).isEmpty();
                raw.beginTransaction();
                raw.send(new ProducerRecord<>(log.topic(), 0, VersionRecord.KEY,
                        new VersionRecord(2, List.of("tenant:half"), 0).encode()));
                raw.commitTransaction();
            }
            assertThat(follower.awaitVersion(2, WAIT)).isTrue();
            assertThat(follower.current().tenant("half")).isPresent();
            assertThat(follower.current().tenant("aborted")).isEmpty();
        }
    }

    @Test
    void aSecondWriterFencesTheFirstWhichThenRefusesToWrite() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower f1 = ShardMapFollower.start(log, null);
                ShardMapFollower f2 = ShardMapFollower.start(log, null);
                ShardMapWriter first = ShardMapWriter.open(log, f1)) {
            long v1 = first.commit(0, List.of(new Tenant("one", DurabilityTier.STANDARD)), List.of());
            try (ShardMapWriter second = ShardMapWriter.open(log, f2)) {
                assertThatThrownBy(() -> first.commit(v1, List.of(new Tenant("stale", DurabilityTier.STANDARD)),
                        List.of())).isInstanceOf(WriterFencedException.class).hasMessageContaining("fenced");
                assertThat(first.isFenced()).isTrue();
                long v2 = second.commit(v1, List.of(new Tenant("two", DurabilityTier.STANDARD)), List.of());
                assertThat(f1.awaitVersion(v2, WAIT)).isTrue();
                assertThat(f1.current().tenant("two")).isPresent();
                assertThat(f1.current().tenant("stale")).isEmpty();
                assertThatThrownBy(() -> first.commit(v2, List.of(), List.of()))
                        .isInstanceOf(WriterFencedException.class);
            }
        }
    }

    @Test
    void aWriterThatSeesVersionsItNeverWroteRefusesBeforeKafkaTellsIt() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower f1 = ShardMapFollower.start(log, null);
                ShardMapFollower f2 = ShardMapFollower.start(log, null);
                ShardMapWriter first = ShardMapWriter.open(log, f1)) {
            long v1 = first.commit(0, List.of(new Tenant("one", DurabilityTier.STANDARD)), List.of());
            try (ShardMapWriter second = ShardMapWriter.open(log, f2)) {
                long v2 = second.commit(v1, List.of(new Tenant("two", DurabilityTier.STANDARD)), List.of());
                assertThat(f1.awaitVersion(v2, WAIT)).isTrue();
                assertThatThrownBy(() -> first.commit(v2, List.of(new Tenant("three", DurabilityTier.STANDARD)),
                        List.of())).isInstanceOf(WriterFencedException.class);
                assertThat(first.isFenced()).isTrue();
            }
        }
    }

    @Test
    void aPreparedTransactionIsInvisibleUntilCommittedAndLeavesNoTraceWhenAborted() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower);
                ShardMapFollower observer = ShardMapFollower.start(log, null)) {
            long v1 = writer.commit(0, List.of(new Tenant("first", DurabilityTier.STANDARD)), List.of());
            ShardMapCommitter.Prepared ahead = writer.prepare(v1, List.of(new Tenant("ahead", DurabilityTier.STANDARD)),
                    List.of());
            assertThatThrownBy(() -> writer.commit(v1, List.of(new Tenant("other", DurabilityTier.STANDARD)),
                    List.of())).isInstanceOf(IllegalStateException.class).hasMessageContaining("prepared");
            assertThat(observer.awaitCaughtUp(WAIT)).isTrue();
            assertThat(observer.current().version()).isEqualTo(v1);
            assertThat(observer.current().tenant("ahead")).isEmpty();

            long v2 = ahead.commit();
            assertThat(v2).isEqualTo(v1 + 1);
            assertThat(observer.awaitVersion(v2, WAIT)).isTrue();
            assertThat(observer.current().tenant("ahead")).isPresent();

            ShardMapCommitter.Prepared dropped = writer.prepare(v2,
                    List.of(new Tenant("dropped", DurabilityTier.STANDARD)), List.of());
            dropped.abort();
            long v3 = writer.commit(v2, List.of(new Tenant("next", DurabilityTier.STANDARD)), List.of());
            assertThat(v3).isEqualTo(v2 + 1);
            assertThat(observer.awaitVersion(v3, WAIT)).isTrue();
            assertThat(observer.current().tenant("next")).isPresent();
            assertThat(observer.current().tenant("dropped")).isEmpty();
        }
    }

    @Test
    void aPreparedTransactionOfAWriterFencedMeanwhileIsNeverCommitted() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower f1 = ShardMapFollower.start(log, null);
                ShardMapFollower f2 = ShardMapFollower.start(log, null);
                ShardMapWriter first = ShardMapWriter.open(log, f1)) {
            long v1 = first.commit(0, List.of(new Tenant("one", DurabilityTier.STANDARD)), List.of());
            ShardMapCommitter.Prepared stale = first.prepare(v1, List.of(new Tenant("stale", DurabilityTier.STANDARD)),
                    List.of());
            try (ShardMapWriter second = ShardMapWriter.open(log, f2)) { // aborts the open transaction
                // fenced, or an unknown outcome that the follower resolves: either way not committed
                assertThatThrownBy(stale::commit).isInstanceOf(ShardMapException.class);
                long v2 = second.commit(v1, List.of(new Tenant("two", DurabilityTier.STANDARD)), List.of());
                assertThat(f1.awaitVersion(v2, WAIT)).isTrue();
                assertThat(f1.current().tenant("two")).isPresent();
                assertThat(f1.current().tenant("stale")).isEmpty();
            }
        }
    }

    @Test
    void commitOnAStaleBaseVersionIsAConflict() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            writer.commit(0, List.of(new Tenant("a", DurabilityTier.STANDARD)), List.of());
            assertThatThrownBy(() -> writer.commit(0, List.of(new Tenant("b", DurabilityTier.STANDARD)), List.of()))
                    .isInstanceOf(MapVersionConflictException.class);
        }
    }

    @Test
    void deletesAreAppliedAndSurviveAReplayFromTheBeginning() {
        ShardMapLogConfig log = uniqueLog(SharedKafka.get().bootstrapServers());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v = writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                    new Fleet("acme", "f1", null), new Fleet("acme", "f2", null)), List.of());
            v = writer.commit(v, List.of(), List.of(Fleet.keyOf("acme", "f1")));
            try (ShardMapFollower late = ShardMapFollower.start(log, null)) {
                assertThat(late.awaitVersion(v, WAIT)).isTrue();
                assertThat(late.current().fleetsOf("acme")).extracting(Fleet::fleetId).containsExactly("f2");
            }
        }
    }

    @Test
    void followerKeepsServingWithKafkaDownAndStartsFromItsSnapshotFile(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createDirectories(dir.resolve("kafka")))) {
            ShardMapLogConfig log = uniqueLog(kafka.bootstrapServers()).withTopic("shardmap-own");
            Path file = dir.resolve("map.json");
            long v;
            try (ShardMapFollower follower = ShardMapFollower.start(log, file);
                    ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
                v = writer.commit(0, shardWithNodes("s1"), List.of());
                v = writer.commit(v, List.of(new Tenant("acme", DurabilityTier.PLATINUM)), List.of());
                kafka.stop();
                assertThat(follower.current().version()).isEqualTo(v);
                assertThat(follower.current().shardForToken(FleetToken.of("acme", "f1"))).isEqualTo("s1");
            }
            assertThat(file).exists();
            try (ShardMapFollower cold = ShardMapFollower.start(log, file)) {
                assertThat(cold.current().version()).as("served from the file with Kafka down").isEqualTo(v);
                assertThat(cold.current().tenant("acme")).isPresent();
                kafka.restart();
                try (ShardMapWriter writer = ShardMapWriter.open(log, cold)) {
                    long v3 = writer.commit(v, List.of(new Tenant("beta", DurabilityTier.STANDARD)), List.of());
                    assertThat(cold.awaitVersion(v3, WAIT)).isTrue();
                    assertThat(cold.current().tenants()).extracting(Tenant::tenantId)
                            .containsExactlyInAnyOrder("acme", "beta");
                }
            }
        }
    }
}
