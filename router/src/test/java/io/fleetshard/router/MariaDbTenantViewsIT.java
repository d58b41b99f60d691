package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How MariaDB runs statements through the tenant views (ADR 0053): the tenant filter is one constant per statement, so
 * a statement reads only its tenant's range of the primary key, and a write locks no row of another tenant; what the
 * views answer is still decided anew at every execution, never from a cache. The attacks on the views themselves are
 * {@link MariaDbRoutingIT}'s. The server runs with the query cache on, the riskiest setting for constant folding.
 */
class MariaDbTenantViewsIT {
    /** The function and views as {@link FleetSchema} installed them before ADR 0053, as shards still have them. */
    private static final String FORMER_FUNCTION = """
            CREATE OR REPLACE DEFINER = %1$s FUNCTION %2$s.fleetshard_current_tenant()
              RETURNS VARCHAR(64) CHARACTER SET utf8mb4
              NOT DETERMINISTIC READS SQL DATA SQL SECURITY DEFINER
              RETURN (SELECT CASE WHEN @fleetshard_tenant_sig
                                       = SHA2(CONCAT(s.secret, ':', @fleetshard_tenant_id), 256)
                                  THEN @fleetshard_tenant_id END
                      FROM %2$s.fleetshard_secret s WHERE s.id = 1)""";
    private static final String FORMER_VIEW = """
            CREATE OR REPLACE DEFINER = %1$s SQL SECURITY DEFINER VIEW %3$s.vehicles AS
              SELECT tenant_id, fleet_id, vehicle_id, vin, status, updated_at FROM %2$s.vehicles
              WHERE tenant_id = (SELECT %2$s.fleetshard_current_tenant())
                AND ((SELECT %2$s.fleetshard_hidden_fleets()) = ''
                     OR FIND_IN_SET(fleet_id, (SELECT %2$s.fleetshard_hidden_fleets())) = 0)
              WITH CASCADED CHECK OPTION""";
    private static final int ACME_ROWS = 2000;
    private static final int ZETA_ROWS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static MariaDbNode maria;
    static String db;
    static String views;

