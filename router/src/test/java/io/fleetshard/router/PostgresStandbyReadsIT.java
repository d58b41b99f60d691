package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads from a warm standby: a PostgreSQL server of its own in another region (a primary-mode database, not a streaming
 * replica), holding the fleet schema and the {@code fleetshard_standby_position} table that the standby applier keeps.
 * The test plays the applier: it writes the rows and the position itself. The standby holds a value the primary does
 * not, so each answer shows which node served it.
 */
class PostgresStandbyReadsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TENANT = "acme";
    private static final String PRIMARY_REGION = "eu-west-1";
    private static final String STANDBY_REGION = "us-east-1";
    private static final String VEHICLE = "v-1";

    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static PostgresNode standbyServer;
    static String s1;
    static String s2;
    static String s3;
    static Router router;
    static RouterHttp http;

    @BeforeAll
    static void start() {
        pg = new PostgresCluster(dir, false);
        standbyServer = PostgresNode.startPrimary(dir.resolve("standby"));
        s1 = pg.newShardDatabase("standby_s1");
        s2 = pg.newShardDatabase("standby_s2");
        s3 = pg.newShardDatabase("standby_s3");
        for (String db : List.of(s1, s2, s3)) {
            insertVehicle(pg.primary.jdbcUrl(db), fleetOf(db), "on-primary");
            standbyServer.createDatabase(db);
        }
        createPositionTable(s1);
        createPositionTable(s2);
        // s3's standby database has the fleet schema but no position table: not a FleetShard standby
        for (String db : List.of(s1, s2, s3)) {
            FleetSchema.install(standbyServer.jdbcUrl(db), PostgresCluster.SECRET);
            insertVehicle(standbyServer.jdbcUrl(db), fleetOf(db), "on-standby");
        }
        setPosition(s1, "s1", primaryLsn());

        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.ENHANCED),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("s2", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("s3", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, PRIMARY_REGION, "eu-west-1a", pg.primary.jdbcUrl(s1)),
                new Node("s1-sb", "s1", NodeRole.STANDBY, STANDBY_REGION, "us-east-1a", standbyServer.jdbcUrl(s1)),
                new Node("s2-p", "s2", NodeRole.PRIMARY, PRIMARY_REGION, "eu-west-1a", pg.primary.jdbcUrl(s2)),
                new Node("s2-sb", "s2", NodeRole.STANDBY, STANDBY_REGION, "us-east-1a", standbyServer.jdbcUrl(s2)),
                new Node("s3-p", "s3", NodeRole.PRIMARY, PRIMARY_REGION, "eu-west-1a", pg.primary.jdbcUrl(s3)),
                new Node("s3-sb", "s3", NodeRole.STANDBY, STANDBY_REGION, "us-east-1a", standbyServer.jdbcUrl(s3)),
                new Fleet(TENANT, "f1", "s1"), new Fleet(TENANT, "f2", "s2"), new Fleet(TENANT, "f3", "s3")),
                List.of());
        RouterConfig config = TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(4)
                .poolMinIdle(1).requestTimeoutMs(1500).probeIntervalMs(50).region(PRIMARY_REGION).build();
        router = new Router(config, map).start();
        http = new RouterHttp(router.port());
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (standbyServer != null) {
            standbyServer.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void eventualReadsInTheStandbysRegionAreServedByTheStandby() {
        Await.condition("the standby to serve eventual reads in its region", WAIT,
                () -> "standby".equals(readStatus("f1", "eventual", Map.of("region", STANDBY_REGION)).role()));
        RouterHttp.Reply r = readStatus("f1", "eventual", Map.of("region", STANDBY_REGION));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.nodeId()).isEqualTo("s1-sb");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"on-standby\"]]");
    }

    @Test
    void strongReadsAndWritesStillGoToThePrimary() {
        Await.condition("the standby to be probed healthy", WAIT, () -> healthy("s1-sb"));
        RouterHttp.Reply r = readStatus("f1", "strong", Map.of("region", STANDBY_REGION));
        assertThat(r.nodeId()).isEqualTo("s1-p");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"on-primary\"]]");
        RouterHttp.Reply w = http.query(Map.of("tenantId", TENANT, "fleetId", "f1", "consistency", "eventual",
                "region", STANDBY_REGION, "sql", "UPDATE vehicles SET vin = 'VIN-W' WHERE vehicle_id = ?",
                "params", List.of(VEHICLE)));
        assertThat(w.status()).as(w.body().toString()).isEqualTo(200);
        assertThat(w.nodeId()).isEqualTo("s1-p");
    }

    @Test
    void aStandbyWithoutAPositionRowIsNotUsedUntilTheApplierWritesOne() {
        Await.condition("the prober to find no position row on s2's standby", WAIT,
                () -> problemOf("s2-sb").startsWith("standby has not applied anything yet"));
        RouterHttp.Reply before = readStatus("f2", "eventual", Map.of("region", STANDBY_REGION));
        assertThat(before.nodeId()).isEqualTo("s2-p");
        assertThat(before.body().get("rows").toString()).isEqualTo("[[\"on-primary\"]]");

        setPosition(s2, "s2", primaryLsn());
        Await.condition("s2's standby to serve once it has a position", WAIT,
                () -> "s2-sb".equals(readStatus("f2", "eventual", Map.of("region", STANDBY_REGION)).nodeId()));
    }

    @Test
    void aDatabaseWithoutThePositionTableIsNotUsedAsAStandby() {
        Await.condition("the prober to find no position table on s3's standby", WAIT,
                () -> problemOf("s3-sb").equals("not a FleetShard standby: no fleetshard_standby_position table"));
        RouterHttp.Reply r = readStatus("f3", "eventual", Map.of("region", STANDBY_REGION));
        assertThat(r.nodeId()).isEqualTo("s3-p");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"on-primary\"]]");
    }

    @Test
    void boundedAndReadYourWritesUseTheStandbyOnlyWhenItsAppliedLsnAllows() {
        Await.condition("a standby that has the primary's latest LSN to serve a 1 s bound", WAIT, () -> {
            setPosition(s1, "s1", primaryLsn());
            return "s1-sb".equals(readStatus("f1", "bounded", Map.of("region", STANDBY_REGION,
                    "maxStalenessMs", 1000)).nodeId());
        });
        RouterHttp.Reply w = http.query(Map.of("tenantId", TENANT, "fleetId", "f1",
                "sql", "UPDATE vehicles SET vin = 'VIN-B' WHERE vehicle_id = ?", "params", List.of(VEHICLE)));
        assertThat(w.status()).as(w.body().toString()).isEqualTo(200);
        String token = w.body().get("token").asText();

        // the primary moved past the standby's applied LSN: its lag grows from the moment the primary left it
        Await.condition("the standby to lag more than 300 ms", WAIT,
                () -> "s1-p".equals(readStatus("f1", "bounded", Map.of("region", STANDBY_REGION,
                        "maxStalenessMs", 300)).nodeId()));
        assertThat(readStatus("f1", "bounded", Map.of("region", STANDBY_REGION, "maxStalenessMs", 600_000)).nodeId())
                .isEqualTo("s1-sb");
        assertThat(readStatus("f1", "eventual", Map.of("region", STANDBY_REGION, "afterToken", token)).nodeId())
                .as("the standby has not applied the write").isEqualTo("s1-p");

        setPosition(s1, "s1", token.substring(token.indexOf(':') + 1));
        Await.condition("the standby to serve the token once it applied through it", WAIT,
                () -> "s1-sb".equals(readStatus("f1", "eventual", Map.of("region", STANDBY_REGION,
                        "afterToken", token)).nodeId()));
    }

    private static RouterHttp.Reply readStatus(String fleet, String consistency, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("tenantId", TENANT, "fleetId", fleet,
                "sql", "SELECT status FROM vehicles WHERE vehicle_id = ?", "params", List.of(VEHICLE),
                "consistency", consistency));
        body.putAll(extra);
        return http.query(body);
    }

    private static boolean healthy(String nodeId) {
        NodeHealth h = router.nodeHealth(nodeId);
        return h != null && h.healthy();
    }

    private static String problemOf(String nodeId) {
        NodeHealth h = router.nodeHealth(nodeId);
        return h == null || h.problem() == null ? "" : h.problem();
    }

    /** Shard database s1 holds fleet f1, s2 f2, s3 f3. */
    private static String fleetOf(String db) {
        return db.equals(s1) ? "f1" : db.equals(s2) ? "f2" : "f3";
    }

    private static void insertVehicle(String superuserUrl, String fleet, String status) {
        PostgresCluster.execute(superuserUrl, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('"
                + TENANT + "', '" + fleet + "', '" + VEHICLE + "', '" + status + "')");
    }

    /** The table as {@code docs/spec/archive.md} declares it, created before FleetSchema so that it grants SELECT. */
    private static void createPositionTable(String db) {
        PostgresCluster.execute(standbyServer.jdbcUrl(db), """
                CREATE TABLE fleetshard_standby_position (
                  shard_id          VARCHAR(128) PRIMARY KEY,
                  manifest_seq      BIGINT       NOT NULL,
                  manifest_sha256   CHAR(64)     NOT NULL,
                  next_offset       BIGINT       NOT NULL,
                  last_position     VARCHAR(200) NOT NULL,
                  last_commit_ts_ms BIGINT       NOT NULL,
                  applied_at_ms     BIGINT       NOT NULL)""");
    }

    /** What the applier does after each segment: upsert the shard's row. */
    private static void setPosition(String db, String shardId, String lsn) {
        long now = System.currentTimeMillis();
        PostgresCluster.execute(standbyServer.jdbcUrl(db), """
                INSERT INTO fleetshard_standby_position VALUES ('%s', 1, '%s', 10, '%s', %d, %d)
                ON CONFLICT (shard_id) DO UPDATE SET last_position = EXCLUDED.last_position,
                  last_commit_ts_ms = EXCLUDED.last_commit_ts_ms, applied_at_ms = EXCLUDED.applied_at_ms"""
                .formatted(shardId, "a".repeat(64), lsn, now, now));
    }

    private static String primaryLsn() {
        try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl("postgres"));
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
