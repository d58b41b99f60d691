package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The write fence of ADR 0013 on PostgreSQL shards; plus what the router's role cannot do to it. */
class PostgresWriteFenceIT extends WriteFenceContract {
    @TempDir
    static Path dir;
    PostgresCluster pg;

    @Override
    List<String> startShards() {
        pg = new PostgresCluster(dir, false);
        return List.of(pg.primary.jdbcUrl(pg.newShardDatabase("fence_a")),
                pg.primary.jdbcUrl(pg.newShardDatabase("fence_b")));
    }

    @Override
    Engine engine() {
        return Engine.POSTGRES;
    }

    @Override
    void stopServers() {
        if (pg != null) {
            pg.close();
        }
    }

    @Override
    void asResharder(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SET LOCAL fleetshard.resharder = 'on'");
            st.execute(sql);
            c.commit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM fleetshard_fence",
        "DELETE FROM fleetshard_fence",
        "INSERT INTO fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', 'other', 'x')",
        "SELECT * FROM fleetshard_private.router_role",
        "ALTER TABLE vehicles DISABLE TRIGGER fleetshard_fence_guard",
        "DROP TRIGGER fleetshard_fence_guard ON vehicles",
        "CREATE OR REPLACE FUNCTION public.fleetshard_fence_guard() RETURNS trigger LANGUAGE plpgsql"
                + " AS 'BEGIN RETURN NEW; END'",
        "WITH s AS (SELECT set_config('fleetshard.resharder', 'on', true) AS x)"
                + " INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'acme', 'forging', x FROM s",
        "SELECT set_config('session_replication_role', 'replica', true)",
    })
    void theRoutersRoleCannotReadChangeOrDisableTheFence(String sql) throws SQLException {
        RouterHttp.Reply r = query(quickHttp, "forging", sql);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(422);
        assertThat(insert(quickHttp, "forging", "f1").status()).as("still fenced").isEqualTo(503);
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
    }

    @Test
    void settingsTheRouterAcceptsDoNotMarkItsSessionAsTheResharder() throws SQLException {
        assertThat(query(quickHttp, "forging", "SET LOCAL fleetshard.resharder = 'on'").status()).isEqualTo(400);
        RouterHttp.Reply viaSettings = query(quickHttp, "forging",
                "UPDATE pg_settings SET setting = 'on' WHERE name = 'fleetshard.resharder'");
        assertThat(viaSettings.status()).as(viaSettings.body().toString()).isIn(200, 422);
        assertThat(insert(quickHttp, "forging", "f2").status()).isEqualTo(503);
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
    }

    @Test
    void theRoutersRoleIsNeverTheResharderEvenWithTheSettingMadeOutsideTheRouter() throws SQLException {
        // straight to PostgreSQL as the router's role, bound like the router binds, with the resharder's setting
        try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl(JdbcUrl.parse(urlA).database(),
                FleetSchema.DEFAULT_APP_ROLE));
             PreparedStatement ps = c.prepareStatement(PostgresDialect.wrap("SET LOCAL fleetshard.resharder = 'on';"
                     + " INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'forging', 'f3')"))) {
            ps.setString(1, "acme");
            ps.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "acme"));
            ps.setString(3, "forging");
            ps.setInt(4, 5000);
            assertThatThrownBy(() -> {
                ps.execute();
                for (int i = 0; i < 5; i++) {
                    ps.getMoreResults();
                }
            }).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        }
        assertThat(vehiclesOn(urlA, "forging")).isEmpty();
    }
}
