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
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A MariaDB shard behind the router: GTID tokens, errors, and tenant isolation through the DEFINER views that
 * {@link FleetSchema} installs, including what a crafted statement can and cannot do.
 */
class MariaDbRoutingIT {
    private static final String ACME_VIN = "ACME-SECRET-VIN";

    @TempDir
    static Path dir;
    static MariaDbNode maria;
    static String db;
    static Router router;
    static RouterHttp http;

    @BeforeAll
    static void start() {
        maria = MariaDbNode.start(dir.resolve("maria"));
        db = "shard_" + ProcessHandle.current().pid();
        maria.createDatabase(db);
        FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD), new Tenant("evil", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("m1", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                new Node("m1-p", "m1", NodeRole.PRIMARY, "us-east-1", "us-east-1a", maria.jdbcUrl(db)),
                new Fleet("acme", "f1", "m1"), new Fleet("evil", "e1", "m1")), List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(1500).build(), map).start();
        http = new RouterHttp(router.port());
        for (int i = 0; i < 2; i++) {
            RouterHttp.Reply r = as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status)"
                    + " VALUES ('acme', 'f1', 'a" + i + "', '" + ACME_VIN + i + "', 'active')");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        }
        assertThat(as("evil", "e1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('evil',"
                + " 'e1', 'e0', 'EVIL-VIN')").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (maria != null) {
            maria.close();
        }
    }

    private static RouterHttp.Reply as(String tenant, String fleet, String sql) {
        return http.query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", sql));
    }

    private static RouterHttp.Reply evil(String sql) {
        RouterHttp.Reply r = as("evil", "e1", sql);
        assertThat(r.raw().body()).as(sql).doesNotContain(ACME_VIN);
        return r;
    }

    private static void assertAcmeUntouched() {
        RouterHttp.Reply r = as("acme", "f1", "SELECT vehicle_id, vin, status FROM vehicles ORDER BY vehicle_id");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"a0\",\"" + ACME_VIN + "0\",\"active\"],[\"a1\",\""
                + ACME_VIN + "1\",\"active\"]]");
    }

    @Test
    void writesReturnAGtidTokenThatTheNextReadAccepts() {
        RouterHttp.Reply w = http.query(Map.of("tenantId", "acme", "fleetId", "f1", "consistency", "eventual",
                "sql", "INSERT INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?)",
                "params", List.of("acme", "f1", "a0", "2026-05-01 10:15:30.5", 52.5, -0.125, 88)));
        assertThat(w.status()).as(w.body().toString()).isEqualTo(200);
        assertThat(w.role()).isEqualTo("primary");
        assertThat(w.body().get("updateCount").asInt()).isEqualTo(1);
        String token = w.body().get("token").asText();
        assertThat(token).matches("m1@mariadb:\\d+-\\d+-\\d+");
        RouterHttp.Reply r = http.query(Map.of("tenantId", "acme", "fleetId", "f1", "consistency", "eventual",
                "afterToken", token, "sql", "SELECT ts, speed_kph FROM telemetry WHERE vehicle_id = ?",
                "params", List.of("a0")));
        assertThat(r.role()).as("no replicas: the primary").isEqualTo("primary");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"2026-05-01T10:15:30.5\",88.0]]");
        RouterHttp.Reply foreign = http.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT 1",
                "afterToken", "s1@postgres:0/10"));
        assertThat(foreign.status()).isEqualTo(400);
    }

    @Test
    void answersRejectionsWithTheirStatus() {
        RouterHttp.Reply dup = as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme',"
                + " 'f1', 'a0')");
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.detail()).startsWith("Duplicate entry");
        RouterHttp.Reply syntax = as("acme", "f1", "SELEC 1");
        assertThat(syntax.status()).isEqualTo(422);
        assertThat(syntax.detail()).contains("SQL syntax");
        RouterHttp.Reply column = as("acme", "f1", "SELECT nope FROM vehicles");
        assertThat(column.status()).isEqualTo(422);
        assertThat(column.detail()).contains("Unknown column 'nope'");
        RouterHttp.Reply slow = as("acme", "f1", "SELECT SLEEP(5)");
        assertThat(slow.status()).isEqualTo(504);
        assertThat(slow.detail()).contains("max_statement_time exceeded");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM vehicles",
        "SELECT * FROM vehicles WHERE tenant_id = 'acme' OR 1=1",
        "SELECT vin FROM vehicles WHERE tenant_id = 'evil' UNION ALL SELECT vin FROM vehicles WHERE tenant_id = 'acme'",
        "SELECT (SELECT GROUP_CONCAT(vin) FROM vehicles v2 WHERE v2.tenant_id = 'acme') AS leak",
        "WITH everything AS (SELECT * FROM vehicles) SELECT * FROM everything WHERE tenant_id <> 'evil'",
        "SELECT *, @fleetshard_tenant_id := 'acme' AS forged FROM vehicles",
        "SELECT v.* FROM vehicles v WHERE (@fleetshard_tenant_id := 'acme') IS NOT NULL",
        "SELECT v.* FROM vehicles v WHERE (@`fleetshard_tenant_sig` := 'x') IS NOT NULL",
        "SELECT v.* FROM vehicles v WHERE (@'fleetshard_tenant_id' := 'acme') IS NOT NULL",
        "SELECT vin INTO @fleetshard_tenant_sig FROM vehicles LIMIT 1",
    })
    void craftedReadsSeeOnlyTheirOwnTenantsRows(String sql) {
        RouterHttp.Reply r = evil(sql);
        assertThat(r.status()).as(r.detail()).isEqualTo(200);
        // the forged variable does not survive into the next request either
        assertThat(evil("SELECT vin FROM vehicles").body().get("rows").toString()).isEqualTo("[[\"EVIL-VIN\"]]");
    }

    /**
     * Connections keep their tenant variables between statements (ADR 0016); with a pool of two, acme's and evil's
     * statements keep landing on connections the other one set last. Evil never sees acme's variables or rows.
     */
    @Test
    void aConnectionBoundToOneTenantShowsNothingOfItToTheNext() {
        String evilSig = TenantSigner.sign(PostgresCluster.SECRET, "evil");
        for (int round = 0; round < 12; round++) {
            assertAcmeUntouched();
            if (round % 3 == 1) {
                assertThat(as("acme", "f1", "SELECT no_such_column FROM vehicles").status()).isEqualTo(422);
            }
            RouterHttp.Reply r = evil("SELECT (SELECT count(*) FROM vehicles) AS n, tenant_id, vin FROM vehicles");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().get("rows").toString()).isEqualTo("[[1,\"evil\",\"EVIL-VIN\"]]");
            if (round % 4 == 2) {
                RouterHttp.Reply v = evil("SELECT @fleetshard_tenant_id, @fleetshard_tenant_sig");
                assertThat(v.body().get("rows").toString()).isEqualTo("[[\"evil\",\"" + evilSig + "\"]]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM %DB%.vehicles",
        "SELECT secret FROM %DB%.fleetshard_secret",
        "SELECT %DB%.fleetshard_current_tenant()",
        "SELECT user, authentication_string FROM mysql.user",
        "CREATE TABLE stolen AS SELECT * FROM vehicles",
        "DROP VIEW vehicles",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1', 'planted')",
        "UPDATE vehicles SET tenant_id = 'acme'",
        "REPLACE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1', 'a0')",
        "SELECT tenant_id, fleet_id, job_id FROM %DB%.fleetshard_fence",
        "INSERT INTO %DB%.fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', 'f1', 'freeze-acme')",
        "DELETE FROM %DB%.fleetshard_fence",
        "DROP TRIGGER %DB%.fleetshard_fence_guard_vehicles_update",
    })
    void craftedStatementsThatReachBeyondTheViewsAreRefused(String sql) {
        RouterHttp.Reply r = evil(sql.replace("%DB%", db));
        assertThat(r.status()).as(r.detail()).isEqualTo(422);
        assertAcmeUntouched();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SET @fleetshard_tenant_id = 'acme'",
        "SET @fleetshard_tenant_sig = 'x', @fleetshard_tenant_id = 'acme'",
        "SET @fleetshard_resharder = 1",
        "SELECT 1; SELECT * FROM vehicles",
        "SELECT 1 /*! ; SELECT * FROM vehicles */",
        "USE " + "mysql",
        "LOCK TABLES vehicles READ",
    })
    void sessionStatementsAndMultipleStatementsAreRejected(String sql) {
        assertThat(evil(sql).status()).isEqualTo(400);
    }

    /**
     * Aggregating scatter queries run a rewrite of the client's statement (ADR 0014), scanned again and bound to the
     * tenant like any statement: the views still filter it.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT count(*) FROM vehicles WHERE tenant_id = 'acme' OR 1=1",
        "SELECT count(*), min(vin), max(vin), avg(length(vin)) FROM vehicles",
        "SELECT tenant_id, count(*) AS n FROM vehicles GROUP BY tenant_id ORDER BY n DESC LIMIT 0, 5",
        "SELECT max(vin) AS `m` FROM vehicles # ) FROM %DB%.vehicles\n GROUP BY status",
        "SELECT count(*) FROM vehicles WHERE vin <> '\\' OR true -- ' GROUP BY x",
        "SELECT count(*), max(@fleetshard_tenant_id := 'acme') FROM vehicles",
        "SELECT count(*) /*! , (SELECT max(vin) FROM %DB%.vehicles) */ FROM vehicles",
        "SELECT max(vin) FROM %DB%.vehicles",
        "SELECT count(*) FROM vehicles GROUP BY status; SELECT vin FROM vehicles",
    })
    void craftedAggregateScattersSeeOnlyTheirOwnTenantsRows(String sql) {
        String statement = sql.replace("%DB%", db).replace("\\n", "\n");
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "evil", "sql", statement));
        // (a variable set to 'acme' by the statement itself may be echoed: that is not a row of acme)
        assertThat(r.raw().body()).as(statement).doesNotContain(ACME_VIN);
        assertThat(r.status()).as(r.raw().body()).isIn(200, 400, 422);
        if (r.status() == 200) {
            // evil has one vehicle
            assertThat(r.body().get("rows").toString()).as(statement).doesNotContain("[2").doesNotContain(",2");
        }
        assertAcmeUntouched();
        assertThat(evil("SELECT vin FROM vehicles").body().get("rows").toString()).isEqualTo("[[\"EVIL-VIN\"]]");
    }

    @Test
    void writesCannotChangeOrDeleteAnotherTenantsRows() {
        assertThat(evil("UPDATE vehicles SET status = 'pwned' WHERE tenant_id = 'acme'").body().get("updateCount")
                .asInt()).isZero();
        assertThat(evil("DELETE FROM vehicles WHERE tenant_id = 'acme'").body().get("updateCount").asInt()).isZero();
        // IGNORE turns the view's CHECK OPTION failure into a warning: the row is skipped, not written
        assertThat(evil("INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1', 'p1')")
                .body().get("updateCount").asInt()).isZero();
        assertAcmeUntouched();
    }

    @Test
    void theRouterAccountCanReachOnlyTheViews() throws Exception {
        try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW GRANTS FOR 'fleetshard_app'@'%'")) {
            StringBuilder grants = new StringBuilder();
            while (rs.next()) {
                grants.append(rs.getString(1)).append('\n');
            }
            assertThat(grants.toString()).contains("`" + db + "_rls`.`vehicles`")
                    .doesNotContain("ON *.*  TO").doesNotContain("`" + db + "`.");
        }
        FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET); // idempotent
        assertAcmeUntouched();
    }
}
