package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    /**
     * "Writes in flight at the fence" (router README): the guard's locking read of the fence row, made after the row is
     * written since ADR 0056, still orders every write against the resharder's fence insert. A write that passed the
     * guard holds the fence insert back until it commits (so it is before the fence in the shard log); a write that
     * comes while a fence insert is open waits for it, then fails.
     */
    @Test
    void aWriteInFlightHoldsTheFenceBackAndAWriteDuringAnOpenFenceWaitsThenFails() throws Exception {
        try (Connection writer = DriverManager.getConnection(urlA);
             Connection fencer = DriverManager.getConnection(urlA)) {
            String writerThread = FirstColumn.of(writer, "SELECT CONNECTION_ID()");
            String fencerThread = FirstColumn.of(fencer, "SELECT CONNECTION_ID()");
            writer.setAutoCommit(false);
            run(writer, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'late', 'w1')");
            CompletableFuture<SQLException> fenceInsert = runAsync(fencer, "INSERT INTO fleetshard_fence (tenant_id,"
                    + " fleet_id, job_id) VALUES ('acme', 'late', 'job-late')");
            awaitLockWait(fencerThread, "the fence insert to wait for the write in flight");
            assertThat(fenceInsert).isNotDone();
            writer.commit();
            assertThat((Object) fenceInsert.get(30, TimeUnit.SECONDS)).as("the fence insert's failure").isNull();
            assertThat(vehiclesOn(urlA, "late")).containsExactly("w1");
            assertThatThrownBy(() -> execute(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', 'late', 'w2')")).isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));

            fencer.setAutoCommit(false);
            run(fencer, "INSERT INTO fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', 'later',"
                    + " 'job-later')");
            writer.setAutoCommit(true);
            CompletableFuture<SQLException> write = runAsync(writer, "INSERT INTO vehicles (tenant_id, fleet_id,"
                    + " vehicle_id) SELECT 'acme', 'later', s.id FROM (SELECT 'w3' AS id UNION ALL SELECT 'w4') s");
            awaitLockWait(writerThread, "the write to wait for the open fence insert");
            assertThat(write).isNotDone();
            fencer.commit();
            SQLException refused = write.get(30, TimeUnit.SECONDS);
            assertThat(refused == null ? "written" : refused.getSQLState()).as("the write after the fence")
                    .isEqualTo(FleetSchema.FENCED);
            assertThat(vehiclesOn(urlA, "later")).isEmpty();
        }
    }

    /**
     * Shards installed before ADR 0056 have the guards of INSERT and UPDATE as BEFORE triggers (the same names and
     * bodies), on which MariaDB 11.4.5 fails an {@code INSERT ... SELECT} of several rows with a column list. A
     * re-install ({@code fleetshard schema install}) turns them into AFTER triggers in place; the fence holds.
     */
    @Test
    void aReinstallTurnsTheFormerBeforeTriggersIntoAfterTriggers() throws SQLException {
        String db = "fence_c_" + ProcessHandle.current().pid();
        maria.createDatabase(db);
        String url = maria.jdbcUrl(db);
        FleetSchema.install(url, PostgresCluster.SECRET);
        installFormerGuards(url, db);
        assertThat(guardTimings(url, db)).containsEntry("fleetshard_fence_guard_vehicles_insert", "BEFORE INSERT")
                .containsEntry("fleetshard_fleet_guard_telemetry_update", "BEFORE UPDATE");
        fence(url, "stuck", "job-stuck");
        String insertSelect = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'acme', 'free', s.id"
                + " FROM (SELECT 'u1' AS id UNION ALL SELECT 'u2') s";
        // the server's bug (MDEV-36026) on the former guards: a MariaDB that no longer has it fails this line
        assertThatThrownBy(() -> execute(url, insertSelect)).hasMessageContaining("cannot be null");

        FleetSchema.install(url, PostgresCluster.SECRET);

        Map<String, String> timings = guardTimings(url, db);
        assertThat(timings).hasSize(12);
        timings.forEach((name, timing) -> assertThat(timing).as(name)
                .isEqualTo(name.endsWith("_delete") ? "BEFORE DELETE" : "AFTER " + name.replaceAll(".*_", "")
                        .toUpperCase(java.util.Locale.ROOT)));
        execute(url, insertSelect);
        assertThat(vehiclesOn(url, "free")).containsExactly("u1", "u2");
        assertThatThrownBy(() -> execute(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                + " ('acme', 'stuck', 'u3')")).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
    }

    /** Recreates the INSERT and UPDATE guards of {@code db} as FleetSchema installed them before ADR 0056: BEFORE. */
    private static void installFormerGuards(String url, String db) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            java.util.List<String[]> guards = new java.util.ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT trigger_name, event_manipulation, event_object_table,"
                    + " action_statement FROM information_schema.triggers WHERE trigger_schema = '" + db + "'"
                    + " AND event_manipulation IN ('INSERT', 'UPDATE')"
                    + " ORDER BY trigger_name LIKE 'fleetshard_fleet_guard%', trigger_name")) {
                while (rs.next()) {
                    guards.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
            for (String[] g : guards) { // fence guards first: each fleet guard PRECEDES its table's fence guard
                String order = g[0].startsWith("fleetshard_fleet_guard") ? " PRECEDES "
                        + g[0].replace("fleet_guard", "fence_guard") : "";
                st.execute("CREATE OR REPLACE DEFINER = " + FleetSchema.MARIADB_DEFINER + " TRIGGER `" + db + "`."
                        + g[0] + " BEFORE " + g[1] + " ON `" + db + "`." + g[2] + " FOR EACH ROW" + order + "\n"
                        + g[3]);
            }
        }
    }

    /** Trigger name to its timing and event ("AFTER INSERT"), for every trigger on the sharded tables of {@code db}. */
    private static Map<String, String> guardTimings(String url, String db) throws SQLException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT trigger_name, action_timing, event_manipulation FROM"
                     + " information_schema.triggers WHERE trigger_schema = '" + db + "'")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2) + " " + rs.getString(3));
            }
        }
        return out;
    }

    private static void run(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Runs {@code sql} on {@code c} in another thread; completes with its failure, or null. */
    private static CompletableFuture<SQLException> runAsync(Connection c, String sql) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                run(c, sql);
                return null;
            } catch (SQLException e) {
                return e;
            }
        });
    }

    /** Waits until the statement running on the connection with id {@code thread} waits for a row lock. */
    private void awaitLockWait(String thread, String what) {
        Await.condition(what, Duration.ofSeconds(30), () -> {
            try (Connection c = DriverManager.getConnection(urlA); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.innodb_trx WHERE"
                         + " trx_mysql_thread_id = " + thread + " AND trx_state = 'LOCK WAIT'")) {
                return rs.next() && rs.getInt(1) == 1;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
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