    @BeforeAll
    static void start() throws SQLException {
        maria = MariaDbNode.start(dir.resolve("maria"));
        db = "views_" + ProcessHandle.current().pid();
        views = FleetSchema.mariaDbViewDatabase(db);
        maria.createDatabase(db);
        FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
        try (Connection c = root(); Statement st = c.createStatement()) {
            st.execute("SET GLOBAL query_cache_size = 16777216");
            st.execute("SET GLOBAL query_cache_type = ON");
        }
        try (Connection c = root(); PreparedStatement ps = c.prepareStatement("INSERT INTO vehicles (tenant_id,"
                + " fleet_id, vehicle_id, vin, status) VALUES (?, ?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            addRows(ps, "acme", "f", ACME_ROWS);
            addRows(ps, "zeta", "z", ZETA_ROWS);
            ps.executeBatch();
            try (PreparedStatement t = c.prepareStatement("INSERT INTO telemetry (tenant_id, fleet_id, vehicle_id, ts,"
                    + " speed_kph) VALUES ('acme', ?, ?, TIMESTAMP '2026-12-07 10:00:00' + INTERVAL ? SECOND, 50)")) {
                for (int i = 0; i < ACME_ROWS; i++) {
                    t.setString(1, "f" + (i % 10));
                    t.setString(2, "v" + (i % 100));
                    t.setInt(3, i);
                    t.addBatch();
                }
                t.executeBatch();
            }
            c.commit();
        }
    }

    private static void addRows(PreparedStatement ps, String tenant, String fleetPrefix, int rows) throws SQLException {
        for (int i = 0; i < rows; i++) {
            ps.setString(1, tenant);
            ps.setString(2, fleetPrefix + (i % 10));
            ps.setString(3, "v" + i);
            ps.setString(4, tenant.toUpperCase(java.util.Locale.ROOT) + "-VIN-" + i);
            ps.setString(5, i % 4 == 0 ? "idle" : "active");
            ps.addBatch();
        }
    }

    @AfterAll
    static void stop() {
        if (maria != null) {
            maria.close();
        }
    }

    private static Connection root() throws SQLException {
        return DriverManager.getConnection(maria.jdbcUrl(db));
    }

    /** The router's account on the view database, bound to {@code tenant} as the router's {@code SET} binds it. */
    private static Connection app(String tenant, String fleet) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + maria.port() + "/" + views
                + "?user=" + FleetSchema.DEFAULT_APP_ROLE);
        bind(c, tenant, TenantSigner.sign(PostgresCluster.SECRET, tenant), fleet);
        return c;
    }

    private static void bind(Connection c, String tenant, String signature, String fleet) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SET @fleetshard_tenant_id = ?, @fleetshard_tenant_sig = ?,"
                + " @fleetshard_fleet_id = ?, @fleetshard_hidden_fleets = ''")) {
            ps.setString(1, tenant);
            ps.setString(2, signature);
            ps.setString(3, fleet);
            ps.execute();
        }
    }

    /**
     * The plan of {@code sql} on the view database as root with acme's variables (the router's account may not
     * {@code EXPLAIN} a view it cannot {@code SHOW}): the one table of the query block.
     */
    private static JsonNode plan(String sql) throws Exception {
        try (Connection c = root(); Statement st = c.createStatement()) {
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "acme"), "f1");
            st.execute("USE `" + views + "`");
            try (ResultSet rs = st.executeQuery("EXPLAIN FORMAT=JSON " + sql)) {
                assertThat(rs.next()).isTrue();
                JsonNode block = JSON.readTree(rs.getString(1)).path("query_block");
                return block.path("nested_loop").path(0).path("table");
            }
        }
    }

    @Test
    void theTenantFilterIsAConstantAndPointReadsUseThePrimaryKey() throws Exception {
        JsonNode scan = plan("SELECT count(*) FROM vehicles");
        assertThat(scan.path("attached_condition").asText()).as(scan.toString())
                .contains("tenant_id = 'acme'").doesNotContain("fleetshard_current_tenant");
        JsonNode point = plan("SELECT vin FROM vehicles WHERE fleet_id = 'f3' AND vehicle_id = 'v3'");
        assertThat(point.path("access_type").asText()).as(point.toString()).isEqualTo("const");
        assertThat(point.path("key").asText()).isEqualTo("PRIMARY");
        JsonNode fleet = plan("SELECT count(*) FROM vehicles WHERE fleet_id = 'f3'");
        assertThat(fleet.path("key").asText()).as(fleet.toString()).isEqualTo("PRIMARY");
        assertThat(fleet.path("used_key_parts").toString()).isEqualTo("[\"tenant_id\",\"fleet_id\"]");
        JsonNode telemetry = plan("SELECT count(*) FROM telemetry WHERE fleet_id = 'f3' AND vehicle_id = 'v3'");
        assertThat(telemetry.path("key").asText()).as(telemetry.toString()).isEqualTo("PRIMARY");
        assertThat(telemetry.path("used_key_parts").toString())
                .isEqualTo("[\"tenant_id\",\"fleet_id\",\"vehicle_id\"]");
        try (Connection acme = app("acme", "f3")) {
            assertThat(FirstColumn.of(acme, "SELECT count(*) FROM vehicles")).isEqualTo(Integer.toString(ACME_ROWS));
            assertThat(FirstColumn.of(acme, "SELECT vin FROM vehicles WHERE fleet_id = 'f3' AND vehicle_id = 'v3'"))
                    .isEqualTo("ACME-VIN-3");
            assertThat(FirstColumn.of(acme, "SELECT vin FROM vehicles WHERE fleet_id = 'z3' AND vehicle_id = 'v3'"))
                    .isEmpty();
        }
    }

    /**
     * Before ADR 0053 a write through the views scanned the whole table and so locked every row of every tenant
     * (InnoDB locks the rows a locking statement reads): one tenant's open transaction held all others' writes.
     */
    @Test
    void anOpenWriteOfOneTenantHoldsNoRowOfAnother() throws SQLException {
        try (Connection acme = app("acme", "f1"); Connection zeta = app("zeta", "z1");
             Statement a = acme.createStatement(); Statement z = zeta.createStatement()) {
            z.execute("SET SESSION innodb_lock_wait_timeout = 1");
            acme.setAutoCommit(false);
            try {
                assertThat(a.executeUpdate("UPDATE vehicles SET status = 'busy' WHERE fleet_id = 'f1'"
                        + " AND vehicle_id = 'v1'")).isEqualTo(1);
                assertThat(z.executeUpdate("UPDATE vehicles SET status = 'busy' WHERE fleet_id = 'z1'"
                        + " AND vehicle_id = 'v1'")).isEqualTo(1);
                assertThat(FirstColumn.of(zeta, "SELECT count(*) FROM vehicles WHERE fleet_id = 'z1' FOR UPDATE"))
                        .isEqualTo(Integer.toString(ZETA_ROWS / 10));
            } finally {
                acme.rollback();
            }
            assertThat(z.executeUpdate("UPDATE vehicles SET status = 'active' WHERE fleet_id = 'z1'"
                    + " AND vehicle_id = 'v1'")).isEqualTo(1);
        }
    }

    /**
     * A constant folded while a statement is optimized must not outlive the execution: a server-side prepared
     * statement executed again after the session changed tenant (or lost its signature) answers for the new binding.
     * The router prepares on the client; an application with the router's credentials could prepare on the server.
     */
    @Test
    void aPreparedStatementReadsTheTenantAtEveryExecution() throws SQLException {
        try (Connection c = app("acme", "f1"); Statement st = c.createStatement()) {
            st.execute("PREPARE q FROM 'SELECT count(*), min(tenant_id), max(tenant_id) FROM vehicles"
                    + " WHERE fleet_id LIKE ?'");
            st.execute("SET @pattern = '%'");
            assertThat(executeQ(st)).isEqualTo(ACME_ROWS + ",acme,acme");
            bind(c, "zeta", TenantSigner.sign(PostgresCluster.SECRET, "zeta"), "z1");
            assertThat(executeQ(st)).isEqualTo(ZETA_ROWS + ",zeta,zeta");
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "zeta"), "f1");
            assertThat(executeQ(st)).isEqualTo("0,null,null");
            bind(c, "acme", TenantSigner.sign(PostgresCluster.SECRET, "acme"), "f1");
            assertThat(executeQ(st)).isEqualTo(ACME_ROWS + ",acme,acme");
            st.execute("DEALLOCATE PREPARE q");
        }
    }

    private static String executeQ(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("EXECUTE q USING @pattern")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1) + "," + rs.getString(2) + "," + rs.getString(3);
        }
    }

    /** The same statement text for two tenants is never answered from the query cache (on in this server). */
    @Test
    void theQueryCacheNeverAnswersAStatementThroughTheViews() throws SQLException {
        try (Connection c = root()) {
            assertThat(FirstColumn.of(c, "SELECT @@query_cache_type")).isEqualTo("ON");
            long before = status(c, "Qcache_inserts");
            FirstColumn.of(c, "SELECT count(*) FROM vehicles WHERE status = 'idle' /* cached as root */");
            assertThat(status(c, "Qcache_inserts")).as("the cache works for the base table").isEqualTo(before + 1);
        }
        String sql = "SELECT count(*) FROM vehicles WHERE status = 'idle'";
        try (Connection acme = app("acme", "f1"); Connection zeta = app("zeta", "z1"); Connection r = root()) {
            long inserts = status(r, "Qcache_inserts");
            long hits = status(r, "Qcache_hits");
            for (int round = 0; round < 2; round++) {
                assertThat(FirstColumn.of(acme, sql)).isEqualTo(Integer.toString(ACME_ROWS / 4));
                assertThat(FirstColumn.of(zeta, sql)).isEqualTo(Integer.toString(ZETA_ROWS / 4));
            }
            assertThat(status(r, "Qcache_inserts")).isEqualTo(inserts);
            assertThat(status(r, "Qcache_hits")).isEqualTo(hits);
        }
    }

    private static long status(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE '" + name
                + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(2);
        }
    }

    /**
     * Shards installed before ADR 0053 call the tenant function per row; a re-install ({@code fleetshard schema
     * install}) replaces function and views in place, keeping the grants, and writes keep their checks.
     */
    @Test
    void aReinstallUpgradesTheFormerFunctionAndViews() throws Exception {
        try (Connection c = root(); Statement st = c.createStatement()) {
            String d = "`" + db + "`";
            st.execute(FORMER_FUNCTION.formatted(FleetSchema.MARIADB_DEFINER, d));
            st.execute(FORMER_VIEW.formatted(FleetSchema.MARIADB_DEFINER, d, "`" + views + "`"));
            assertThat(plan("SELECT count(*) FROM vehicles").path("attached_condition").asText())
                    .as("the former view").contains("fleetshard_current_tenant()");
            assertThat(plan("SELECT vin FROM vehicles WHERE fleet_id = 'f3' AND vehicle_id = 'v3'")
                    .path("access_type").asText()).isEqualTo("ALL");
            FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
            assertThat(FirstColumn.of(c, "SELECT is_deterministic FROM information_schema.routines"
                    + " WHERE routine_schema = '" + db + "' AND routine_name = 'fleetshard_current_tenant'"))
                    .isEqualTo("YES");
        }
        assertThat(plan("SELECT vin FROM vehicles WHERE fleet_id = 'f3' AND vehicle_id = 'v3'")
                .path("access_type").asText()).isEqualTo("const");
        try (Connection acme = app("acme", "f2"); Statement st = acme.createStatement()) {
            assertThat(FirstColumn.of(acme, "SELECT count(*) FROM vehicles")).isEqualTo(Integer.toString(ACME_ROWS));
            assertThat(st.executeUpdate("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', 'f2', 'upgraded')")).isEqualTo(1);
            assertThatThrownBy(() -> st.executeUpdate("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('zeta', 'f2', 'planted')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("CHECK OPTION");
            assertThatThrownBy(() -> st.executeUpdate("UPDATE vehicles SET tenant_id = 'zeta' WHERE fleet_id = 'f2'"
                    + " AND vehicle_id = 'upgraded'")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("CHECK OPTION");
            assertThat(st.executeUpdate("DELETE FROM vehicles WHERE fleet_id = 'f2' AND vehicle_id = 'upgraded'"))
                    .isEqualTo(1);
        }
    }
}
