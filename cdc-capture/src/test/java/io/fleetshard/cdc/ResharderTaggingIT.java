package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADR 0013: a transaction that starts with a change of the resharder's marker table reaches the shard log only
 * (tagged {@code fleetshard.origin=reshard}, the marker with {@code fleetshard.marker}), never a change topic, while
 * application transactions around it are captured as always; a capture restart keeps the tagging.
 */
class ResharderTaggingIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static PostgresNode pg;
    static MariaDbNode maria;

    @BeforeAll
    static void start() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
        maria = MariaDbNode.start(dir.resolve("maria"));
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
        if (maria != null) {
            maria.close();
        }
    }

    @Test
    void postgresResharderTransactionsReachOnlyTheShardLog() throws Exception {
        String prefix = CdcTestSupport.unique("tagpg");
        pg.createDatabase(prefix);
        String url = pg.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(url);
        run(Engine.POSTGRES, prefix, url, "postgres",
                "INSERT INTO fleetshard_reshard_tx (slot, job_id, kind, seq) VALUES (7, 'rs-1', '%s', 1)"
                        + " ON CONFLICT (slot) DO UPDATE SET kind = EXCLUDED.kind, seq = fleetshard_reshard_tx.seq + 1");
    }

    @Test
    void mariaDbResharderTransactionsReachOnlyTheShardLog() throws Exception {
        String prefix = CdcTestSupport.unique("tagmaria");
        maria.createDatabase(prefix);
        String url = maria.jdbcUrl(prefix);
        CdcTestSupport.createMariaDbSchema(url);
        run(Engine.MARIADB, prefix, url, "root",
                "INSERT INTO fleetshard_reshard_tx (slot, job_id, kind, seq) VALUES (7, 'rs-1', '%s', 1)"
                        + " ON DUPLICATE KEY UPDATE kind = VALUES(kind), seq = seq + 1");
    }

    /**
     * ADR 0023: an offload transaction (marker kind {@code offload}) reaches the change topic as well as the shard log,
     * each change marked {@code origin=offload} (header and envelope field); the marker stays on the shard log.
     */
    @Test
    void postgresOffloadTransactionsReachTheChangeTopicMarked() throws Exception {
        String prefix = CdcTestSupport.unique("offpg");
        pg.createDatabase(prefix);
        String url = pg.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(url);
        offload(Engine.POSTGRES, prefix, url, "postgres", "INSERT INTO fleetshard_reshard_tx (slot, job_id, kind, seq)"
                + " VALUES (3000, 'offload-1', 'offload', 1) ON CONFLICT (slot) DO UPDATE SET kind = EXCLUDED.kind,"
                + " seq = fleetshard_reshard_tx.seq + 1");
    }

    /** The same on MariaDB, as {@code fleetshard offload} marks its transactions there. */
    @Test
    void mariaDbOffloadTransactionsReachTheChangeTopicMarked() throws Exception {
        String prefix = CdcTestSupport.unique("offmaria");
        maria.createDatabase(prefix);
        String url = maria.jdbcUrl(prefix);
        CdcTestSupport.createMariaDbSchema(url);
        offload(Engine.MARIADB, prefix, url, "root", "INSERT INTO fleetshard_reshard_tx (slot, job_id, kind, seq)"
                + " VALUES (3000, 'offload-1', 'offload', 1) ON DUPLICATE KEY UPDATE kind = VALUES(kind), seq = seq + 1");
    }

    private static void offload(Engine engine, String prefix, String url, String user, String marker) throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-s";
        CdcTestSupport.addShard(map, shardId, engine, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials(user, "").build();
        CdcTestSupport.exec(url, insert("v1", "a"), insert("v2", "a"));
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = whenExists(bootstrap, config.changeTopic("vehicles"));
            Collector shardLog = whenExists(bootstrap, config.shardLogTopic(shardId));
            Await.condition("capture streams", WAIT, () -> topics.all().size() == 2);
            inTransaction(url, marker, "DELETE FROM vehicles WHERE vehicle_id = 'v1'");
            CdcTestSupport.exec(url, "DELETE FROM vehicles WHERE vehicle_id = 'v2'");
            Await.condition("the change topic has both deletes", WAIT, () -> topics.all().size() == 4);
            Await.condition("the shard log has every change", WAIT, () -> shardLog.all().size() == 5);
            assertThat(topics.all()).extracting(r -> r.value().path("op").asText() + " "
                    + r.value().path("key").path("vehicle_id").asText() + " " + r.header(ChangeEnvelopeMapper.H_ORIGIN)
                    + " " + r.value().path("origin").asText("-"))
                    .containsExactly("r v1 null -", "r v2 null -", "d v1 offload offload", "d v2 null -");
            assertThat(shardLog.all()).extracting(r -> r.value().path("table").asText() + " " + r.value().path("op").asText()
                    + " " + r.header(ChangeEnvelopeMapper.H_ORIGIN) + " " + r.header(ChangeEnvelopeMapper.H_MARKER))
                    .containsExactly("vehicles r null null", "vehicles r null null",
                            "fleetshard_reshard_tx c offload offload", "vehicles d offload null", "vehicles d null null");
            topics.close();
            shardLog.close();
        }
    }

    private static void run(Engine engine, String prefix, String url, String user, String marker) throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-s";
        CdcTestSupport.addShard(map, shardId, engine, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials(user, "").build();
        Collector topics;
        Collector shardLog;
        CdcTestSupport.exec(url, insert("v1", "a")); // the initial snapshot's row
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            topics = whenExists(bootstrap, config.changeTopic("vehicles"));
            shardLog = whenExists(bootstrap, config.shardLogTopic(shardId));
            Await.condition("capture streams", WAIT, () -> topics.all().size() == 1);

            inTransaction(url, marker.formatted("copy"), insert("v2", "copied"),
                    "UPDATE vehicles SET status = 'by-resharder' WHERE vehicle_id = 'v1'");
            CdcTestSupport.exec(url, insert("v3", "a"));
            inTransaction(url, marker.formatted("cleanup"), "DELETE FROM vehicles WHERE vehicle_id = 'v3'");
            Await.condition("the shard log has every change", WAIT, () -> shardLog.all().size() == 7);
        }
        // a restart (the engine resumes from its stored offset) changes nothing of the above, and goes on tagging
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            inTransaction(url, marker.formatted("apply"), insert("v4", "applied"));
            CdcTestSupport.exec(url, "UPDATE vehicles SET status = 'b' WHERE vehicle_id = 'v4'");
            Await.condition("the shard log has the later changes", WAIT, () -> shardLog.all().size() == 10);
            Await.condition("the change topic has the application's update", WAIT, () -> topics.all().size() == 3);
            assertThat(worker.meterRegistry().get("fleetshard.cdc.resharder.events").tag("shard", shardId).counter()
                    .count()).isEqualTo(2);
        }

        assertThat(topics.all()).extracting(r -> r.value().path("op").asText() + " "
                + r.value().path("key").path("vehicle_id").asText()).containsExactly("r v1", "c v3", "u v4");
        List<Received> log = shardLog.all();
        assertThat(log).extracting(r -> r.value().path("table").asText() + " " + r.value().path("op").asText() + " "
                + r.header(ChangeEnvelopeMapper.H_ORIGIN) + " " + r.header(ChangeEnvelopeMapper.H_MARKER))
                .containsExactly(
                        "vehicles r null null",
                        "fleetshard_reshard_tx c reshard copy",
                        "vehicles c reshard null",
                        "vehicles u reshard null",
                        "vehicles c null null",
                        "fleetshard_reshard_tx u reshard cleanup",
                        "vehicles d reshard null",
                        "fleetshard_reshard_tx u reshard apply",
                        "vehicles c reshard null",
                        "vehicles u null null");
        assertThat(log.get(1).value().path("after").path("job_id").asText()).isEqualTo("rs-1");
        topics.close();
        shardLog.close();
    }

    /** A collector of {@code topic} from its beginning, once capture created it. */
    private static Collector whenExists(String bootstrap, String topic) {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                java.util.Map.of("bootstrap.servers", bootstrap))) {
            Await.condition("topic " + topic, WAIT, () -> {
                try {
                    return admin.listTopics().names().get().contains(topic);
                } catch (Exception e) {
                    return false;
                }
            });
        }
        return new Collector(bootstrap, List.of(topic));
    }

    private static String insert(String vehicle, String status) {
        return "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1', 'f1', '" + vehicle
                + "', 'VIN', '" + status + "')";
    }

    private static void inTransaction(String url, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String sql : statements) {
                s.execute(sql);
            }
            c.commit();
        }
    }
}
