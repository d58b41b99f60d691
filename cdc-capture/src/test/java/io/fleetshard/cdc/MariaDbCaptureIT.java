package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.FleetToken;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.SelfSignedKeyStore;
import io.fleetshard.testkit.SharedKafka;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A MariaDB 11.4 shard captured through Debezium's MariaDB connector (never MySqlConnector: STACK.md). */
class MariaDbCaptureIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static MariaDbNode db;
    static SelfSignedKeyStore.Pem tls;

    @BeforeAll
    static void start() {
        // TLS on (plain connections still accepted, except for accounts created REQUIRE SSL)
        tls = SelfSignedKeyStore.create(dir.resolve("tls")).pem();
        db = MariaDbNode.startWithTls(dir.resolve("mariadb"), tls.certPem(), tls.keyPem());
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void insertUpdateDeleteReachTheTableTopicWithGtidPositions() throws Exception {
        String prefix = CdcTestSupport.unique("maria");
        String bootstrap = SharedKafka.get().bootstrapServers();
        db.createDatabase(prefix);
        String url = db.jdbcUrl(prefix);
        CdcTestSupport.createMariaDbSchema(url);
        CdcTestSupport.exec(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v0','VIN0','parked')");
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-m";
        CdcTestSupport.addShard(map, shardId, Engine.MARIADB, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("root", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
            Await.condition("snapshot row", WAIT, () -> topics.count(r -> r.value().path("op").asText().equals("r")) == 1);
            CdcTestSupport.exec(url,
                    "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v1','VIN1','s0')",
                    "UPDATE vehicles SET status = 's1' WHERE vehicle_id = 'v1'",
                    "DELETE FROM vehicles WHERE vehicle_id = 'v0'");
            Await.condition("insert, update and delete", WAIT, () -> topics.all().size() == 4);
            List<Received> all = topics.all();
            assertThat(all).extracting(r -> r.value().path("op").asText()).containsExactly("r", "c", "u", "d");
            Received update = all.get(2);
            assertThat(update.value().path("before").path("status").asText()).isEqualTo("s0");
            assertThat(update.value().path("after").path("status").asText()).isEqualTo("s1");
            assertThat(update.value().path("source").path("engine").asText()).isEqualTo("mariadb");
            assertThat(update.value().path("txId").asText()).matches("\\d+-\\d+-\\d+");
            assertThat(update.header(ChangeEnvelopeMapper.H_POSITION)).isEqualTo(update.value().path("position").asText())
                    .contains("@mariadb-bin.");
            assertThat(all).allSatisfy(r -> assertThat(r.partition()).isEqualTo(Math.floorMod(FleetToken.of("t1", "f1"), 6)));
            Await.condition("unread binlog bytes of the shard measured", WAIT, () -> worker.meterRegistry()
                    .get("fleetshard.cdc.source.lag.bytes").tag("shard", shardId).gauge().value() >= 0);
            assertThat(worker.meterRegistry().get("fleetshard.cdc.commit.lag").tag("shard", shardId).timer().count()).isEqualTo(4);
            topics.close();
        }
    }

    @Test
    void capturesOverVerifiedTlsFromTheNodeUrlOfATlsOnlyServer() throws Exception {
        String prefix = CdcTestSupport.unique("mtls");
        String bootstrap = SharedKafka.get().bootstrapServers();
        db.createDatabase(prefix);
        CdcTestSupport.createMariaDbSchema(db.jdbcUrl(prefix));
        CdcTestSupport.exec(db.jdbcUrl(""), "CREATE USER IF NOT EXISTS 'cdc_tls'@'%' IDENTIFIED BY 'tls-pw' REQUIRE SSL",
                "GRANT ALL PRIVILEGES ON *.* TO 'cdc_tls'@'%'");
        String plain = "jdbc:mariadb://127.0.0.1:" + db.port() + "/" + prefix;
        assertThatThrownBy(() -> DriverManager.getConnection(plain + "?user=cdc_tls&password=tls-pw").close())
                .as("the capture account refuses a plain connection").isInstanceOf(SQLException.class);
        // the node URL as the router uses it (docs/security.md): capture maps its TLS parameters to the connector
        String nodeUrl = plain + "?sslMode=verify-full&serverSslCert=" + tls.certPem();
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-m";
        CdcTestSupport.addShard(map, shardId, Engine.MARIADB, nodeUrl);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("cdc_tls", "tls-pw").build();
        CdcTestSupport.exec(db.jdbcUrl(prefix),
                "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v0','VIN0','snap')");
        // TLS-only server while capture runs: every plain TCP connection is refused, root's too (it uses TLS meanwhile)
        String rootTls = db.jdbcUrl(prefix) + "&sslMode=trust";
        CdcTestSupport.exec(rootTls, "SET GLOBAL require_secure_transport = ON");
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(prefix)).close())
                    .as("the server refuses plain connections").isInstanceOf(SQLException.class);
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
            Await.condition("the snapshot row, read over TLS", WAIT, () -> topics.count(r -> r.value().path("op").asText()
                    .equals("r")) == 1);
            CdcTestSupport.exec(rootTls,
                    "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v1','VIN1','tls')");
            Await.condition("the insert, streamed from the binlog over TLS", WAIT, () -> topics.count(r -> r.value()
                    .path("op").asText().equals("c") && r.value().path("after").path("status").asText().equals("tls")) == 1);
            topics.close();
        } finally {
            CdcTestSupport.exec(rootTls, "SET GLOBAL require_secure_transport = OFF");
        }
    }
}
