package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JdbcStandbyPositionReader} and {@code GET /v1/shards/{shardId}/standby} against a real PostgreSQL server. Each
 * test has databases of its own on it: one plays the shard's primary, another its warm standby, holding the
 * {@code fleetshard_standby_position} table as {@code docs/spec/archive.md} declares it.
 */
class StandbyPositionIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    static Path dir;
    static PostgresNode pg;
    private final ProbeConnections connections = new ProbeConnections(DriverManager::getConnection,
            Duration.ofSeconds(2), Duration.ofMinutes(1), Clock.systemUTC());
    private final JdbcStandbyPositionReader reader = new JdbcStandbyPositionReader(Duration.ofSeconds(2), "", "",
            connections);

    @BeforeAll
    static void start() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
    }

    @AfterEach
    void closeConnections() {
        connections.close();
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void readsTheShardsRow() throws SQLException {
        String db = standbyDatabase(true);
        execute(db, "INSERT INTO fleetshard_standby_position VALUES ('other', 1, '" + "1".repeat(64)
                + "', 5, '0/10', 1, 2)");
        execute(db, "INSERT INTO fleetshard_standby_position VALUES ('s1', 42, '" + "ab".repeat(32)
                + "', 1234, '16/B374D848', 1735689600000, 1735689600250)");

        StandbyReading r = reader.read(standby("s1", pg.jdbcUrl(db)), Engine.POSTGRES);

        assertThat(r.error()).isNull();
        assertThat(r.position()).isEqualTo(new StandbyPosition("s1", 42, "ab".repeat(32), 1234, "16/B374D848",
                1735689600000L, 1735689600250L));
    }

    @Test
    void readsTheWatermarkOnceTheApplierAddedItsColumn() throws SQLException {
        String db = standbyDatabase(true);
        execute(db, "ALTER TABLE fleetshard_standby_position ADD COLUMN watermark_ts_ms BIGINT NOT NULL DEFAULT 0");
        execute(db, "INSERT INTO fleetshard_standby_position VALUES ('s1', 43, '" + "ab".repeat(32)
                + "', 1240, '16/B374D848', 1735689600000, 1735690268000, 1735690267500)");

        StandbyReading r = reader.read(standby("s1", pg.jdbcUrl(db)), Engine.POSTGRES);

        assertThat(r.error()).isNull();
        assertThat(r.position().watermarkTsMs()).isEqualTo(1735690267500L);
        assertThat(r.position().caughtUpTsMs()).isEqualTo(1735690267500L);
    }

    @Test
    void aTableWithoutTheShardsRowMeansNothingWasAppliedYet() throws SQLException {
        String db = standbyDatabase(true);

        assertThat(reader.read(standby("s1", pg.jdbcUrl(db)), Engine.POSTGRES).error())
                .isEqualTo("standby has not applied anything yet: no row for shard s1 in fleetshard_standby_position");
    }

    @Test
    void aDatabaseWithoutTheTableIsNotAStandby() throws SQLException {
        String db = standbyDatabase(false);

        assertThat(reader.read(standby("s1", pg.jdbcUrl(db)), Engine.POSTGRES).error())
                .isEqualTo("not a FleetShard standby: no fleetshard_standby_position table");
    }

    @Test
    void keepsOneConnectionAcrossReadsAndReplacesOneTheServerEnded() throws SQLException {
        String db = standbyDatabase(true);
        execute(db, "INSERT INTO fleetshard_standby_position VALUES ('s1', 7, '" + "ab".repeat(32)
                + "', 70, '0/20', 1735689600000, 1735689600250)");
        Node node = standby("s1", pg.jdbcUrl(db));

        for (int i = 0; i < 3; i++) {
            assertThat(reader.read(node, Engine.POSTGRES).error()).isNull();
        }
        assertThat(probeBackends(db)).as("one backend for three reads").isEqualTo(1);

        // a restart, a failover or an idle timeout ends the server side: the next read works on a new connection
        execute("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db
                + "' AND application_name = 'fleetshard-control-api-probe'");
        Await.condition("the backend to end", WAIT, () -> probeBackends(db) == 0);
        StandbyReading r = reader.read(node, Engine.POSTGRES);

        assertThat(r.error()).isNull();
        assertThat(r.position().manifestSeq()).isEqualTo(7);
        assertThat(probeBackends(db)).isEqualTo(1);
    }

    @Test
    void aNodeProbeKeepsItsConnectionToo() throws SQLException {
        String db = standbyDatabase(false);
        JdbcNodeProbe probe = new JdbcNodeProbe(Duration.ofSeconds(2), "", "", connections);
        Node node = new Node("p1", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.jdbcUrl(db));

        for (int i = 0; i < 3; i++) {
            assertThat(probe.probe(node, Engine.POSTGRES).ok()).isTrue();
        }
        assertThat(probeBackends(db)).isEqualTo(1);
        execute("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db
                + "' AND application_name = 'fleetshard-control-api-probe'");
        Await.condition("the backend to end", WAIT, () -> probeBackends(db) == 0);

        ProbeResult r = probe.probe(node, Engine.POSTGRES);

        assertThat(r.ok()).as("a restarted server is not reported down: %s", r.error()).isTrue();
        assertThat(r.walPosition()).isNotNull();
    }

    @Test
    void aStoppedServerIsReportedAtTheFirstProbeAfterIt() throws SQLException {
        Path dataDir = dir.resolve("stopped-" + SEQ.incrementAndGet());
        PostgresNode doomed = PostgresNode.startPrimary(dataDir);
        Node node = new Node("p2", "s2", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", doomed.jdbcUrl("postgres"));
        JdbcNodeProbe probe = new JdbcNodeProbe(Duration.ofSeconds(2), "", "", connections);
        try {
            assertThat(probe.probe(node, Engine.POSTGRES).ok()).isTrue();
        } finally {
            doomed.close();
        }

        ProbeResult r = probe.probe(node, Engine.POSTGRES);

        assertThat(r.ok()).isFalse();
        assertThat(r.error()).contains("SQLSTATE 08");
        assertThat(r.latencyMs()).as("the kept connection failed at once, the new one was refused").isLessThan(2_000);
    }

    private static long probeBackends(String db) {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db
                        + "' AND application_name = 'fleetshard-control-api-probe'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anUnreachableStandbyIsAFailedReadingNotAnException() {
        String url = "jdbc:postgresql://127.0.0.1:" + FreePorts.next() + "/nothing?user=postgres";

        StandbyReading r = reader.read(standby("s1", url), Engine.POSTGRES);

        assertThat(r.ok()).isFalse();
        assertThat(r.error()).contains("SQLSTATE 08");
    }

    @Test
    void theEndpointReportsTheStandbysLagAndItsWalDistanceToTheRealPrimary() throws SQLException {
        String primaryDb = "primary_" + SEQ.incrementAndGet();
        pg.createDatabase(primaryDb);
        String standbyDb = standbyDatabase(true);
        long commitTs = System.currentTimeMillis() - 60_000;
        execute(standbyDb, "INSERT INTO fleetshard_standby_position VALUES ('s1', 3, '" + "cd".repeat(32)
                + "', 99, '0/10', " + commitTs + ", " + (commitTs + 5) + ")");
        long atLeastBehind = walBytesAfter("0/10");

        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 4),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.jdbcUrl(primaryDb)),
                new Node("s1-sb", "s1", NodeRole.STANDBY, "us-east-1", "us-east-1a", pg.jdbcUrl(standbyDb))),
                List.of());
        try (ApiHarness h = new ApiHarness(new ControlApi(ApiHarness.config(Map.of(
                ControlApiConfig.PROBE_INTERVAL_MS, "200", ControlApiConfig.PROBE_TIMEOUT_MS, "150")), map, map,
                Clock.systemUTC(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start())) {
            Await.condition("the standby's position read with the primary up", WAIT, () -> {
                JsonNode sb = h.get("/v1/shards/s1/standby").json().path("standbys").path(0);
                return sb.path("behindBytes").isNumber();
            });
            JsonNode sb = h.get("/v1/shards/s1/standby").json().path("standbys").path(0);
            assertThat(sb.path("nodeId").asText()).isEqualTo("s1-sb");
            assertThat(sb.path("appliedManifestSeq").asLong()).isEqualTo(3);
            assertThat(sb.path("lastPosition").asText()).isEqualTo("0/10");
            assertThat(sb.path("appliedLagMs").asLong()).isGreaterThanOrEqualTo(60_000);
            assertThat(sb.path("behindBytes").asLong()).isGreaterThanOrEqualTo(atLeastBehind).isPositive();
            assertThat(h.get("/metrics").body()).contains("fleetshard_standby_applied_lag_ms{node=\"s1-sb\",shard=\"s1\"}");
        }
    }

    private static Node standby(String shardId, String url) {
        return new Node(shardId + "-sb", shardId, NodeRole.STANDBY, "us-east-1", "us-east-1a", url);
    }

    private static String standbyDatabase(boolean withTable) throws SQLException {
        String db = "standby_" + SEQ.incrementAndGet();
        pg.createDatabase(db);
        if (withTable) {
            execute(db, """
                    CREATE TABLE fleetshard_standby_position (
                      shard_id          VARCHAR(128) PRIMARY KEY,
                      manifest_seq      BIGINT       NOT NULL,
                      manifest_sha256   CHAR(64)     NOT NULL,
                      next_offset       BIGINT       NOT NULL,
                      last_position     VARCHAR(200) NOT NULL,
                      last_commit_ts_ms BIGINT       NOT NULL,
                      applied_at_ms     BIGINT       NOT NULL)""");
        }
        return db;
    }

    private static long walBytesAfter(String lsn) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + lsn + "')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void execute(String db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db)); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
