package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MariaDbNodeIT {

    @Test
    void writesRowBinlogWithAdvancingGtidsAndKeepsDataAcrossRestart(@TempDir Path dir) throws Exception {
        Set<Thread> threadsBefore = ThreadLeaks.liveNonDaemonThreads();
        Path dataDir = dir.resolve("mariadb");
        try (MariaDbNode node = MariaDbNode.start(dataDir)) {
            node.createDatabase("fleet");
            String url = node.jdbcUrl("fleet");
            assertThat(query(url, "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id, @@bind_address"))
                    .containsExactly("1", "ROW", "FULL", "1", "127.0.0.1");

            execute(url, "CREATE TABLE vehicle (id INT PRIMARY KEY, plate VARCHAR(16) NOT NULL)");
            String gtidBefore = query(url, "SELECT @@gtid_binlog_pos").get(0);
            execute(url, "INSERT INTO vehicle VALUES (1, 'FS-001')");
            String gtidAfter = query(url, "SELECT @@gtid_binlog_pos").get(0);

            assertThat(gtidAfter).isNotBlank().isNotEqualTo(gtidBefore);
        }

        try (MariaDbNode reopened = MariaDbNode.start(dataDir)) {
            String url = reopened.jdbcUrl("fleet");
            assertThat(query(url, "SELECT plate FROM vehicle")).containsExactly("FS-001");
            assertThat(query(url, "SELECT @@binlog_format")).containsExactly("ROW");
        }
        ThreadLeaks.assertNoneStartedSince(threadsBefore);
    }

    @Test
    void userCreatedForOneDatabaseCannotReachAnother(@TempDir Path dir) throws Exception {
        try (MariaDbNode node = MariaDbNode.start(dir)) {
            node.createDatabase("tenant_a");
            node.createDatabase("tenant_b");
            execute(node.jdbcUrl("tenant_b"), "CREATE TABLE secret (id INT)");
            node.createUser("app_a", "s3cret'pw", "tenant_a");

            String ownUrl = node.jdbcUrl("tenant_a", "app_a");
            Properties password = new Properties();
            password.setProperty("password", "s3cret'pw");
            try (Connection connection = DriverManager.getConnection(ownUrl, password);
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE trip (id INT)");
                statement.execute("INSERT INTO trip VALUES (1)");
                assertThat(rows(statement.executeQuery("SHOW DATABASES")))
                        .containsExactlyInAnyOrder("information_schema", "tenant_a");
                assertThatThrownBy(() -> statement.executeQuery("SELECT * FROM tenant_b.secret"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("denied");
            }
            Properties wrong = new Properties();
            wrong.setProperty("password", "wrong");
            assertThatThrownBy(() -> DriverManager.getConnection(ownUrl, wrong).close())
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("Access denied");
        }
    }

    @Test
    void aSemiSyncGtidReplicaHoldsEveryAcknowledgedCommitWhenThePrimaryIsKilled(@TempDir Path dir) throws Exception {
        MariaDbNode primary = MariaDbNode.start(dir.resolve("primary"));
        try (MariaDbNode replica = primary.startReplica(dir.resolve("replica"), FreePorts.next(), 2, true)) {
            primary.createDatabase("fleet");
            String url = primary.jdbcUrl("fleet");
            execute(url, "CREATE TABLE vehicle (id INT PRIMARY KEY, plate VARCHAR(16) NOT NULL)");
            for (int i = 0; i < 20; i++) {
                execute(url, "INSERT INTO vehicle VALUES (" + i + ", 'FS-" + i + "')");
            }
            assertThat(query(url, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_yes_tx'").get(1))
                    .as("commits the replica acknowledged").isEqualTo("22");
            String acknowledged = query(url, "SELECT @@gtid_binlog_pos").get(0);
            primary.kill();

            String replicaUrl = replica.jdbcUrl("fleet");
            assertThat(query(replicaUrl, "SELECT @@read_only, @@gtid_strict_mode, @@log_slave_updates"))
                    .containsExactly("1", "1", "1");
            assertThat(query(replicaUrl, "SELECT MASTER_GTID_WAIT('" + acknowledged + "', 10)"))
                    .containsExactly("0");
            assertThat(query(replicaUrl, "SELECT count(*) FROM vehicle")).containsExactly("20");
            assertThat(query(replicaUrl, "SELECT @@gtid_binlog_pos")).as("logged with the primary's GTIDs")
                    .containsExactly(acknowledged);
        } finally {
            primary.stop();
        }
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<String> query(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url);
             Statement statement = connection.createStatement()) {
            return rows(statement.executeQuery(sql));
        }
    }

    private static List<String> rows(ResultSet resultSet) throws SQLException {
        try (ResultSet rs = resultSet) {
            List<String> values = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    values.add(rs.getString(i));
                }
            }
            return values;
        }
    }
}
