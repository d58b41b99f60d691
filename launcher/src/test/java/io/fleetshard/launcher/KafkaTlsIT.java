package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.config.KafkaClientSecurity;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapTopic;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.streams.HotFleetConfig;
import io.fleetshard.streams.HotFleetDetector;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SelfSignedKeyStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to Kafka by configuration (issue 12, ADR 0027) against a broker whose only client listener is TLS (a separate
 * broker: the shared one stays plaintext): the map log's writer and follower; capture of a PostgreSQL shard and an
 * archiver, both started by {@code fleetshard run} from their files and {@code FLEETSHARD_KAFKA_*} secrets, carrying
 * an insert through the shard log into an S3 segment; and a Kafka Streams app (the hot-fleet detector, exactly-once)
 * all work. A client that does not trust the broker's certificate fails with the handshake named, within its timeout.
 * SASL (PLAIN) over TLS on the same broker's second listener carries the map log; a wrong password is refused. Its
 * third listener requires a client certificate (mutual TLS): the configured key store is presented, none is refused.
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
    void mapLogCaptureArchiverAndStreamsWorkOnATlsOnlyBroker() throws Exception {
        String p = "tls" + UUID.randomUUID().toString().substring(0, 8);
        KafkaClientSecurity tls = trusting(truststore, TRUST_PASSWORD);
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg-" + p))) {
            pg.createDatabase("fleet");
            String primaryUrl = pg.jdbcUrl("fleet");
            DevRouter.installSchema(Engine.POSTGRES, primaryUrl, "tenant-secret-for-tls-it-0123456789");

            // the map log: writer and follower over TLS
            ShardMapLogConfig log = new ShardMapLogConfig(kafka.bootstrapServers(), p + ".shardmap", "writer-" + p,
                    Duration.ofSeconds(20)).withClientSecurity(tls.clientProperties());
            try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                    ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
                long v = writer.commit(follower.current().version(), List.of(new Tenant("acme", DurabilityTier.STANDARD),
                        Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 8),
                        new Node("s1-a", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primaryUrl),
                        new Fleet("acme", "trucks", "s1")), List.of());
                assertThat(follower.awaitVersion(v, WAIT)).isTrue();
                assertThat(follower.current().tenants()).extracting(Tenant::tenantId).contains("acme");
            }
            captureAndArchiveOverTls(p, tls, primaryUrl);
        }
        streamsOverTls(p, tls);
    }

    /**
     * Capture (producers, its consumer group, topic admin, Debezium's offset store) and an archiver, both started as
     * `fleetshard run` starts them: the TLS keys in the platform file, the trust store's password from the environment.
     */
    private static void captureAndArchiveOverTls(String p, KafkaClientSecurity tls, String primaryUrl)
            throws Exception {
        String shardLogs = p + ".shardlog.";
        try (S3Server s3 = S3Server.start(dir.resolve("s3-" + p))) {
            s3.newClient().createBucket(b -> b.bucket(p));
            Path platform = write(dir.resolve(p + "-platform.properties"), Map.of("admin.port", "0",
                    "admin.host", "127.0.0.1", "kafka.security.protocol", "SSL",
                    "kafka.ssl.truststore.location", truststore.toString(), "shardmap.topic", p + ".shardmap",
                    "state.dir", dir.resolve("state-" + p).toString()));
            Path captureConfig = write(dir.resolve(p + "-capture.properties"), Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(), "worker.id", p + "-w1", "group.id", p + "cdc",
                    "change.topic.prefix", p + ".cdc.", "assignment.topic", p + ".assign", "offsets.topic",
                    p + ".offsets", "schema.history.topic.prefix", p + ".history.",
                    "shard.log.topic.prefix", shardLogs, "db.user", "postgres", "poll.interval.ms", "10"));
            Path config = write(dir.resolve(p + "-archiver.properties"), Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(), "archiver.id", p + "-a1", "group.id", p + "arch",
                    "shard.log.topic.prefix", shardLogs, "archive.bucket", p, "s3.endpoint", s3.endpoint().toString(),
                    "s3.access.key", S3Server.ACCESS_KEY, "segment.max.age.ms", "200", "topic.discovery.ms", "500"));
            Map<String, String> env = Map.of("FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY,
                    "FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", TRUST_PASSWORD, "FLEETSHARD_DB_PASSWORD", "");
            List<String> args = List.of("archiver", "--config", config.toString(), "--platform", platform.toString());
            String check = RunCommand.check(args, env);
            assertThat(check).contains("configuration valid", "kafka.security.protocol").doesNotContain(TRUST_PASSWORD);
            try (RunCommand.Running capture = RunCommand.start(List.of("capture", "--config", captureConfig.toString(),
                    "--platform", platform.toString()), env);
                    RunCommand.Running archiver = RunCommand.start(args, env)) {
                Await.condition("capture ready", WAIT, () -> get(capture.adminPort(), "/readyz") == 200);
                try (Connection c = DriverManager.getConnection(primaryUrl); Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                            + " VALUES ('acme', 'trucks', 'v-1', 'VIN1', 'active', now())");
                }
                Await.condition("the insert captured into s1's shard log and archived in a segment", WAIT,
                        () -> s3.newClient().listObjectsV2(b -> b.bucket(p).prefix("standard/s1/segments/"))
                                .contents().stream().anyMatch(o -> o.key().endsWith(".jsonl.gz"))
                                && archivedVehicle(s3, p));
            }
        }
    }

    /** A Kafka Streams app (exactly-once: transactions, repartition and changelog topics) reaches RUNNING over TLS. */
    private static void streamsOverTls(String p, KafkaClientSecurity tls) throws Exception {
        Map<String, Object> admin = new HashMap<>(tls.clientProperties());
        admin.put("bootstrap.servers", kafka.bootstrapServers());
        try (Admin a = Admin.create(admin)) { // its input and report topics
            a.createTopics(List.of(new NewTopic(p + ".hot.in", 1, (short) 1),
                    new NewTopic(p + ".hot", 1, (short) 1))).all().get();
        }
        HotFleetConfig hot = HotFleetConfig.builder(kafka.bootstrapServers())
                .set(HotFleetConfig.Key.APPLICATION_ID, "hot-" + p)
                .set(HotFleetConfig.Key.INPUT_PATTERN, java.util.regex.Pattern.quote(p + ".hot.in"))
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

    /**
     * SASL over TLS (the same broker's SASL_SSL listener, mechanism PLAIN): the map log's writer and follower log in
     * with the {@code kafka.sasl.*} keys; a wrong password fails naming the authentication, within the timeout; and
     * {@code fleetshard run --check} takes the JAAS login from {@code FLEETSHARD_KAFKA_SASL_JAAS_CONFIG} without
     * printing it.
     */
    @Test
    void saslOverTlsCarriesTheMapLogAndAWrongPasswordFailsNamingTheAuthentication() throws Exception {
        String p = "sasl" + UUID.randomUUID().toString().substring(0, 8);
        KafkaClientSecurity sasl = KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "PLAIN",
                "kafka.sasl.jaas.config", EmbeddedKafka.plainLogin(EmbeddedKafka.SASL_USER, kafka.saslPassword()),
                "kafka.ssl.truststore.location", truststore.toString(), "kafka.ssl.truststore.password", TRUST_PASSWORD));
        commitsATenantThrough(new ShardMapLogConfig(kafka.saslBootstrapServers(), p + ".shardmap", "writer-" + p,
                Duration.ofSeconds(20)).withClientSecurity(sasl.clientProperties()));

        Map<String, String> wrong = new HashMap<>(sasl.clientProperties());
        wrong.put("sasl.jaas.config", EmbeddedKafka.plainLogin(EmbeddedKafka.SASL_USER, "not-the-password"));
        ShardMapLogConfig denied = new ShardMapLogConfig(kafka.saslBootstrapServers(), p + ".denied", "writer-denied",
                Duration.ofSeconds(5)).withClientSecurity(wrong);
        assertThatThrownBy(() -> ShardMapTopic.ensureExists(denied)).isInstanceOf(MapUnavailableException.class)
                .hasMessageContaining("Authentication failed");

        String jaas = EmbeddedKafka.plainLogin(EmbeddedKafka.SASL_USER, kafka.saslPassword());
        String check = RunCommand.check(List.of("router", "--config",
                write(dir.resolve(p + "-router.properties"), Map.of("router.port", "0", "router.tenant.secret",
                        "tenant-secret-for-sasl-0123456789", "router.auth.enabled", "false")).toString(), "--platform",
                write(dir.resolve(p + "-platform.properties"), Map.of("kafka.bootstrap.servers",
                        kafka.saslBootstrapServers(), "kafka.security.protocol", "SASL_SSL", "kafka.sasl.mechanism",
                        "PLAIN", "kafka.ssl.truststore.location", truststore.toString())).toString()),
                Map.of("FLEETSHARD_KAFKA_SASL_JAAS_CONFIG", jaas,
                        "FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", TRUST_PASSWORD));
        assertThat(check).contains("configuration valid", "kafka.sasl.jaas.config", "kafka.sasl.mechanism")
                .doesNotContain(kafka.saslPassword(), TRUST_PASSWORD);
    }

    /**
     * Mutual TLS (the same broker's listener that requires a client certificate): the map log presents the client key
     * store given by the {@code kafka.ssl.keystore.*} keys; a client without one is refused within its timeout.
     */
    @Test
    void mutualTlsPresentsTheClientCertificateAndAClientWithoutOneIsRefused() throws Exception {
        String p = "mtls" + UUID.randomUUID().toString().substring(0, 8);
        SelfSignedKeyStore clientKeys = kafka.mtlsClientKeys();
        KafkaClientSecurity mtls = KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SSL",
                "kafka.ssl.truststore.location", truststore.toString(), "kafka.ssl.truststore.password", TRUST_PASSWORD,
                "kafka.ssl.keystore.location", clientKeys.path().toString(),
                "kafka.ssl.keystore.password", clientKeys.password(), "kafka.ssl.key.password", clientKeys.password()));
        commitsATenantThrough(new ShardMapLogConfig(kafka.mtlsBootstrapServers(), p + ".shardmap", "writer-" + p,
                Duration.ofSeconds(20)).withClientSecurity(mtls.clientProperties()));

        ShardMapLogConfig noCertificate = new ShardMapLogConfig(kafka.mtlsBootstrapServers(), p + ".refused",
                "writer-refused", Duration.ofSeconds(5)).withClientSecurity(trusting(truststore, TRUST_PASSWORD)
                .clientProperties());
        assertThatThrownBy(() -> ShardMapTopic.ensureExists(noCertificate)).isInstanceOf(MapUnavailableException.class);
    }

    /** The map log's writer commits a tenant through {@code log} and its follower reads it back. */
    private static void commitsATenantThrough(ShardMapLogConfig log) {
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v = writer.commit(follower.current().version(), List.of(new Tenant("acme", DurabilityTier.STANDARD)),
                    List.of());
            assertThat(follower.awaitVersion(v, WAIT)).isTrue();
            assertThat(follower.current().tenants()).extracting(Tenant::tenantId).containsExactly("acme");
        }
    }

    /** Whether a segment of s1 holds the inserted vehicle (segments are gzipped JSON lines). */
    private static boolean archivedVehicle(S3Server s3, String bucket) {
        var client = s3.newClient();
        for (var o : client.listObjectsV2(b -> b.bucket(bucket).prefix("standard/s1/segments/")).contents()) {
            try (var in = new java.util.zip.GZIPInputStream(client.getObject(b -> b.bucket(bucket).key(o.key())))) {
                if (new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("VIN1")) {
                    return true;
                }
            } catch (java.io.IOException e) {
                return false;
            }
        }
        return false;
    }

    /** The status of {@code GET path} on a worker's admin port; -1 when it does not answer. */
    private static int get(int port, String path) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static Path write(Path file, Map<String, String> values) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        return Files.writeString(file, sb.toString());
    }
}
