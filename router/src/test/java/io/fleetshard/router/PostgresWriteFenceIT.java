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
            ps.setString(5, "");
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

    @Test
    void aStatementThatTouchesOneFencedRowAmongOthersWritesNothing() throws SQLException {
        // the guard checks once per statement, over all its rows (transition tables)
        assertThatThrownBy(() -> execute(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                + " ('acme', 'other', 'batch-1'), ('acme', 'stuck', 'batch-2'), ('acme', 'free', 'batch-3')"))
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED);
                    assertThat(e.getMessage()).contains("fleet stuck of tenant acme is fenced on this shard by"
                            + " reshard job job-stuck");
                });
        assertThatThrownBy(() -> execute(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin)"
                + " SELECT 'acme', CASE WHEN g = 500 THEN 'stuck' ELSE 'other' END, 'bulk-' || g, 'x'"
                + " FROM generate_series(1, 1000) g")).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        assertThat(vehiclesOn(urlA, "other")).noneMatch(v -> v.startsWith("batch-") || v.startsWith("bulk-"));
        assertThat(vehiclesOn(urlA, "free")).doesNotContain("batch-3");
    }

    @Test
    void upsertsAndMergeOfAFencedFleetAreFenced() throws SQLException {
        List<String> writes = List.of(
                "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('acme', 'stuck', 's0', 'x')"
                        + " ON CONFLICT (tenant_id, fleet_id, vehicle_id) DO UPDATE SET status = 'upserted'",
                "MERGE INTO vehicles v USING (VALUES ('acme', 'stuck', 's0')) s (t, f, id)"
                        + " ON v.tenant_id = s.t AND v.fleet_id = s.f AND v.vehicle_id = s.id"
                        + " WHEN MATCHED THEN UPDATE SET status = 'merged'",
                "MERGE INTO vehicles v USING (VALUES ('acme', 'stuck', 's0')) s (t, f, id)"
                        + " ON v.tenant_id = s.t AND v.fleet_id = s.f AND v.vehicle_id = s.id WHEN MATCHED THEN DELETE",
                "MERGE INTO vehicles v USING (VALUES ('acme', 'stuck', 'm9')) s (t, f, id)"
                        + " ON v.tenant_id = s.t AND v.fleet_id = s.f AND v.vehicle_id = s.id"
                        + " WHEN NOT MATCHED THEN INSERT (tenant_id, fleet_id, vehicle_id) VALUES (s.t, s.f, s.id)",
                "COPY vehicles (tenant_id, fleet_id, vehicle_id) FROM PROGRAM 'echo acme,stuck,c1' WITH (FORMAT csv)");
        for (String sql : writes) {
            assertThatThrownBy(() -> execute(urlA, sql)).as(sql).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        }
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");
        try (Connection c = DriverManager.getConnection(urlA); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT status FROM vehicles WHERE fleet_id = 'stuck'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("new");
        }
    }

    @Test
    void installingOnAShardWithTheFormerRowTriggerReplacesIt() throws SQLException {
        String url = pg.primary.jdbcUrl(pg.newShardDatabase("fence_old"));
        // what FleetSchema installed up to 2026-12: one BEFORE ... FOR EACH ROW trigger of the same name
        execute(url, "DROP TRIGGER fleetshard_fence_guard ON vehicles; DROP TRIGGER fleetshard_fence_guard_update"
                + " ON vehicles; DROP TRIGGER fleetshard_fence_guard_delete ON vehicles;"
                + " CREATE FUNCTION public.old_guard() RETURNS trigger LANGUAGE plpgsql AS"
                + " 'BEGIN RAISE EXCEPTION ''old guard'' USING ERRCODE = ''FS002''; END';"
                + " CREATE TRIGGER fleetshard_fence_guard BEFORE INSERT OR UPDATE OR DELETE ON vehicles"
                + " FOR EACH ROW EXECUTE FUNCTION public.old_guard()");
        FleetSchema.install(url, PostgresCluster.SECRET);
        FleetSchema.install(url, PostgresCluster.SECRET);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT string_agg(tgname || ':' || tgtype, ',' ORDER BY tgname) FROM pg_trigger"
                     + " WHERE tgrelid = 'public.vehicles'::regclass AND NOT tgisinternal")) {
            rs.next();
            // tgtype: 4 = AFTER INSERT FOR EACH STATEMENT, 16 = UPDATE, 8 = DELETE
            assertThat(rs.getString(1)).isEqualTo("fleetshard_fence_guard:4,fleetshard_fence_guard_delete:8,"
                    + "fleetshard_fence_guard_update:16");
        }
        execute(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'free', 'v1')");
        fence(url, "stuck", "job-old");
        assertThatThrownBy(() -> execute(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                + " ('acme', 'stuck', 'v2')")).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getMessage()).contains("fenced on this shard by reshard job job-old"));
    }
}
