package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.config.KafkaClientSecurity;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapTopic;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.streams.HotFleetConfig;
import io.fleetshard.streams.HotFleetDetector;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SelfSignedKeyStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to Kafka by configuration (issue 12, ADR 0027) against a broker whose only client listener is TLS (a separate
 * broker: the shared one stays plaintext): the map log's writer and follower, an archiver started by
 * {@code fleetshard run} from its files and {@code FLEETSHARD_KAFKA_*} secrets (consumer group, S3 segments), and a
 * Kafka Streams app (the hot-fleet detector, exactly-once: transactions, internal topics) all work; a client that does
 * not trust the broker's certificate fails with the handshake named, within its timeout.
 */
class KafkaTlsIT {
    private static final Duration WAIT = Duration.ofSeconds(45);

    @TempDir
    static Path dir;
    static SelfSignedKeyStore brokerKeys;
    static EmbeddedKafka kafka;
    static Path truststore;
    static final String TRUST_PASSWORD = "trust-" + UUID.randomUUID();

    @BeforeAll
    static void startTlsBroker() {
        brokerKeys = SelfSignedKeyStore.create(dir.resolve("broker-tls"));
        kafka = EmbeddedKafka.startSsl(dir.resolve("kafka"), brokerKeys);
        truststore = brokerKeys.writeTrustStore(dir.resolve("client/truststore.p12"), TRUST_PASSWORD);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static KafkaClientSecurity trusting(Path trust, String password) {
        return KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SSL",
                "kafka.ssl.truststore.location", trust.toString(), "kafka.ssl.truststore.password", password));
    }

    @Test
    void mapLogArchiverAndStreamsWorkOnATlsOnlyBroker() throws Exception {
        String p = "tls" + UUID.randomUUID().toString().substring(0, 8);
        KafkaClientSecurity tls = trusting(truststore, TRUST_PASSWORD);

        // the map log: writer and follower over TLS
        ShardMapLogConfig log = new ShardMapLogConfig(kafka.bootstrapServers(), p + ".shardmap", "writer-" + p,
                Duration.ofSeconds(20)).withClientSecurity(tls.clientProperties());
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v = writer.commit(follower.current().version(), List.of(new Tenant("acme", DurabilityTier.STANDARD)),
                    List.of());
            assertThat(follower.awaitVersion(v, WAIT)).isTrue();
            assertThat(follower.current().tenants()).extracting(Tenant::tenantId).contains("acme");
        }

        // an archiver as `fleetshard run archiver` starts it: TLS keys in the platform file, the password from the env
        String shardLogs = p + ".shardlog.";
        String topic = shardLogs + "s1";
        Map<String, String> clientSecurity = tls.clientProperties();
        Map<String, Object> admin = new HashMap<>(clientSecurity);
        admin.put("bootstrap.servers", kafka.bootstrapServers());
        try (Admin a = Admin.create(admin)) { // the shard log, and the change and report topics of the Streams app
            a.createTopics(List.of(new NewTopic(topic, 1, (short) 1), new NewTopic(p + ".cdc.vehicles", 1, (short) 1),
                    new NewTopic(p + ".hot", 1, (short) 1))).all().get();
        }
        try (S3Server s3 = S3Server.start(dir.resolve("s3-" + p))) {
            s3.newClient().createBucket(b -> b.bucket(p));
            Path platform = write(dir.resolve(p + "-platform.properties"), Map.of("admin.port", "0",
                    "admin.host", "127.0.0.1", "kafka.security.protocol", "SSL",
                    "kafka.ssl.truststore.location", truststore.toString()));
            Path config = write(dir.resolve(p + "-archiver.properties"), Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(), "archiver.id", p + "-a1", "group.id", p + "arch",
                    "shard.log.topic.prefix", shardLogs, "archive.bucket", p, "s3.endpoint", s3.endpoint().toString(),
                    "s3.access.key", S3Server.ACCESS_KEY, "segment.max.age.ms", "200", "topic.discovery.ms", "500"));
            Map<String, String> env = Map.of("FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY,
                    "FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", TRUST_PASSWORD);
            List<String> args = List.of("archiver", "--config", config.toString(), "--platform", platform.toString());
            String check = RunCommand.check(args, env);
            assertThat(check).contains("configuration valid", "kafka.security.protocol").doesNotContain(TRUST_PASSWORD);
            try (RunCommand.Running archiver = RunCommand.start(args, env)) {
                writeShardLog(topic, clientSecurity, 5);
                Await.condition("a segment of s1 in the archive", WAIT, () -> s3.newClient()
                        .listObjectsV2(b -> b.bucket(p).prefix("standard/s1/segments/")).contents().stream()
                        .anyMatch(o -> o.key().endsWith(".jsonl.gz")));
            }
        }

        // a Kafka Streams app (exactly-once: transactions, repartition and changelog topics) reaches RUNNING over TLS
        HotFleetConfig hot = HotFleetConfig.builder(kafka.bootstrapServers())
                .set(HotFleetConfig.Key.APPLICATION_ID, "hot-" + p)
                .set(HotFleetConfig.Key.INPUT_PATTERN, java.util.regex.Pattern.quote(p + ".cdc.") + ".*")
                .set(HotFleetConfig.Key.OUTPUT_TOPIC, p + ".hot")
                .set(HotFleetConfig.Key.STATE_DIR, dir.resolve("streams-" + p).toString())
                .kafkaSecurity(tls).build();
        try (HotFleetDetector detector = new HotFleetDetector(hot)) {
            detector.start();
            Await.condition("the hot-fleet detector running over TLS", WAIT,
                    () -> detector.state() == KafkaStreams.State.RUNNING);
            assertThat(detector.lastError()).isNull();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheBrokerFailsNamingTheHandshakeAndABadTrustStoreIsAConfigError() {
        SelfSignedKeyStore other = SelfSignedKeyStore.create(dir.resolve("other-tls"));
        Path wrongTrust = other.writeTrustStore(dir.resolve("client/wrong-truststore.p12"), "wrong-pass");
        ShardMapLogConfig log = new ShardMapLogConfig(kafka.bootstrapServers(), "tls.wrong.shardmap", "writer-wrong",
                Duration.ofSeconds(5)).withClientSecurity(trusting(wrongTrust, "wrong-pass").clientProperties());
        assertThatThrownBy(() -> ShardMapTopic.ensureExists(log)).isInstanceOf(MapUnavailableException.class)
                .hasMessageContaining("SSL handshake failed");

        // a plaintext client against the TLS listener does not hang either: bounded by its timeout
        ShardMapLogConfig plain = new ShardMapLogConfig(kafka.bootstrapServers(), "tls.plain.shardmap", "writer-plain",
                Duration.ofSeconds(3));
        assertThatThrownBy(() -> ShardMapTopic.ensureExists(plain)).isInstanceOf(MapUnavailableException.class);

        // a trust store path that does not exist stops `fleetshard run --check` naming the key, never printing secrets
        assertThatThrownBy(() -> RunCommand.check(List.of("router", "--config",
                write(dir.resolve("router-bad.properties"), Map.of("router.port", "0")).toString(), "--platform",
                write(dir.resolve("platform-bad.properties"), Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
                        "kafka.security.protocol", "SSL", "kafka.ssl.truststore.location",
                        dir.resolve("missing.p12").toString())).toString()),
                Map.of("FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", "do-not-print-me")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.ssl.truststore.location '" + dir.resolve("missing.p12") + "' is not a readable file")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("do-not-print-me"));
    }

    /** Five committed change events, as cdc-capture writes a shard log (transactional, commit-time and position headers). */
    private static void writeShardLog(String topic, Map<String, String> security, int events) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.putAll(security);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tls-it-" + topic);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int n = 0; n < events; n++) {
                long ts = System.currentTimeMillis();
                String value = "{\"version\":1,\"op\":\"c\",\"table\":\"vehicles\",\"n\":" + n + ",\"position\":\"0/"
                        + n + "\",\"commitTsMs\":" + ts + ",\"after\":{\"vehicle_id\":\"v" + n + "\"}}";
                RecordHeaders h = new RecordHeaders();
                h.add("fleetshard.commit.ts.ms", Long.toString(ts).getBytes(StandardCharsets.UTF_8));
                h.add("fleetshard.position", ("0/" + n).getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<>(topic, 0, ts, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8), h));
            }
            producer.commitTransaction();
        }
    }

    private static Path write(Path file, Map<String, String> values) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        return Files.writeString(file, sb.toString());
    }
}
