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
