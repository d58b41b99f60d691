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

class MySqlNodeIT {

    @Test
    void writesRowBinlogWithGtidsAndKeepsDataAcrossRestart(@TempDir Path dir) throws Exception {
        Set<Thread> threadsBefore = ThreadLeaks.liveNonDaemonThreads();
        Path dataDir = dir.resolve("mysql");
        int port;
        try (MySqlNode node = MySqlNode.start(dataDir)) {
            port = node.port();
            node.createDatabase("fleet");
            String url = node.jdbcUrl("fleet");
            assertThat(query(url, "SELECT @@version, @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id, "
                    + "@@bind_address, @@gtid_mode, @@enforce_gtid_consistency"))
                    .containsExactly("8.0.15", "1", "ROW", "FULL", "1", "127.0.0.1", "ON", "ON");

            execute(url, "CREATE TABLE vehicle (id INT PRIMARY KEY, plate VARCHAR(16) NOT NULL)");
            String gtidsBefore = query(url, "SELECT @@gtid_executed").get(0);
            execute(url, "INSERT INTO vehicle VALUES (1, 'FS-001')");
            String gtidsAfter = query(url, "SELECT @@gtid_executed").get(0);

            assertThat(gtidsAfter).isNotBlank().isNotEqualTo(gtidsBefore).matches("[0-9a-f-]{36}:1-\\d+");
        }

        try (MySqlNode reopened = MySqlNode.start(dataDir, FreePorts.next(), 7)) {
            assertThat(reopened.port()).isNotEqualTo(port);
            String url = reopened.jdbcUrl("fleet");
            assertThat(query(url, "SELECT plate FROM vehicle")).containsExactly("FS-001");
            assertThat(query(url, "SELECT @@server_id, @@gtid_mode")).containsExactly("7", "ON");
        }
        ThreadLeaks.assertNoneStartedSince(threadsBefore);
    }

    @Test
    void userCreatedForOneDatabaseCannotReachAnother(@TempDir Path dir) throws Exception {
        try (MySqlNode node = MySqlNode.start(dir)) {
            node.createDatabase("tenant_a");
            node.createDatabase("tenant_b");
            execute(node.jdbcUrl("tenant_b"), "CREATE TABLE secret (id INT PRIMARY KEY)");
            node.createUser("app_a", "s3cret'pw", "tenant_a");

            String ownUrl = node.jdbcUrl("tenant_a", "app_a");
            Properties password = new Properties();
            password.setProperty("password", "s3cret'pw");
            try (Connection connection = DriverManager.getConnection(ownUrl, password);
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE trip (id INT PRIMARY KEY)");
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
