package io.fleetshard.cdc;

import static io.fleetshard.cdc.CdcTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.FleetToken;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MySqlNode;
import io.fleetshard.testkit.SharedKafka;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MySQL 8.0.15 shard (GTID mode on) captured through Debezium's MySqlConnector. Shards are registered with
 * {@code jdbc:mysql://} URLs, as the launcher registers them, so Connector/J serves this module's own queries too.
 */
class MySqlCaptureIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String GTID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\\d+";

    @TempDir
    static Path dir;
    static MySqlNode db;

    @BeforeAll
    static void start() {
        db = MySqlNode.start(dir.resolve("mysql"));
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    /** A new database with the two captured tables; its {@code jdbc:mysql://} URL as root. */
    private static String newShardDb(String name) throws Exception {
        db.createDatabase(name);
        String url = db.jdbcUrl(name).replace("jdbc:mariadb:", "jdbc:mysql:");
        CdcTestSupport.createMariaDbSchema(url);
        return url;
    }

    @Test
    void insertUpdateDeleteReachTheTableTopicsWithGtidPositionsInFleetOrder() throws Exception {
        String prefix = CdcTestSupport.unique("mysql");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String url = newShardDb(prefix);
        exec(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v0','VIN0','parked')");
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-m";
        CdcTestSupport.addShard(map, shardId, Engine.MYSQL, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("root", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start(); // creates the change topics
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles"), config.changeTopic("telemetry")));
            Await.condition("snapshot row", WAIT, () -> topics.count(r -> r.value().path("op").asText().equals("r")) == 1);
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v1','VIN1','s0')");
                s.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t2','f9','v1','VIN9','s0')");
                for (int i = 1; i <= 10; i++) {
                    s.execute("UPDATE vehicles SET status = 's" + i + "' WHERE vehicle_id = 'v1'"); // both fleets in one transaction
                }
                s.execute("INSERT INTO telemetry VALUES ('t1','f1','v1','2026-11-22 03:00:00', 48.1, 11.5, 42.5)");
                s.execute("DELETE FROM vehicles WHERE vehicle_id = 'v0'");
            }
            Await.condition("all 25 changes", WAIT, () -> topics.all().size() == 1 + 2 + 20 + 1 + 1);
            List<Received> all = topics.all();

            Received snapshot = all.stream().filter(r -> r.value().path("op").asText().equals("r")).findFirst().orElseThrow();
            assertThat(snapshot.value().path("after").path("vin").asText()).isEqualTo("VIN0");
            assertThat(snapshot.value().path("snapshot").asBoolean()).isTrue();
            assertThat(snapshot.value().path("txId").isNull()).as("no transaction id for a snapshot read").isTrue();

            Received update = all.stream().filter(r -> r.value().path("op").asText().equals("u")
                    && r.value().path("fleet").asText().equals("f1")).findFirst().orElseThrow();
            assertThat(update.value().path("before").path("status").asText()).isEqualTo("s0");
            assertThat(update.value().path("after").path("status").asText()).isEqualTo("s1");
            assertThat(update.value().path("before").path("vin").asText()).as("full before image").isEqualTo("VIN1");

            Received delete = all.stream().filter(r -> r.value().path("op").asText().equals("d")).findFirst().orElseThrow();
            assertThat(delete.value().path("after").isNull()).isTrue();
            assertThat(delete.value().path("before").path("status").asText()).isEqualTo("parked");

            Received telemetry = all.stream().filter(r -> r.topic().equals(config.changeTopic("telemetry"))).findFirst().orElseThrow();
            assertThat(telemetry.value().path("table").asText()).isEqualTo("telemetry");
            assertThat(telemetry.value().path("after").path("lat").asDouble()).isEqualTo(48.1);

            for (Received r : all) {
                JsonNode v = r.value();
                JsonNode source = v.path("source");
                assertThat(v.path("shard").asText()).isEqualTo(shardId);
                assertThat(r.partition()).as("partition of %s/%s", v.path("tenant").asText(), v.path("fleet").asText())
                        .isEqualTo(Math.floorMod(FleetToken.of(v.path("tenant").asText(), v.path("fleet").asText()), 6));
                assertThat(source.path("engine").asText()).isEqualTo("mysql");
                assertThat(source.path("db").asText()).isEqualTo(prefix);
                assertThat(source.path("file").asText()).startsWith("mysql-bin.");
                assertThat(source.path("pos").asLong()).isPositive();
                assertThat(r.header(ChangeEnvelopeMapper.H_POSITION)).isEqualTo(v.path("position").asText()).contains("@mysql-bin.");
                assertThat(v.path("commitTsMs").asLong()).isPositive();
                if (!v.path("snapshot").asBoolean()) {
                    assertThat(source.path("gtid").asText()).matches(GTID);
                    assertThat(v.path("txId").asText()).isEqualTo(source.path("gtid").asText());
                    assertThat(r.header(ChangeEnvelopeMapper.H_TX)).isEqualTo(v.path("txId").asText());
                    assertThat(v.path("position").asText()).startsWith(source.path("gtid").asText() + "@mysql-bin.");
                }
            }
            for (String fleet : List.of("f1", "f9")) {
                assertThat(statusesOf(all, fleet, "v1")).as("changes of fleet %s in commit order", fleet)
                        .containsExactlyElementsOf(IntStream.rangeClosed(0, 10).mapToObj(i -> "s" + i).toList());
            }
            Await.condition("unread binlog bytes of the shard measured", WAIT, () -> worker.meterRegistry()
                    .get("fleetshard.cdc.source.lag.bytes").tag("shard", shardId).gauge().value() >= 0);
            assertThat(worker.meterRegistry().get("fleetshard.cdc.commit.lag").tag("shard", shardId).timer().count()).isEqualTo(25);
            topics.close();
        }
    }

    @Test
    void aRestartedWorkerResumesAtTheStoredGtidPositionWithNoLostAndNoDuplicatedEvent() throws Exception {
        String prefix = CdcTestSupport.unique("myrst");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String url = newShardDb(prefix);
        exec(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('t1','f1','snap','s0')");
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-m";
        CdcTestSupport.addShard(map, shardId, Engine.MYSQL, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("root", "").build();
        Collector topics = null;
        try {
            try (CaptureWorker worker = new CaptureWorker(config, map)) {
                worker.start(); // creates the change topics
                topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
                Collector collected = topics;
                Await.condition("snapshot row", WAIT, () -> collected.count(r -> r.value().path("op").asText().equals("r")) == 1);
                writeBatch(url, "before", 50);
                Await.condition("50 changes before the stop", WAIT, () -> collected.all().size() == 1 + 50);
                writeBatch(url, "during-stop", 50); // some may still be captured before close() returns
            }
            writeBatch(url, "while-down", 50);
            Collector collected = topics;
            try (CaptureWorker restarted = new CaptureWorker(config, map)) {
                restarted.start();
                Await.condition("changes up to the marker after the restart", WAIT,
                        () -> collected.count(r -> r.value().path("key").path("vehicle_id").asText().equals("while-down-49")) == 1);
                writeBatch(url, "after", 50);
                Await.condition("every change once", WAIT, () -> collected.all().size() >= 1 + 200);
                List<Received> all = collected.all();
                assertThat(all).hasSize(1 + 200);
                assertThat(all.stream().filter(r -> r.value().path("op").asText().equals("r")).count())
                        .as("no second snapshot after the restart").isEqualTo(1);
                assertThat(all.stream().filter(r -> !r.value().path("snapshot").asBoolean()).map(r -> r.value().path("txId").asText())
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting())))
                        .as("each GTID captured once").hasSize(200).allSatisfy((gtid, n) -> assertThat(n).isEqualTo(1));
                List<String> expected = new ArrayList<>();
                for (String batch : List.of("before", "during-stop", "while-down", "after")) {
                    IntStream.range(0, 50).forEach(i -> expected.add(batch + "-" + i));
                }
                assertThat(all.stream().filter(r -> r.value().path("op").asText().equals("c"))
                        .map(r -> r.value().path("key").path("vehicle_id").asText()).toList())
                        .as("inserts of fleet f1 once each, in commit order").containsExactlyElementsOf(expected);
            }
        } finally {
            if (topics != null) {
                topics.close();
            }
        }
    }

    /** {@code n} single-row transactions of fleet t1/f1: vehicle ids {@code <batch>-0 .. <batch>-(n-1)}. */
    private static void writeBatch(String url, String batch, int n) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (int i = 0; i < n; i++) {
                s.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('t1','f1','" + batch + "-" + i + "','new')");
            }
        }
    }

    private static List<String> statusesOf(List<Received> all, String fleet, String vehicle) {
        return all.stream()
                .filter(r -> r.topic().endsWith("vehicles") && r.value().path("fleet").asText().equals(fleet)
                        && r.value().path("key").path("vehicle_id").asText().equals(vehicle))
                .map(r -> r.value().path("after").path("status").asText())
                .toList();
    }
}
