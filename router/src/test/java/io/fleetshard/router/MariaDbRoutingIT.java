package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A MariaDB shard behind the router: GTID tokens, errors, and tenant isolation through the DEFINER views that
 * {@link FleetSchema} installs, including what a crafted statement can and cannot do. The attacks of
 * {@link PostgresTenantIsolationIT}, in MariaDB's dialect, plus those of MariaDB's own gaps (ADR 0020): the fleet guard
 * of writes, and session state on a pooled connection that serves one tenant after another.
 */
class MariaDbRoutingIT {
    private static final String ACME_VIN = "ACME-SECRET-VIN";

    @TempDir
    static Path dir;
    static MariaDbNode maria;
    static String db;
    static Router router;
    static InMemoryShardMap map;
    static RouterHttp http;
    /** A router with one pooled connection: every statement, whatever its tenant, runs in the same session. */
    static Router single;
    /** The same with {@code router.tenant.binding=transaction}: the session is reset between tenants too. */
    static Router singleByTransaction;
    /** The server's certificate (TLS on, docs/security.md), and one of another CA that a misconfigured node trusts. */
    static TestTls tls;
    static TestTls other;

    @BeforeAll
    static void start() throws Exception {
        tls = TestTls.create(dir.resolve("tls"), "server");
        other = TestTls.create(dir.resolve("tls"), "other");
        maria = MariaDbNode.startWithTls(dir.resolve("maria"), tls.certPem(), tls.keyPem());
        db = "shard_" + ProcessHandle.current().pid();
        maria.createDatabase(db);
        FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
        map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD), new Tenant("evil", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("m1", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                new Node("m1-p", "m1", NodeRole.PRIMARY, "us-east-1", "us-east-1a", maria.jdbcUrl(db)),
                new Tenant("beta", DurabilityTier.STANDARD),
                new Fleet("acme", "f1", "m1"), new Fleet("evil", "e1", "m1"), new Fleet("beta", "b1", "m1"),
                new Fleet("beta", "b2", "m1"),
                new Tenant("gamma", DurabilityTier.STANDARD), new Fleet("gamma", "g1", "m1"),
                new Fleet("gamma", "g2", "m1"),
                // TLS by configuration: the node URL says verify-full and names the CA (MariaDB Connector/J spelling)
                new Tenant("tlsco", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("tls", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                Shard.withDefaultTokens("badtls", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                new Node("tls-p", "tls", NodeRole.PRIMARY, "us-east-1", "us-east-1a", maria.jdbcUrl(db)
                        + "&sslMode=verify-full&serverSslCert=" + tls.certPem()),
                new Node("badtls-p", "badtls", NodeRole.PRIMARY, "us-east-1", "us-east-1a", maria.jdbcUrl(db)
                        + "&sslMode=verify-full&serverSslCert=" + other.certPem()),
                new Fleet("tlsco", "tls", "tls"), new Fleet("tlsco", "badtls", "badtls")), List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(1500).build(), map).start();
        http = new RouterHttp(router.port());
        single = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(1)
                .poolMinIdle(1).requestTimeoutMs(1500).build(), map).start();
        singleByTransaction = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                .poolMaxSize(1).poolMinIdle(1).requestTimeoutMs(1500).tenantBinding("transaction").build(), map)
                .start();
        for (int i = 0; i < 2; i++) {
            RouterHttp.Reply r = as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status)"
                    + " VALUES ('acme', 'f1', 'a" + i + "', '" + ACME_VIN + i + "', 'active')");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        }
        assertThat(as("evil", "e1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('evil',"
                + " 'e1', 'e0', 'EVIL-VIN')").status()).isEqualTo(200);
        assertThat(as("beta", "b1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('beta',"
                + " 'b1', 'b0', 'one')").status()).isEqualTo(200);
        assertThat(as("beta", "b2", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('beta',"
                + " 'b2', 'b9', 'two')").status()).isEqualTo(200);
        assertThat(as("gamma", "g1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES"
                + " ('gamma', 'g1', 'seed1', 'one'), ('gamma', 'g1', 'seed2', 'two')").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (single != null) {
            single.stop();
        }
        if (singleByTransaction != null) {
            singleByTransaction.stop();
        }
        if (maria != null) {
            maria.close();
        }
    }

    /** A request of {@code tenant} with a tenant-writer token of its own, as a tenant's application sends it. */
    private static RouterHttp.Reply as(String tenant, String fleet, String sql) {
        return tokenOf(Role.TENANT_WRITER, tenant).query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", sql));
    }

    private static RouterHttp tokenOf(Role role, String tenant) {
        return new RouterHttp(router.port(), TestTokens.of(role, tenant));
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
    void aNodeUrlWithVerifiedTlsIsRoutedOverTlsAndAnUntrustedServerCertificateIsRefused() throws SQLException {
        RouterHttp.Reply ok = as("tlsco", "tls", "SELECT count(*) AS n FROM vehicles");
        assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
        assertThat(ok.nodeId()).isEqualTo("tls-p");
        RouterHttp.Reply refused = as("tlsco", "badtls", "SELECT count(*) AS n FROM vehicles");
        assertThat(refused.status()).as("verify-full against another CA's certificate: no connection").isEqualTo(503);
        try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db) + "&sslMode=verify-full&serverSslCert="
                + tls.certPem());
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_version'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(2)).as("the node URL's connection is TLS").startsWith("TLSv1.");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(maria.jdbcUrl(db) + "&sslMode=verify-full&serverSslCert="
                + other.certPem()).close()).as("the refusal is the certificate check").isInstanceOf(SQLException.class);
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
        // the DATETIME is the UTC instant it stands for, printed as PostgreSQL's timestamptz is (ADR 0050)
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"2026-05-01T10:15:30.5Z\",88.0]]");
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
        "SELECT * FROM vehicles v WHERE EXISTS (SELECT 1 FROM vehicles w WHERE w.tenant_id = 'acme')",
        "SELECT v.* FROM vehicles v LEFT JOIN (SELECT * FROM vehicles WHERE tenant_id = 'acme') x ON true",
        "WITH RECURSIVE r AS (SELECT vin FROM vehicles WHERE tenant_id = 'acme' UNION SELECT vin FROM r) SELECT * FROM r",
        "SELECT * FROM vehicles WHERE tenant_id = 'acme' LOCK IN SHARE MODE",
        "SELECT count(*) AS n FROM vehicles WHERE tenant_id = 'acme'",
        "SELECT t.* FROM telemetry t JOIN vehicles v ON v.vehicle_id = t.vehicle_id WHERE v.tenant_id = 'acme'",
    })
    void craftedReadsSeeOnlyTheirOwnTenantsRows(String sql) {
        RouterHttp.Reply r = evil(sql);
        assertThat(r.status()).as(r.detail()).isEqualTo(200);
        r.body().get("rows").forEach(row -> assertThat(row.toString()).doesNotContain("acme"));
        if (sql.contains("count(*)")) {
            assertThat(r.body().get("rows").toString()).isEqualTo("[[0]]");
        }
        // the forged variable does not survive into the next request either
        assertThat(evil("SELECT vin FROM vehicles").body().get("rows").toString()).isEqualTo("[[\"EVIL-VIN\"]]");
    }

    /**
     * Connections keep their tenant variables between statements (ADR 0016); with a pool of two, acme's and evil's
     * statements keep landing on connections the other one set last. Evil never sees acme's variables or rows.
     */
    @Test
    void aConnectionBoundToOneTenantShowsNothingOfItToTheNext() {
        for (int round = 0; round < 12; round++) {
            assertAcmeUntouched();
            if (round % 3 == 1) {
                assertThat(as("acme", "f1", "SELECT no_such_column FROM vehicles").status()).isEqualTo(422);
            }
            RouterHttp.Reply r = evil("SELECT (SELECT count(*) FROM vehicles) AS n, tenant_id, vin FROM vehicles");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().get("rows").toString()).isEqualTo("[[1,\"evil\",\"EVIL-VIN\"]]");
            if (round % 4 == 2) {
                assertThat(evil("SELECT vin FROM vehicles WHERE vin = CAST('x' AS INT) / 0 OR nope").status())
                        .isEqualTo(422);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM %DB%.vehicles",
        "SELECT secret FROM %DB%.fleetshard_secret",
        "SELECT %DB%.fleetshard_current_tenant()",
        "SELECT %DB%.fleetshard_hidden_fleets()",
        "CREATE OR REPLACE VIEW vehicles AS SELECT * FROM %DB%.vehicles",
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
        "DROP TRIGGER %DB%.fleetshard_fleet_guard_vehicles_insert",
        "SELECT * FROM %DB%.fleetshard_router_account",
        "DELETE FROM %DB%.fleetshard_router_account",
        "CREATE TEMPORARY TABLE vehicles (tenant_id VARCHAR(64), vin VARCHAR(32))",
        "CREATE TABLE %DB%_rls.vehicles_copy AS SELECT * FROM vehicles",
        "TRUNCATE vehicles",
        "DROP TABLE %DB%.vehicles",
        "ALTER TABLE vehicles ADD COLUMN leak INT",
        "CREATE FUNCTION leak() RETURNS INT RETURN 1",
        "CREATE VIEW leak AS SELECT * FROM %DB%.vehicles",
        "CREATE SEQUENCE leak_seq",
        "SELECT vin FROM vehicles INTO OUTFILE '/tmp/fleetshard-leak.txt'",
        "SELECT * FROM %DB%.telemetry",
        "SELECT * FROM %DB%_rls.vehicles v JOIN mysql.db d ON true",
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
        "SET @fleetshard_hidden_fleets = ''",
        "SELECT v.* FROM vehicles v WHERE (@fleetshard_hidden_fleets := 'f1') IS NOT NULL",
        "SELECT 1; SELECT * FROM vehicles",
        "SELECT 1 /*! ; SELECT * FROM vehicles */",
        "USE " + "mysql",
        "LOCK TABLES vehicles READ",
        "SET STATEMENT max_statement_time = 0 FOR SELECT * FROM vehicles",
        "SET SESSION sql_mode = ''",
        "SET @@session.max_statement_time = 0",
        "SELECT *, @fleetshard_tenant_id := 'acme' AS forged FROM vehicles",
        "SELECT v.* FROM vehicles v WHERE (@fleetshard_tenant_id := 'acme') IS NOT NULL",
        "SELECT v.* FROM vehicles v WHERE (@`fleetshard_tenant_sig` := 'x') IS NOT NULL",
        "SELECT v.* FROM vehicles v WHERE (@'fleetshard_tenant_id' := 'acme') IS NOT NULL",
        "SELECT vin INTO @fleetshard_tenant_sig FROM vehicles LIMIT 1",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'evil', @fleetshard_fleet_id := 'e2', 'e5'",
        "SELECT @left_for_the_next_tenant := 'x'",
        "PREPARE s FROM 'SET @fleetshard_tenant_id = ''acme'''",
        "EXECUTE s",
        "DEALLOCATE PREPARE s",
        "BEGIN",
        "START TRANSACTION",
        "COMMIT",
        "XA START 'x'",
        "HANDLER vehicles OPEN",
        "CALL %DB%.anything()",
        "DO GET_LOCK('x', 0)",
        "GRANT SELECT ON *.* TO CURRENT_USER",
        "ALTER USER CURRENT_USER IDENTIFIED BY 'x'",
        "KILL CONNECTION 1",
        "SHOW FULL PROCESSLIST",
        "SELECT info FROM information_schema.processlist",
        "SELECT 1 /* */ ; /* */ DELETE FROM vehicles",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE vehicles",
        "FLUSH PRIVILEGES",
    })
    void sessionStatementsAndMultipleStatementsAreRejected(String sql) {
        assertThat(evil(sql.replace("%DB%", db)).status()).isEqualTo(400);
        assertAcmeUntouched();
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
        RouterHttp.Reply r = tokenOf(Role.TENANT_READER, "evil").scatter(Map.of("tenantId", "evil", "sql", statement));
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
        // IGNORE turns the view's CHECK OPTION failure into a warning: the row is skipped, not written, whatever its
        // fleet (the view checks a row before it is written, the fleet guard after, ADR 0056)
        assertThat(evil("INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'e1', 'p1')")
                .body().get("updateCount").asInt()).isZero();
        assertThat(evil("INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1', 'p1')")
                .body().get("updateCount").asInt()).isZero();
        // ... but not the fleet guard's refusal (a row of its own tenant, of another fleet than the request's)
        RouterHttp.Reply ignored = evil("INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('evil',"
                + " 'e2', 'p1')");
        assertThat(ignored.status()).isEqualTo(422);
        assertThat(ignored.detail()).contains("may write rows of fleet e1 only");
        for (String fleet : List.of("e1", "f1")) {
            RouterHttp.Reply insert = evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES"
                    + " ('acme', '" + fleet + "', 'planted', 'X')");
            assertThat(insert.status()).isEqualTo(422);
            assertThat(insert.detail()).contains("CHECK OPTION");
        }
        assertThat(evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('evil', 'e2', 'planted',"
                + " 'X')").detail()).contains("may write rows of fleet e1 only");
        assertThat(evil("UPDATE vehicles SET tenant_id = 'acme' WHERE vehicle_id = 'e0'").status()).isEqualTo(422);
        assertThat(evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1', 'a0')"
                + " ON DUPLICATE KEY UPDATE status = 'pwned'").status()).isEqualTo(422);
        assertThat(evil("DELETE FROM vehicles WHERE tenant_id = 'acme' OR true").status()).isEqualTo(200);
        assertThat(evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('evil', 'e1', 'e0',"
                + " 'EVIL-VIN')").status()).as("its own row only was deleted").isEqualTo(200);
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

    // ------------------------------------------------ the fleet guard of writes (ADR 0020), tenant beta: b1 and b2

    private static String betaRows() {
        RouterHttp.Reply r = as("beta", "b1", "SELECT fleet_id, vehicle_id, status FROM vehicles ORDER BY vehicle_id");
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.body().get("rows").toString();
    }

    private static final String BETA_UNTOUCHED = "[[\"b1\",\"b0\",\"one\"],[\"b2\",\"b9\",\"two\"]]";

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b2', 'misplaced')",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b1', 'ok1'), ('beta', 'b2', 'bad2')",
        "INSERT INTO vehicles SELECT tenant_id, 'b2', CONCAT(vehicle_id, '-copy'), vin, status, updated_at FROM vehicles",
        "INSERT INTO telemetry (tenant_id, fleet_id, vehicle_id, ts) VALUES ('beta', 'b2', 'b9', NOW())",
        "REPLACE INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('beta', 'b2', 'b9', 'pwned')",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b1', 'b0')"
                + " ON DUPLICATE KEY UPDATE fleet_id = 'b2'",
        "UPDATE vehicles SET status = 'pwned' WHERE fleet_id = 'b2'",
        "UPDATE vehicles SET status = 'pwned'",
        "UPDATE vehicles SET fleet_id = 'b2' WHERE vehicle_id = 'b0'",
        "UPDATE vehicles SET fleet_id = 'b1' WHERE vehicle_id = 'b9'",
        "DELETE FROM vehicles WHERE fleet_id = 'b2'",
        "DELETE FROM vehicles",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'B2', 'case')",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b1 ', 'trailing-space')",
    })
    void writesCanOnlyCreateChangeOrDeleteRowsOfTheFleetNamedInTheRequest(String sql) {
        RouterHttp.Reply r = as("beta", "b1", sql);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(422);
        assertThat(r.detail()).contains("this request may write rows of fleet b1 only");
        assertThat(betaRows()).isEqualTo(BETA_UNTOUCHED);
    }

    @Test
    void writesOfTheRequestsFleetPassTheGuardAndAConnectionBoundToAFleetRebindsForTheNext() {
        assertThat(as("beta", "b1", "UPDATE vehicles SET status = 'one' WHERE fleet_id = 'b1'").status())
                .isEqualTo(200);
        assertThat(as("beta", "b2", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b2',"
                + " 'b8')").status()).isEqualTo(200);
        RouterHttp.Reply misplaced = as("beta", "b1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                + " ('beta', 'b2', 'b7')");
        assertThat(misplaced.status()).isEqualTo(422);
        assertThat(as("beta", "b2", "DELETE FROM vehicles WHERE vehicle_id = 'b8'").body().get("updateCount").asInt())
                .isEqualTo(1);
        assertThat(betaRows()).isEqualTo(BETA_UNTOUCHED);
        // a read for one fleet still sees every fleet of the tenant on the shard, as on PostgreSQL
        assertThat(as("beta", "b2", "SELECT count(*) FROM vehicles").body().get("rows").toString()).isEqualTo("[[2]]");
    }

    @Test
    void theFleetGuardLimitsOnlyTheRoutersAccount() throws SQLException {
        // the resharder, change capture or an operator write as other accounts: not limited to one fleet
        try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement()) {
            st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b2', 'by-root')");
            assertThat(st.executeUpdate("DELETE FROM vehicles WHERE vehicle_id = 'by-root'")).isEqualTo(1);
        }
        // the router's account itself, straight to the database with beta's binding for b1: refused
        try (Connection c = appConnection()) {
            bind(c, "beta", TenantSigner.sign(PostgresCluster.SECRET, "beta"), "b1");
            try (Statement st = c.createStatement()) {
                assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                        + " ('beta', 'b2', 'direct')")).isInstanceOf(SQLException.class)
                        .hasMessageContaining("may write rows of fleet b1 only");
                assertThatThrownBy(() -> st.execute("DELETE FROM vehicles WHERE fleet_id = 'b2'"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("fleet b2 was to be deleted");
            }
        }
        assertThat(betaRows()).isEqualTo(BETA_UNTOUCHED);
    }

    // ---------------------------- INSERT ... SELECT of several rows (ADR 0056), tenant gamma: g1 (seed1, seed2), g2

    private static final String THREE_ROWS = " FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) s";

    static java.util.stream.Stream<Arguments> insertSelects() {
        String rows = THREE_ROWS;
        String keys = " (tenant_id, fleet_id, vehicle_id)";
        return java.util.stream.Stream.of(
                Arguments.of("c1", "vehicles", 3, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status)"
                        + " SELECT 'gamma', 'g1', CONCAT('c1-', n), 'new'" + rows),
                Arguments.of("c2", "vehicles", 3, "INSERT INTO vehicles SELECT 'gamma', 'g1', CONCAT('c2-', n), NULL,"
                        + " 'new', NOW(6)" + rows),
                Arguments.of("c3", "vehicles", 3, "INSERT INTO vehicles (vehicle_id, fleet_id, tenant_id)"
                        + " SELECT CONCAT('c3-', n), 'g1', 'gamma'" + rows),
                Arguments.of("c4", "vehicles", 3, "INSERT IGNORE INTO vehicles" + keys
                        + " SELECT 'gamma', 'g1', CONCAT('c4-', n)" + rows),
                Arguments.of("c5", "vehicles", 3, "REPLACE INTO vehicles" + keys
                        + " SELECT 'gamma', 'g1', CONCAT('c5-', n)" + rows),
                Arguments.of("c6", "vehicles", 3, "INSERT INTO vehicles" + keys
                        + " SELECT 'gamma', 'g1', CONCAT('c6-', n)" + rows
                        + " ON DUPLICATE KEY UPDATE status = 'again'"),
                Arguments.of("c7", "telemetry", 3, "INSERT INTO telemetry (tenant_id, fleet_id, vehicle_id, ts,"
                        + " speed_kph) SELECT 'gamma', 'g1', CONCAT('c7-', n), TIMESTAMP '2026-12-07 10:00:00'"
                        + " + INTERVAL n SECOND, n" + rows),
                // copies what the views show it: gamma's two seeds, no row of acme (a0, a1) or beta (b0, b9)
                Arguments.of("c8", "vehicles", 2, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status)"
                        + " SELECT tenant_id, fleet_id, CONCAT('c8-', vehicle_id), status FROM vehicles"
                        + " WHERE vehicle_id LIKE 'seed%' OR vehicle_id LIKE 'a%' OR vehicle_id LIKE 'b%'"));
    }

    /**
     * MariaDB 11.4.5 failed every {@code INSERT ... SELECT} of two rows or more through the views ("Column
     * 'tenant_id' cannot be null") while the guards were BEFORE INSERT/UPDATE triggers; as AFTER triggers (ADR 0056)
     * they let each form write all its rows. Each case writes {@code rows} rows of g1 whose vehicle id starts with
     * {@code prefix} into {@code table}.
     */
    @ParameterizedTest
    @MethodSource("insertSelects")
    void anInsertSelectOfSeveralRowsWritesThemAll(String prefix, String table, int rows, String sql) {
        RouterHttp.Reply r = as("gamma", "g1", sql);
        assertThat(r.status()).as(sql + ": " + r.raw().body()).isEqualTo(200);
        assertThat(r.body().get("updateCount").asInt()).isEqualTo(rows);
        RouterHttp.Reply written = as("gamma", "g1", "SELECT fleet_id, count(*) AS n FROM " + table
                + " WHERE vehicle_id LIKE '" + prefix + "-%' GROUP BY fleet_id");
        assertThat(written.body().get("rows").toString()).isEqualTo("[[\"g1\"," + rows + "]]");
        assertAcmeUntouched();
        assertThat(betaRows()).isEqualTo(BETA_UNTOUCHED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT IF(n = 3, 'acme', 'gamma'), 'g1',"
                + " CONCAT('x1-', n)",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'gamma', IF(n = 3, 'g2', 'g1'),"
                + " CONCAT('x2-', n)",
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'acme', 'f1', CONCAT('x3-', n)",
        "REPLACE INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'gamma', IF(n = 3, 'g2', 'g1'),"
                + " CONCAT('x4-', n)",
        "INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'gamma', IF(n = 3, 'g2', 'g1'),"
                + " CONCAT('x5-', n)",
        "INSERT INTO telemetry (tenant_id, fleet_id, vehicle_id, ts) SELECT 'gamma', IF(n = 3, 'g2', 'g1'), 'x6',"
                + " TIMESTAMP '2026-12-07 10:00:00' + INTERVAL n SECOND",
    })
    void anInsertSelectWithARowOfAnotherTenantOrFleetWritesNone(String sql) {
        RouterHttp.Reply r = as("gamma", "g1", sql + THREE_ROWS);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(422);
        assertThat(r.detail()).containsAnyOf("CHECK OPTION", "this request may write rows of fleet g1 only");
        String prefix = sql.substring(sql.indexOf("'x") + 1, sql.indexOf("'x") + 3);
        for (String table : List.of("vehicles", "telemetry")) {
            try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table + " WHERE vehicle_id LIKE '"
                            + prefix + "%'")) {
                rs.next();
                assertThat(rs.getInt(1)).as(table + " rows of " + sql).isZero();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        assertAcmeUntouched();
    }

    /**
     * A MariaDB DATETIME is read as UTC everywhere (capture, standbys, moves between engines): the router's sessions
     * write in UTC whatever the server's zone, on a fresh connection and after a reset between tenants alike.
     */
    @Test
    void writesStoreTimesInUtcWhateverTheServersTimeZone() throws Exception {
        try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement()) {
            st.execute("SET GLOBAL time_zone = '+05:00'"); // what sessions start with from now on
        }
        Router fresh = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                .poolMaxSize(1).poolMinIdle(0).requestTimeoutMs(1500).tenantBinding("transaction").build(),
                map).start();
        try {
            RouterHttp beta = new RouterHttp(fresh.port(), TestTokens.of(Role.TENANT_WRITER, "beta"));
            RouterHttp acme = new RouterHttp(fresh.port(), TestTokens.of(Role.TENANT_WRITER, "acme"));
            assertThat(beta.query(Map.of("tenantId", "beta", "fleetId", "b1", "sql", "INSERT INTO vehicles"
                    + " (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b1', 'tz-fresh')")).status()).isEqualTo(200);
            assertThat(acme.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT 1")).status())
                    .isEqualTo(200);
            // the next statement of another tenant runs after a session reset on the same connection
            assertThat(beta.query(Map.of("tenantId", "beta", "fleetId", "b1", "sql", "INSERT INTO vehicles"
                    + " (tenant_id, fleet_id, vehicle_id) VALUES ('beta', 'b1', 'tz-reset')")).status()).isEqualTo(200);
            java.time.LocalDateTime utcNow = java.time.LocalDateTime.now(java.time.ZoneOffset.UTC);
            try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT vehicle_id, updated_at FROM vehicles WHERE vehicle_id IN"
                            + " ('tz-fresh', 'tz-reset') ORDER BY vehicle_id")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    java.time.LocalDateTime written = rs.getTimestamp(2).toLocalDateTime();
                    assertThat(Duration.between(written, utcNow).abs()).as(rs.getString(1) + " written at "
                            + written + ", UTC now " + utcNow).isLessThan(Duration.ofMinutes(5));
                }
                assertThat(rows).isEqualTo(2);
            }
        } finally {
            fresh.stop();
            try (Connection c = DriverManager.getConnection(maria.jdbcUrl(db)); Statement st = c.createStatement()) {
                st.execute("SET GLOBAL time_zone = 'SYSTEM'");
                st.execute("DELETE FROM vehicles WHERE vehicle_id IN ('tz-fresh', 'tz-reset')"); // beta as it was
            }
        }
    }

    // ------------------------------- session state on a pooled connection (ADR 0020): one connection, two tenants

    private static Router singleRouter;

    private static RouterHttp.Reply onSingle(String tenant, String fleet, String sql) {
        return new RouterHttp(singleRouter.port(), TestTokens.of(Role.TENANT_WRITER, tenant)).query(Map.of("tenantId",
                tenant, "fleetId", fleet, "sql", sql));
    }

    private static String firstCell(RouterHttp.Reply r) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r.body().get("rows").get(0).get(0).asText();
    }

    @ParameterizedTest
    @ValueSource(strings = {"connection", "transaction"})
    void nothingATenantLeavesInTheSessionReachesTheNextTenantOnTheSameConnection(String binding) {
        singleRouter = binding.equals("connection") ? single : singleByTransaction;
        String connection = firstCell(onSingle("evil", "e1", "SELECT CONNECTION_ID()"));
        for (int round = 0; round < 3; round++) {
            assertThat(firstCell(onSingle("evil", "e1", "SELECT GET_LOCK('evil-lock', 0)"))).isEqualTo("1");
            assertThat(firstCell(onSingle("evil", "e1", "SELECT LAST_INSERT_ID(4242)"))).isEqualTo("4242");
            assertThat(firstCell(onSingle("evil", "e1", "SELECT LAST_INSERT_ID()"))).as("same tenant: its own state")
                    .isEqualTo("4242");
            assertThat(onSingle("evil", "e1", "SELECT CAST('x' AS DOUBLE) FROM vehicles").status()).isEqualTo(200);
            // acme gets the same session, reset: evil's lock released, its LAST_INSERT_ID and warnings gone
            assertThat(firstCell(onSingle("acme", "f1", "SELECT CONNECTION_ID()"))).isEqualTo(connection);
            assertThat(firstCell(onSingle("acme", "f1", "SELECT LAST_INSERT_ID()"))).isEqualTo("0");
            assertThat(onSingle("acme", "f1", "SELECT RELEASE_LOCK('evil-lock')").body().get("rows").toString())
                    .as("a lock this session no longer holds").isEqualTo("[[null]]");
            assertThat(onSingle("acme", "f1", "SHOW WARNINGS").body().get("rows").toString()).isEqualTo("[]");
            assertThat(Double.parseDouble(firstCell(onSingle("acme", "f1", "SELECT @@session.max_statement_time"))))
                    .as("its own statement's timeout, not the server's default 0").isBetween(1.0, 1.5);
            RouterHttp.Reply acme = onSingle("acme", "f1", "SELECT vin FROM vehicles ORDER BY vin");
            assertThat(acme.body().get("rows").toString()).contains(ACME_VIN + "0").doesNotContain("EVIL-VIN");
            assertThat(onSingle("evil", "e1", "SELECT vin FROM vehicles").body().get("rows").toString())
                    .isEqualTo("[[\"EVIL-VIN\"]]");
        }
    }

    // ------------------------------------------------------- the database alone, as the router's account

    private static Connection appConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + maria.port() + "/"
                + FleetSchema.mariaDbViewDatabase(db) + "?user=" + FleetSchema.DEFAULT_APP_ROLE);
    }

    private static void bind(Connection c, String tenant, String signature, String fleet) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SET @fleetshard_tenant_id = ?, @fleetshard_tenant_sig = ?,"
                + " @fleetshard_fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, signature);
            ps.setString(3, fleet);
            ps.execute();
        }
    }

    @Test
    void withoutABindTheAccountSeesNothingAndCannotWrite() throws SQLException {
        try (Connection c = appConnection(); Statement st = c.createStatement()) {
            assertThat(FirstColumn.of(c, "SELECT count(*) FROM vehicles")).isEqualTo("0");
            assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', 'f1', 'x')")).isInstanceOf(SQLException.class).hasMessageContaining("CHECK OPTION");
            assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', NULL, 'x')")).isInstanceOf(SQLException.class);
            // bound to a tenant but to no fleet (a read-only request's binding): the fleet guard refuses every row
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "acme"), null);
            assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', 'f1', 'x')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("may write rows of fleet (none: a read-only request) only");
        }
        assertAcmeUntouched();
    }

    @Test
    void forgedVariablesFailTheSignatureCheck() throws SQLException {
        try (Connection c = appConnection()) {
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "evil"), "f1");
            assertThat(FirstColumn.of(c, "SELECT vin FROM vehicles")).isEmpty();
            bind(c, "acme", TenantSigner.sign("guessed-secret-123456", "acme"), "f1");
            assertThat(FirstColumn.of(c, "SELECT vin FROM vehicles")).isEmpty();
            bind(c, "evil", TenantSigner.sign(PostgresCluster.SECRET, "evil"), "e1");
            assertThat(FirstColumn.of(c, "SELECT vin FROM vehicles")).isEqualTo("EVIL-VIN");
        }
    }

    /**
     * ADR 0051: the fleets a scatter leg hides are a user variable the views read through a definer function. Set or
     * cleared straight against the database with the router's account (the router's scanner refuses both), it can
     * only hide rows of the bound tenant: the tenant filter stays as it was.
     */
    @Test
    void theHiddenFleetsVariableCanOnlyHideTheBoundTenantsOwnRows() throws SQLException {
        try (Connection c = appConnection(); Statement st = c.createStatement()) {
            bind(c, "evil", TenantSigner.sign(PostgresCluster.SECRET, "evil"), "e1");
            for (String hidden : List.of("", "e2", "f1", "%", "e1x,,e", "' OR 1=1 -- ")) {
                hide(c, hidden);
                assertThat(FirstColumn.of(c, "SELECT vin FROM vehicles")).as(hidden).isEqualTo("EVIL-VIN");
            }
            st.execute("SET @fleetshard_hidden_fleets = NULL");
            assertThat(FirstColumn.of(c, "SELECT vin FROM vehicles")).isEqualTo("EVIL-VIN");
            hide(c, "x,e1");
            assertThat(FirstColumn.of(c, "SELECT count(*) FROM vehicles")).isEqualTo("0");
            assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('evil', 'e1', 'hidden')")).isInstanceOf(SQLException.class);
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "acme"), "f1");
            hide(c, "f1");
            assertThat(FirstColumn.of(c, "SELECT count(*) FROM vehicles")).isEqualTo("0");
            hide(c, "");
            assertThat(FirstColumn.of(c, "SELECT count(*) FROM vehicles")).isEqualTo("2");
        }
    }

    private static void hide(Connection c, String fleets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SET @fleetshard_hidden_fleets = ?")) {
            ps.setString(1, fleets);
            ps.execute();
        }
    }

    // --- tokens (ADR 0018): the router runs nothing for a request without a valid token of a role that may ---

    // --- the same attacks through POST /v1/query/batch (ADR 0031): every item is checked as a single request ---

    @Test
    void everyAttackFailsTheSameWayInsideABatch() {
        BatchedAttacks attacks = new BatchedAttacks("evil", "e1", "SELECT tenant_id, vin FROM vehicles",
                "[[\"evil\",\"EVIL-VIN\"]]")
                .add(getClass(), "craftedReadsSeeOnlyTheirOwnTenantsRows", 200, db)
                .add(getClass(), "craftedStatementsThatReachBeyondTheViewsAreRefused", 422, db)
                .add(getClass(), "sessionStatementsAndMultipleStatementsAreRejected", 400, db);
        assertThat(attacks.size()).isGreaterThanOrEqualTo(70);
        attacks.runThrough(tokenOf(Role.TENANT_WRITER, "evil"), ACME_VIN);
        // and on one connection, where every item runs in the same session as the one before
        attacks.runThrough(new RouterHttp(single.port(), TestTokens.of(Role.TENANT_WRITER, "evil")), ACME_VIN);
        assertNothingPlanted();
    }

    @Test
    void aBatchMixingTheCallersTenantWithAnothersRunsOnlyTheCallersOwnItems() {
        RouterHttp.Reply r = tokenOf(Role.TENANT_WRITER, "evil").batch(List.of(
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT),
                Map.of("tenantId", "evil", "fleetId", "f1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT vin FROM vehicles", "tenant", "acme"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", EVIL_INSERT),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SET @fleetshard_tenant_id = 'acme'"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT count(*) FROM vehicles")));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.raw().body()).doesNotContain(ACME_VIN);
        java.util.List<Integer> statuses = new java.util.ArrayList<>();
        r.body().get("results").forEach(item -> statuses.add(item.get("status").asInt()));
        assertThat(statuses).containsExactly(200, 403, 403, 404, 400, 422, 400, 200);
        assertThat(r.body().at("/results/0/result/rows").toString()).isEqualTo("[[\"EVIL-VIN\"]]");
        assertThat(r.body().at("/results/1/problem/detail").asText()).contains("may not reach tenant acme");
        assertThat(r.body().at("/results/5/problem/detail").asText()).contains("CHECK OPTION");
        assertThat(r.body().at("/results/7/result/rows").toString()).isEqualTo("[[1]]");
        RouterHttp.Reply reader = tokenOf(Role.TENANT_READER, "acme").batch(List.of(
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT count(*) FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT)));
        assertThat(reader.body().at("/results/0/result/rows").toString()).isEqualTo("[[2]]");
        assertThat(reader.body().at("/results/1/problem/detail").asText()).contains("may only read");
        assertNothingPlanted();
    }

    /**
     * An admin's batch alternates two tenants (and failures) through the router with one pooled connection: every
     * item runs in the session the item before used, bound to its own tenant.
     */
    @Test
    void aBatchAlternatingTenantsOnOneSessionBindsEveryItemToItsOwnTenant() {
        String probe = "SELECT tenant_id, count(*) FROM vehicles GROUP BY tenant_id";
        java.util.List<Map<String, Object>> items = new java.util.ArrayList<>();
        java.util.List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            boolean acme = i % 2 == 0;
            if (i % 7 == 3) {
                items.add(Map.of("tenantId", acme ? "acme" : "evil", "fleetId", acme ? "f1" : "e1", "sql",
                        "SELECT vin FROM vehicles WHERE nope"));
                expected.add("422");
                continue;
            }
            items.add(Map.of("tenantId", acme ? "acme" : "evil", "fleetId", acme ? "f1" : "e1", "sql", probe));
            expected.add(acme ? "[[\"acme\",2]]" : "[[\"evil\",1]]");
        }
        RouterHttp.Reply r = new RouterHttp(single.port()).batch(items);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        java.util.List<String> seen = new java.util.ArrayList<>();
        r.body().get("results").forEach(item -> seen.add(item.get("status").asInt() == 200
                ? item.at("/result/rows").toString() : item.get("status").asText()));
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    private static final String EVIL_INSERT = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES"
            + " ('acme', 'f1', 'planted', 'PLANTED')";

    private static void assertNothingPlanted() {
        RouterHttp.Reply r = http.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT count(*) AS n FROM vehicles WHERE vehicle_id = 'planted'"));
        assertThat(r.body().get("rows").get(0).get(0).asLong()).as(r.raw().body()).isZero();
        assertAcmeUntouched();
    }

    private static void assertProblem(RouterHttp.Reply r, int status, String detail) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.raw().headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(r.detail()).contains(detail);
    }

    @Test
    void aRequestWithoutAValidTokenIs401AndRunsNothing() {
        Map<String, Object> insert = Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT);
        assertProblem(new RouterHttp(router.port(), null).query(insert), 401, "needs a token");
        JwtMinter other = JwtMinter.withDefaults("a-different-secret-of-enough-length!!");
        assertProblem(new RouterHttp(router.port(), other.mint("x", Role.ADMIN, null, Duration.ofHours(1)))
                .query(insert), 401, "signature does not verify");
        JwtMinter expired = new JwtMinter(TestTokens.SECRET, "fleetshard", "fleetshard",
                java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(-3)));
        assertProblem(new RouterHttp(router.port(), expired.mint("x", Role.ADMIN, null, Duration.ofHours(1)))
                .query(insert), 401, "expired at");
        assertProblem(new RouterHttp(router.port(), "not-a-jwt").scatter(Map.of("tenantId", "acme", "sql",
                "SELECT vin FROM vehicles")), 401, "not a JWT");
        assertNothingPlanted();
    }

    @Test
    void aTenantTokenNamingAnotherTenantIs403AndRunsNothing() {
        RouterHttp evilWriter = tokenOf(Role.TENANT_WRITER, "evil");
        assertProblem(evilWriter.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT)), 403,
                "token of tenant evil may not reach tenant acme");
        assertProblem(tokenOf(Role.TENANT_READER, "evil").scatter(Map.of("tenantId", "acme", "sql",
                "SELECT vin FROM vehicles")), 403, "may not reach tenant acme");
        assertProblem(tokenOf(Role.TENANT_READER, "acme").query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                EVIL_INSERT)), 403, "may only read");
        assertProblem(tokenOf(Role.OPERATOR, null).query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT vin FROM vehicles")), 403, "role operator may not call POST /v1/query");
        assertNothingPlanted();
    }
}
