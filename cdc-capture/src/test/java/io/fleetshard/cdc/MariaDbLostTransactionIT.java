package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.SharedKafka;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADR 0029, provoked deterministically: a MariaDB primary whose replica stopped receiving (its I/O thread stopped, as a
 * semi-sync replica that has not acknowledged yet) commits two transactions; capture publishes them; the primary is
 * SIGKILLed and the replica promoted. Capture, moved to the promoted replica, resumes (it used to refuse: its stored
 * GTID is unknown there), retracts the two lost transactions' changes, and publishes the new primary's writes once.
 */
class MariaDbLostTransactionIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private MariaDbNode primary;
    private MariaDbNode replica;

    @AfterEach
    void stop() {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void changesOfTransactionsThePromotedReplicaNeverReceivedAreRetractedAndCaptureGoesOn() throws Exception {
        String prefix = CdcTestSupport.unique("mlost");
        String bootstrap = SharedKafka.get().bootstrapServers();
        primary = MariaDbNode.start(dir.resolve("primary"), FreePorts.next(), 1);
        replica = primary.startReplica(dir.resolve("replica"), FreePorts.next(), 2, false);
        primary.createDatabase(prefix);
        String primaryUrl = primary.jdbcUrl(prefix);
        CdcTestSupport.createMariaDbSchema(primaryUrl);
        CdcTestSupport.exec(primaryUrl, insert("kept", "a"));

        InMemoryShardMap map = new InMemoryShardMap();
        String shardId = prefix + "-m";
        CdcTestSupport.addShard(map, shardId, Engine.MARIADB, primaryUrl);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("root", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map);
                Collector topics = collector(config, bootstrap, shardId)) {
            worker.start();
            Await.condition("the snapshot row", WAIT, () -> ops(topics, "kept").equals("r"));
            CdcTestSupport.exec(primaryUrl, "UPDATE vehicles SET status = 'b' WHERE vehicle_id = 'kept'");
            Await.condition("the acknowledged update", WAIT, () -> ops(topics, "kept").equals("r,u"));
            String replicaUrl = replica.jdbcUrl(prefix);
            Await.condition("the replica holds every transaction of the primary", WAIT,
                    () -> gtid(replicaUrl, "@@gtid_current_pos").equals(gtid(primaryUrl, "@@gtid_binlog_pos")));

            // the replica receives nothing more; two transactions commit on the primary only and capture reads them
            CdcTestSupport.exec(replicaUrl, "STOP SLAVE IO_THREAD");
            CdcTestSupport.exec(primaryUrl, insert("lost", "x"),
                    "UPDATE vehicles SET status = 'lost' WHERE vehicle_id = 'kept'");
            Await.condition("the unreplicated changes published", WAIT,
                    () -> ops(topics, "lost").equals("c") && ops(topics, "kept").equals("r,u,u"));
            String primaryPos = gtid(primaryUrl, "@@gtid_binlog_pos");
            primary.kill();

            // promote the replica, as the orchestration's promote step does, and point the map at it
            CdcTestSupport.exec(replicaUrl, "STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = OFF");
            String promotedPos = gtid(replicaUrl, "@@gtid_binlog_pos");
            assertThat(promotedPos).isNotEqualTo(primaryPos);
            map.commit(map.current().version(), List.of(new Node(shardId + "-p", shardId, NodeRole.PRIMARY,
                    "eu-west-1", "eu-west-1a", replicaUrl)), List.of());
            CdcTestSupport.exec(replicaUrl, insert("after", "n"),
                    "UPDATE vehicles SET status = 'c' WHERE vehicle_id = 'kept'");

            Await.condition("capture resumes on the promoted replica", WAIT,
                    () -> ops(topics, "after").equals("c") && ops(topics, "kept").equals("r,u,u,u,u"));
            // the new primary's writes once; the lost changes each followed by their retraction, newest first
            assertThat(ops(topics, "lost")).isEqualTo("c,d");
            List<Received> kept = events(topics, "kept");
            assertThat(kept).extracting(r -> r.value().path("after").path("status").asText())
                    .containsExactly("a", "b", "lost", "b", "c");
            Received retraction = kept.get(3);
            assertThat(retraction.header(ChangeEnvelopeMapper.H_ORIGIN)).isEqualTo("retraction");
            assertThat(retraction.value().path("origin").asText()).isEqualTo("retraction");
            assertThat(retraction.header(LostTransactions.H_RETRACTS)).isEqualTo(kept.get(2).value().path("txId").asText())
                    .isEqualTo(retraction.value().path("retracts").asText());
            Received lostDelete = events(topics, "lost").get(1);
            assertThat(lostDelete.header(ChangeEnvelopeMapper.H_ORIGIN)).isEqualTo("retraction");
            assertThat(lostDelete.partition()).isEqualTo(events(topics, "lost").get(0).partition());
            assertThat(events(topics, "after").get(0).header(ChangeEnvelopeMapper.H_ORIGIN)).isNull();
            assertThat(kept.get(4).header(ChangeEnvelopeMapper.H_ORIGIN)).isNull();

            // the shard log got the same, in the shard's order: lost changes, retractions, the new primary's changes
            try (Collector log = new Collector(bootstrap, List.of(config.shardLogTopic(shardId)))) {
                List<String> expected = List.of("kept:r", "kept:u", "lost:c", "kept:u", "kept:u", "lost:d", "after:c",
                        "kept:u");
                Await.condition("the shard log's rows", WAIT, () -> logged(log).size() >= expected.size());
                assertThat(logged(log)).isEqualTo(expected);
            }

            double lost = worker.meterRegistry().get("fleetshard.cdc.lost.transactions").tag("shard", shardId)
                    .counter().count();
            double retractions = worker.meterRegistry().get("fleetshard.cdc.retractions").tag("shard", shardId)
                    .counter().count();
            assertThat(lost).isEqualTo(2);
            assertThat(retractions).isEqualTo(2);
            assertThat(worker.status().get(shardId).lostTransactions()).contains(kept.get(2).value().path("txId")
                    .asText()).contains(events(topics, "lost").get(0).value().path("txId").asText());
        }
    }

    private static String insert(String vehicleId, String status) {
        return "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','" + vehicleId
                + "','VIN','" + status + "')";
    }

    private static Collector collector(CaptureConfig config, String bootstrap, String shardId) throws Exception {
        ChangeTopics.ensure(config);
        return new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
    }

    private static List<String> logged(Collector log) {
        return log.where(r -> !r.value().path("key").path("vehicle_id").isMissingNode()).stream()
                .map(r -> r.value().path("key").path("vehicle_id").asText() + ":" + r.value().path("op").asText())
                .toList();
    }

    private static List<Received> events(Collector topics, String vehicleId) {
        return topics.where(r -> r.topic().endsWith("cdc.vehicles")
                && r.value().path("key").path("vehicle_id").asText().equals(vehicleId));
    }

    private static String ops(Collector topics, String vehicleId) {
        return events(topics, vehicleId).stream().map(r -> r.value().path("op").asText()).collect(Collectors.joining(","));
    }

    private static String gtid(String url, String variable) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + variable)) {
            rs.next();
            return rs.getString(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
