package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The write fence of ADR 0013 on MariaDB shards: the base tables' triggers fire for writes through the router's
 * {@code _rls} views; plus what the router's account cannot do to the fence.
 */
class MariaDbWriteFenceIT extends WriteFenceContract {
    @TempDir
    static Path dir;
    MariaDbNode maria;
    String dbA;

    @Override
    List<String> startShards() {
        maria = MariaDbNode.start(dir.resolve("maria"));
        dbA = "fence_a_" + ProcessHandle.current().pid();
        String dbB = "fence_b_" + ProcessHandle.current().pid();
        maria.createDatabase(dbA);
        maria.createDatabase(dbB);
        FleetSchema.install(maria.jdbcUrl(dbA), PostgresCluster.SECRET);
        FleetSchema.install(maria.jdbcUrl(dbB), PostgresCluster.SECRET);
        return List.of(maria.jdbcUrl(dbA), maria.jdbcUrl(dbB));
    }

    @Override
    Engine engine() {
        return Engine.MARIADB;
    }

    @Override
    void stopServers() {
        if (maria != null) {
            maria.close();
        }
    }

    @Override
    void asResharder(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("SET @fleetshard_resharder = 1");
            st.execute(sql);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM %DB%.fleetshard_fence",
        "DELETE FROM %DB%.fleetshard_fence",
        "INSERT INTO %DB%.fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', 'other', 'x')",
        "SELECT * FROM %DB%.fleetshard_router_account",
        "DELETE FROM %DB%.fleetshard_router_account",
        "DROP TRIGGER %DB%.fleetshard_fence_guard_vehicles_insert",
    })
    void theRoutersAccountCannotReadOrChangeTheFence(String sql) throws SQLException {
        RouterHttp.Reply r = query(quickHttp, "forging", sql.replace("%DB%", dbA));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(422);
        assertThat(insert(quickHttp, "forging", "f1").status()).as("still fenced").isEqualTo(503);
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'acme', 'forging', 'f2'"
                + " FROM (SELECT @fleetshard_resharder := 1) x",
        "INSERT IGNORE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'forging', 'f3')",
        "REPLACE INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'forging', 'f4')",
    })
    void writesThatSetTheResharderVariableOrIgnoreErrorsAreStillFenced(String sql) throws SQLException {
        // the router refuses user variables (ADR 0020); the database ignores the marker for its account anyway
        assertThat(query(quickHttp, "forging", "SELECT @fleetshard_resharder := 1 AS forged").status()).isEqualTo(400);
        RouterHttp.Reply r = query(quickHttp, "forging", sql);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(sql.contains("@") ? 400 : 503);
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
        assertThatThrownBy(() -> asRouterAccount("forging", sql)).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
    }

    @Test
    void anUpdateThatSetsTheResharderVariableChangesNothing() throws SQLException {
        String update = "UPDATE vehicles SET status = IF((@fleetshard_resharder := 1) = 1, 'forged', 'x')"
                + " WHERE fleet_id = 'stuck'";
        RouterHttp.Reply r = query(quickHttp, "stuck", update);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
        assertThatThrownBy(() -> asRouterAccount("stuck", update)).isInstanceOfSatisfying(SQLException.class,
                e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        assertThat(query(quickHttp, "stuck", "SELECT status FROM vehicles WHERE vehicle_id = 's0'").body().get("rows")
                .toString()).isEqualTo("[[\"new\"]]");
    }

    /** {@code sql} straight against shard a as the router's account, bound to acme and {@code fleet}, as a resharder. */
    private void asRouterAccount(String fleet, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + maria.port() + "/"
                + FleetSchema.mariaDbViewDatabase(dbA) + "?user=" + FleetSchema.DEFAULT_APP_ROLE);
             java.sql.PreparedStatement ps = c.prepareStatement("SET @fleetshard_tenant_id = 'acme',"
                     + " @fleetshard_tenant_sig = ?, @fleetshard_fleet_id = ?, @fleetshard_resharder = 1");
             Statement st = c.createStatement()) {
            ps.setString(1, TenantSigner.sign(PostgresCluster.SECRET, "acme"));
            ps.setString(2, fleet);
            ps.execute();
            st.execute(sql);
        }
    }
}
