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
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL 17 shards (one database each, on one server) captured through pgoutput into the per-table topics. */
class PostgresCaptureIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static PostgresNode pg;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    private static String newShardDb(String name) throws Exception {
        pg.createDatabase(name);
        String url = pg.jdbcUrl(name);
        CdcTestSupport.createPostgresSchema(url);
        return url;
    }

    @Test
    void insertUpdateDeleteOnTwoShardsReachTheTableTopicsWithTheEnvelopeInFleetOrder() throws Exception {
        String prefix = CdcTestSupport.unique("pgenv");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String a = newShardDb(prefix + "_a");
        String b = newShardDb(prefix + "_b");
        exec(a, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v0','VIN0','parked')");
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, prefix + "-a", Engine.POSTGRES, a);
        CdcTestSupport.addShard(map, prefix + "-b", Engine.POSTGRES, b);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();

        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            try (Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles"), config.changeTopic("telemetry")))) {
                Await.condition("snapshot row of shard a", WAIT, () -> topics.count(r -> r.value().path("op").asText().equals("r")) == 1);
                try (Connection ca = DriverManager.getConnection(a); Connection cb = DriverManager.getConnection(b);
                     Statement sa = ca.createStatement(); Statement sb = cb.createStatement()) {
                    sa.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t1','f1','v1','VIN1','s0')");
                    sb.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('t2','f9','v1','VIN9','s0')");
                    for (int i = 1; i <= 20; i++) {
                        sa.execute("UPDATE vehicles SET status = 's" + i + "' WHERE vehicle_id = 'v1'");
                        sb.execute("UPDATE vehicles SET status = 's" + i + "' WHERE vehicle_id = 'v1'");
                    }
                    sa.execute("INSERT INTO telemetry VALUES ('t1','f1','v1','2026-11-22T03:00:00Z', 48.1, 11.5, 42.5)");
                    sa.execute("DELETE FROM vehicles WHERE vehicle_id = 'v0'");
                }
                Await.condition("all 45 changes", WAIT, () -> topics.all().size() == 1 + 2 + 40 + 1 + 1);

                List<Received> all = topics.all();
                Received snapshot = all.stream().filter(r -> r.value().path("op").asText().equals("r")).findFirst().orElseThrow();
                assertThat(snapshot.value().path("after").path("vin").asText()).isEqualTo("VIN0");
                assertThat(snapshot.value().path("snapshot").asBoolean()).isTrue();

                Received delete = all.stream().filter(r -> r.value().path("op").asText().equals("d")).findFirst().orElseThrow();
                assertThat(delete.value().path("after").isNull()).isTrue();
                assertThat(delete.value().path("before").path("status").asText()).isEqualTo("parked");
                assertThat(delete.value().path("shard").asText()).isEqualTo(prefix + "-a");

                Received telemetry = all.stream().filter(r -> r.topic().equals(config.changeTopic("telemetry"))).findFirst().orElseThrow();
                JsonNode tv = telemetry.value();
                assertThat(tv.path("op").asText()).isEqualTo("c");
                assertThat(tv.path("table").asText()).isEqualTo("telemetry");
                assertThat(tv.path("after").path("lat").asDouble()).isEqualTo(48.1);
                assertThat(tv.path("after").path("ts").asText()).startsWith("2026-11-22T03:00:00");
                assertThat(CdcTestSupport.JSON.readTree(telemetry.key()).fieldNames()).toIterable()
                        .containsExactly("tenant_id", "fleet_id", "vehicle_id", "ts");

                for (Received r : all) {
                    JsonNode v = r.value();
                    String tenant = v.path("tenant").asText();
                    String fleet = v.path("fleet").asText();
                    assertThat(r.partition()).as("partition of %s/%s", tenant, fleet)
                            .isEqualTo(Math.floorMod(FleetToken.of(tenant, fleet), 6));
                    assertThat(r.header(ChangeEnvelopeMapper.H_TENANT)).isEqualTo(tenant);
                    assertThat(r.header(ChangeEnvelopeMapper.H_FLEET)).isEqualTo(fleet);
                    assertThat(r.header(ChangeEnvelopeMapper.H_SHARD)).isEqualTo(v.path("shard").asText());
                    assertThat(r.header(ChangeEnvelopeMapper.H_POSITION)).isEqualTo(v.path("position").asText()).matches("[0-9A-F]+/[0-9A-F]+");
                    assertThat(r.header(ChangeEnvelopeMapper.H_MAP_VERSION)).isEqualTo("2");
                    assertThat(v.path("mapVersion").asLong()).isEqualTo(2);
                    assertThat(v.path("source").path("engine").asText()).isEqualTo("postgres");
                    assertThat(v.path("commitTsMs").asLong()).isPositive();
                    if (!v.path("snapshot").asBoolean()) {
                        assertThat(v.path("txId").asText()).isNotEmpty();
                        assertThat(r.header(ChangeEnvelopeMapper.H_TX)).isEqualTo(v.path("txId").asText());
                    }
                }
                for (String fleet : List.of("f1", "f9")) {
                    List<String> statuses = all.stream()
                            .filter(r -> r.value().path("fleet").asText().equals(fleet) && r.value().path("key").path("vehicle_id").asText().equals("v1")
                                    && r.topic().endsWith("vehicles"))
                            .map(r -> r.value().path("after").path("status").asText()).toList();
                    List<String> expected = new ArrayList<>();
                    for (int i = 0; i <= 20; i++) {
                        expected.add("s" + i);
                    }
                    assertThat(statuses).as("changes of fleet %s in commit order", fleet).isEqualTo(expected);
                }

                // The shard log (ADR 0011) holds exactly shard a's changes, once each, in the shard's commit order.
                List<Received> ofShardA = all.stream().filter(r -> r.value().path("shard").asText().equals(prefix + "-a")).toList();
                try (Collector shardLog = new Collector(bootstrap, List.of(config.shardLogTopic(prefix + "-a")))) {
                    Await.condition("shard a's log", WAIT, () -> shardLog.all().size() == ofShardA.size());
                    List<Received> log = shardLog.all();
                    assertThat(log).extracting(Received::partition).containsOnly(0);
                    assertThat(log).extracting(r -> r.value().path("position").asText())
                            .containsExactlyInAnyOrderElementsOf(ofShardA.stream().map(r -> r.value().path("position").asText()).toList());
                    assertThat(log).extracting(r -> r.value().path("after").path("status").asText(""))
                            .filteredOn(st -> st.startsWith("s")).containsExactly(expectedStatuses());
                    assertThat(log.get(log.size() - 1).value().path("op").asText()).isEqualTo("d");
                }
            }
            try (Connection c = DriverManager.getConnection(a); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT failover FROM pg_replication_slots WHERE slot_name = '"
                         + ConnectorSettings.slotName(prefix + "-a") + "'")) {
                assertThat(rs.next()).as("slot of shard a exists").isTrue();
                assertThat(rs.getBoolean(1)).as("failover-enabled slot").isTrue();
            }

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ChangeTail tail = new ChangeTail(bootstrap, config.changeTopicPrefix(), new ChangeTail.Options("vehicles",
                    Optional.of("t2"), Optional.of("f9"), true, 21, Duration.ofSeconds(30)))) {
                assertThat(tail.run(new PrintStream(out, true, StandardCharsets.UTF_8))).isEqualTo(21);
                tail.release();
            }
            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(lines).hasSize(21).allSatisfy(l -> assertThat(CdcTestSupport.JSON.readTree(l).path("fleet").asText()).isEqualTo("f9"));
            assertThat(worker.meterRegistry().get("fleetshard.cdc.events").tag("shard", prefix + "-a").counters().stream()
                    .mapToDouble(c -> c.count()).sum()).isEqualTo(24);
        }
    }

    private static String[] expectedStatuses() {
        String[] statuses = new String[21];
        for (int i = 0; i <= 20; i++) {
            statuses[i] = "s" + i;
        }
        return statuses;
    }

    @Test
    void aShardRegisteredLaterIsCapturedAndARemovedOneStops() throws Exception {
        String prefix = CdcTestSupport.unique("pgnew");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String a = newShardDb(prefix + "_a");
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, prefix + "-a", Engine.POSTGRES, a);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
            Await.condition("shard a captured", WAIT, () -> worker.ownedShards().contains(prefix + "-a"));
            String b = newShardDb(prefix + "_b");
            exec(b, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t3','f3','before-registration')");
            CdcTestSupport.addShard(map, prefix + "-b", Engine.POSTGRES, b);
            exec(b, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t3','f3','after-registration')");
            Await.condition("both rows of the new shard", WAIT, () -> topics.count(r -> r.value().path("shard").asText().equals(prefix + "-b")) == 2);

            CdcTestSupport.removeShard(map, prefix + "-b");
            Await.condition("removed shard no longer captured", WAIT, () -> !worker.ownedShards().contains(prefix + "-b"));
            exec(b, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t3','f3','after-removal')");
            exec(a, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t1','f1','marker')");
            Await.condition("marker of shard a", WAIT, () -> topics.count(r -> r.value().path("key").path("vehicle_id").asText().equals("marker")) == 1);
            assertThat(topics.count(r -> r.value().path("key").path("vehicle_id").asText().equals("after-removal"))).isZero();
            // The slot stays until an operator drops it.
            assertThat(slotExists(b, prefix + "-b")).isTrue();
            assertThat(CaptureOperations.dropReplicationSlot(b, config.credentialsFor(prefix + "-b"), prefix + "-b")).isTrue();
            assertThat(slotExists(b, prefix + "-b")).isFalse();
            topics.close();
        }
    }

    @Test
    void theSlotsConfirmedPositionAdvancesForABusyShardAndForAnIdleOneWhileTheServerWritesElsewhere() throws Exception {
        String prefix = CdcTestSupport.unique("pgslot");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String busy = newShardDb(prefix + "_busy");
        String idle = newShardDb(prefix + "_idle");
        String other = newShardDb(prefix + "_other");
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, prefix + "-busy", Engine.POSTGRES, busy);
        CdcTestSupport.addShard(map, prefix + "-idle", Engine.POSTGRES, idle);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
            Await.condition("both slots confirmed a position", WAIT,
                    () -> confirmedFlushLsn(busy, prefix + "-busy") != null && confirmedFlushLsn(idle, prefix + "-idle") != null);
            String busyStart = confirmedFlushLsn(busy, prefix + "-busy");
            String idleStart = confirmedFlushLsn(idle, prefix + "-idle");

            for (int i = 0; i < 50; i++) {
                exec(busy, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t1','f1','v" + i + "')");
            }
            String lastWrite = currentWalLsn(busy);
            Await.condition("50 changes of the busy shard", WAIT, () -> topics.count(r -> r.value().path("shard").asText().equals(prefix + "-busy")) == 50);
            Await.condition("busy slot confirmed past its last captured write " + lastWrite + " (was " + busyStart + ")", WAIT,
                    () -> lsnAtLeast(busy, confirmedFlushLsn(busy, prefix + "-busy"), lastWrite));

            // The idle shard's database sees no writes; another database on the server keeps writing WAL.
            String serverWalNow = currentWalLsn(other);
            Await.condition("idle slot confirmed past " + serverWalNow + " (was " + idleStart + ")", WAIT, () -> {
                try {
                    exec(other, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t9','f9','" + UUID.randomUUID() + "')");
                    return lsnAtLeast(idle, confirmedFlushLsn(idle, prefix + "-idle"), serverWalNow);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(topics.count(r -> r.value().path("shard").asText().equals(prefix + "-idle")))
                    .as("heartbeats never reach the change topics").isZero();
            assertThat(topics.watermarks()).as("nor do watermarks").isZero();
            try (Collector idleLog = new Collector(bootstrap, List.of(config.shardLogTopic(prefix + "-idle")))) {
                Await.condition("the idle shard's log to get capture's watermarks (ADR 0048)", WAIT,
                        () -> idleLog.watermarks() > 0);
                assertThat(idleLog.all()).as("and nothing else").isEmpty();
            }

            // Per-shard meters: events, commit -> topic lag, retained WAL (moves as the server writes), no errors.
            MeterRegistry meters = worker.meterRegistry();
            assertThat(meters.get("fleetshard.cdc.events").tag("shard", prefix + "-busy").counters().stream()
                    .mapToDouble(Counter::count).sum()).isEqualTo(50);
            Timer commitLag = meters.get("fleetshard.cdc.commit.lag").tag("shard", prefix + "-busy").timer();
            assertThat(commitLag.count()).isEqualTo(50);
            assertThat(commitLag.takeSnapshot().percentileValues()).hasSize(2);
            java.util.Set<Double> retained = new java.util.HashSet<>();
            Await.condition("retained WAL of the idle shard measured, and moving", WAIT, () -> {
                double v = meters.get("fleetshard.cdc.source.lag.bytes").tag("shard", prefix + "-idle").gauge().value();
                if (v >= 0) {
                    retained.add(v);
                }
                try {
                    exec(other, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t9','f9','" + UUID.randomUUID() + "')");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                return retained.size() >= 2;
            });
            System.out.println("Retained WAL of the idle shard, bytes, as measured: " + retained);
            assertThat(meters.find("fleetshard.cdc.errors").counters()).as("no errors").isEmpty();
            topics.close();
        }
    }

    @Test
    void theSourceLagProbeKeepsOneConnectionAndReplacesOneThatWasKilled() throws Exception {
        String prefix = CdcTestSupport.unique("pglagconn");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shardDb = prefix + "_a";
        String shard = newShardDb(shardDb);
        String other = newShardDb(prefix + "_other");
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, prefix + "-a", Engine.POSTGRES, shard);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            worker.awaitStreaming(List.of(prefix + "-a"), WAIT);
            MeterRegistry meters = worker.meterRegistry();

            // a round every 500 ms (CdcTestSupport): the probe's backends, sampled while five rounds measure
            Set<Integer> first = lagProbeBackends(meters, prefix + "-a", shardDb, other);
            assertThat(first).as("one backend for every round").hasSize(1);

            int pid = first.iterator().next();
            exec(other, "SELECT pg_terminate_backend(" + pid + ")");
            Set<Integer> after = lagProbeBackends(meters, prefix + "-a", shardDb, other);
            assertThat(after).as("a new kept backend after the old one was killed").hasSize(1).doesNotContain(pid);
            assertThat(meters.find("fleetshard.cdc.errors").tag("kind", "source-lag").counters())
                    .as("the killed connection cost no measurement").isEmpty();
        }
    }

    /**
     * Pids of the source-lag probe's backends on {@code db}, sampled until the shard's gauge has shown five new values
     * (the server's WAL is moved between samples by writes to {@code other}, so each round measures a new value).
     */
    private static Set<Integer> lagProbeBackends(MeterRegistry meters, String shardId, String db, String other) {
        Set<Integer> pids = new HashSet<>();
        Set<Double> values = new HashSet<>();
        values.add(meters.get("fleetshard.cdc.source.lag.bytes").tag("shard", shardId).gauge().value());
        int before = values.size();
        Await.condition("five source-lag rounds of shard " + shardId, WAIT, () -> {
            try (Connection c = DriverManager.getConnection(other); PreparedStatement ps = c.prepareStatement(
                    "SELECT pid FROM pg_stat_activity WHERE datname = ? AND application_name = ?")) {
                ps.setString(1, db);
                ps.setString(2, ShardCapture.SOURCE_LAG_APPLICATION_NAME);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        pids.add(rs.getInt(1));
                    }
                }
                exec(other, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t9','f9','"
                        + UUID.randomUUID() + "')");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            values.add(meters.get("fleetshard.cdc.source.lag.bytes").tag("shard", shardId).gauge().value());
            return values.size() >= before + 5;
        });
        return pids;
    }

    private static String confirmedFlushLsn(String url, String shardId) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
                     + ConnectorSettings.slotName(shardId) + "'")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String currentWalLsn(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean lsnAtLeast(String url, String lsn, String than) {
        if (lsn == null) {
            return false;
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT '" + lsn + "'::pg_lsn >= '" + than + "'::pg_lsn")) {
            rs.next();
            return rs.getBoolean(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean slotExists(String url, String shardId) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + ConnectorSettings.slotName(shardId) + "'")) {
            return rs.next();
        }
    }

    @SuppressWarnings("unused")
    private static Map<String, Long> countByKey(List<Received> rs) {
        return rs.stream().collect(Collectors.groupingBy(Received::key, Collectors.counting()));
    }
}
