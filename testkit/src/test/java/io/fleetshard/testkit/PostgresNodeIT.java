package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresNodeIT {

    private static final Duration REPLAY_WAIT = Duration.ofSeconds(30);

    @Test
    void syncReplicaServesPrimaryRowsReadOnlyAndBothKeepDataAcrossRestart(@TempDir Path dir) throws Exception {
        Set<Thread> threadsBefore = ThreadLeaks.liveNonDaemonThreads();
        Path primaryDir = dir.resolve("primary");
        Path replicaDir = dir.resolve("replica");

        try (PostgresNode primary = PostgresNode.startPrimary(primaryDir);
             PostgresNode replica = primary.startReplica(replicaDir, "replica_a", true)) {
            assertThat(primary.isReplica()).isFalse();
            assertThat(replica.isReplica()).isTrue();
            assertThat(settingOf(primary, "wal_level")).isEqualTo("logical");
            assertThat(settingOf(primary, "listen_addresses")).isEqualTo("127.0.0.1");
            assertThat(query(primary, "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'replica_a'"))
                    .containsExactly("sync");

            execute(primary, "CREATE TABLE vehicle (id int PRIMARY KEY, plate text NOT NULL)");
            execute(primary, "INSERT INTO vehicle VALUES (1, 'FS-001')");
            replica.waitForReplayOf(primary, REPLAY_WAIT);

            assertThat(query(replica, "SELECT plate FROM vehicle WHERE id = 1")).containsExactly("FS-001");
            assertThatThrownBy(() -> execute(replica, "INSERT INTO vehicle VALUES (2, 'FS-002')"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState())
                            .as("read_only_sql_transaction").isEqualTo("25006"));
        } // closes the replica first, then the primary

        try (PostgresNode primary = PostgresNode.startPrimary(primaryDir);
             PostgresNode replica = primary.startReplica(replicaDir, "replica_a", true)) {
            assertThat(query(primary, "SELECT plate FROM vehicle")).containsExactly("FS-001");
            assertThat(query(replica, "SELECT plate FROM vehicle")).containsExactly("FS-001");

            execute(primary, "INSERT INTO vehicle VALUES (2, 'FS-002')");
            replica.waitForReplayOf(primary, REPLAY_WAIT);
            assertThat(query(replica, "SELECT plate FROM vehicle ORDER BY id")).containsExactly("FS-001", "FS-002");
        }
        ThreadLeaks.assertNoneStartedSince(threadsBefore);
    }

    /**
     * What a failover relies on: the sync replica keeps a copy of the primary's failover logical slot (change
     * capture's), and after the primary is killed and the replica promoted, the slot there streams what the primary
     * committed, from where its consumer had confirmed.
     */
    @Test
    void promotedReplicaKeepsTheLogicalFailoverSlotAndEveryCommittedRow(@TempDir Path dir) throws Exception {
        try (PostgresNode primary = PostgresNode.startPrimary(dir.resolve("primary"));
             PostgresNode replica = primary.startReplica(dir.resolve("replica"), "replica_a", true)) {
            execute(primary, "CREATE TABLE vehicle (id int PRIMARY KEY, plate text NOT NULL)");
            execute(primary, "CREATE PUBLICATION cap FOR TABLE vehicle");
            // temporary false, two-phase false, failover true
            execute(primary, "SELECT pg_create_logical_replication_slot('cap', 'pgoutput', false, false, true)");
            execute(primary, "INSERT INTO vehicle VALUES (1, 'FS-001')");
            // its consumer confirms the first insert; the replica's slot sync worker (sync_replication_slots = on)
            // copies the slot, and keeps the copy (not temporary) once the copy's position is one the replica has
            // (the slot's restart point moves with a running-transactions record, which an idle primary writes
            // only every 15 s: written here at once, as a busy primary would)
            Await.until("the replica's lasting copy of slot cap", REPLAY_WAIT, () -> {
                execute(primary, "SELECT pg_log_standby_snapshot()");
                execute(primary, "SELECT pg_replication_slot_advance('cap', pg_current_wal_lsn())");
                return query(replica, "SELECT (synced AND NOT temporary)::text FROM pg_replication_slots"
                        + " WHERE slot_name = 'cap'").equals(List.of("true"));
            });
            // the sync worker copies the slot's position every few hundred ms: wait until the copy has the primary's
            // confirmed position too, else the promoted replica streams the first insert again (capture would skip
            // it as a duplicate, but this test counts messages)
            String confirmed = query(primary, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                    + " WHERE slot_name = 'cap'").get(0);
            Await.until("the replica's copy of slot cap confirmed up to " + confirmed, REPLAY_WAIT, () -> query(replica,
                    "SELECT (confirmed_flush_lsn >= '" + confirmed + "'::pg_lsn)::text FROM pg_replication_slots"
                    + " WHERE slot_name = 'cap'").equals(List.of("true")));
            execute(primary, "INSERT INTO vehicle VALUES (2, 'FS-002')"); // committed: on the sync replica too

            primary.kill();
            execute(replica, "SELECT pg_promote(true, 60)");
            assertThat(query(replica, "SELECT pg_is_in_recovery()::text")).containsExactly("false");
            execute(replica, "INSERT INTO vehicle VALUES (3, 'FS-003')");
            assertThat(query(replica, "SELECT plate FROM vehicle ORDER BY id"))
                    .containsExactly("FS-001", "FS-002", "FS-003");
            // on the promoted replica the slot goes on after the confirmed insert: the second and the third
            assertThat(query(replica, "SELECT count(*)::text FROM pg_logical_slot_peek_binary_changes('cap', NULL,"
                    + " NULL, 'proto_version', '1', 'publication_names', 'cap') WHERE get_byte(data, 0) = 73"))
                    .as("pgoutput insert messages ('I')").containsExactly("2");
        }
    }

    /**
     * A primary killed from outside (an operator's {@code kill -9}, as the dev platform's failover demo does) leaves a
     * stale {@code postmaster.pid}: stopping the node must not wait for it (a failback's rebuild stops the old node
     * first, and used to time out after 60 s), and the node starts again on its data.
     */
    @Test
    void aPrimaryKilledFromOutsideStopsAtOnceAndStartsAgainOnItsData(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("primary");
        PostgresNode primary = PostgresNode.startPrimary(data);
        int port = primary.port();
        try {
            execute(primary, "CREATE TABLE vehicle (id int PRIMARY KEY)");
            execute(primary, "INSERT INTO vehicle VALUES (1)");
            long pid = Long.parseLong(java.nio.file.Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
            postmaster.destroyForcibly();
            Await.until("the killed postmaster to exit", REPLAY_WAIT, () -> !postmaster.isAlive());

            long started = System.nanoTime();
            primary.stop();
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).as("stop of a dead server")
                    .isLessThan(java.time.Duration.ofSeconds(10));
        } finally {
            primary.stop();
        }
        try (PostgresNode again = PostgresNode.startPrimary(data, port)) {
            assertThat(query(again, "SELECT id::text FROM vehicle")).containsExactly("1");
        }
    }

    @Test
    void primaryRunsInitdbOnlyOnceAndServesOtherUsersAndDatabases(@TempDir Path dir) throws Exception {
        try (PostgresNode primary = PostgresNode.startPrimary(dir)) {
            primary.createDatabase("tenant_a");
            execute(primary, "CREATE ROLE app LOGIN");
            try (Connection connection = DriverManager.getConnection(primary.jdbcUrl("tenant_a", "app"));
                 Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT current_user, current_database()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("app");
                assertThat(rs.getString(2)).isEqualTo("tenant_a");
            }
        }
        try (PostgresNode reopened = PostgresNode.startPrimary(dir)) {
            assertThat(query(reopened, "SELECT datname FROM pg_database WHERE datname = 'tenant_a'"))
                    .containsExactly("tenant_a");
        }
    }

    private static String settingOf(PostgresNode node, String name) throws SQLException {
        return query(node, "SELECT current_setting('" + name + "')").get(0);
    }

    private static void execute(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(node.jdbcUrl("postgres"));
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<String> query(PostgresNode node, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(node.jdbcUrl("postgres"));
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        }
    }
}
