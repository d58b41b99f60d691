package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JdbcFailoverActions} on a real MariaDB primary and its semi-synchronous GTID replica (ADR 0024): the
 * switchover's freeze, catch-up, promotion, verification and fencing, and what an application's account sees.
 */
class MariaDbFailoverActionsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void aSwitchoverFreezesThePrimaryPromotesTheCaughtUpReplicaAndFencesTheOldOne() throws Exception {
        try (MariaDbNode primary = MariaDbNode.start(dir.resolve("a"));
                MariaDbNode replica = primary.startReplica(dir.resolve("b"), FreePorts.next(), 2, true)) {
            primary.createDatabase("fleet");
            primary.createUser("app", "app-pw", "fleet");
            execute(primary.jdbcUrl("fleet"), "CREATE TABLE vehicles (id INT PRIMARY KEY, status VARCHAR(8))");
            Node a = node("m-a", NodeRole.PRIMARY, primary.jdbcUrl("fleet"));
            Node b = node("m-b", NodeRole.SYNC_REPLICA, replica.jdbcUrl("fleet"));
            JdbcFailoverActions actions = new JdbcFailoverActions(ControlApiConfig.from(Map.of(
                    ControlApiConfig.AUTH_JWT_SECRET, "x".repeat(32),
                    ControlApiConfig.RESHARD_MYSQL_USER, MariaDbNode.ROOT_USER)));
            appWrite(primary, 1);

            String frozenAt = actions.freeze(a, Engine.MARIADB, TIMEOUT);
            assertThat(frozenAt).as("the primary's binlog position").matches("0-1-\\d+");
            assertThatThrownBy(() -> appWrite(primary, 2)).as("a frozen primary refuses the application")
                    .isInstanceOf(SQLException.class).hasMessageContaining("--read-only")
                    .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1290));
            Await.condition("the replica applied the frozen primary's last write", TIMEOUT,
                    () -> actions.caughtUp(b, Engine.MARIADB, frozenAt, TIMEOUT));
            assertThat(actions.receivedPosition(b, Engine.MARIADB, TIMEOUT)).isEqualTo(frozenAt);

            assertThat(actions.promote(b, Engine.MARIADB, TIMEOUT)).contains("applied every received transaction");
            assertThat(actions.promote(b, Engine.MARIADB, TIMEOUT)).as("a repeat only checks")
                    .contains("promoted before");
            assertThat(actions.receivedPosition(b, Engine.MARIADB, TIMEOUT)).as("replicates from nothing").isNull();
            assertThat(actions.verifyWritable(b, Engine.MARIADB, TIMEOUT)).contains("takes writes");
            appWrite(replica, 3);
            assertThat(query(replica.jdbcUrl("fleet"), "SELECT count(*) FROM vehicles")).isEqualTo("2");
            assertThat(query(replica.jdbcUrl("fleet"), "SELECT @@gtid_binlog_pos"))
                    .as("the old primary's last GTID beside the new primary's own domain").startsWith(frozenAt + ",2-2-");

            assertThat(actions.fence(a, Engine.MARIADB, TIMEOUT)).contains("read_only=ON");
            assertThatThrownBy(() -> actions.verifyWritable(a, Engine.MARIADB, TIMEOUT))
                    .isInstanceOf(ControlApiException.class).hasMessageContaining("read-only");

            // the old primary follows the new one, semi-synchronously
            assertThat(actions.follow(a, b, Engine.MARIADB, TIMEOUT)).contains("semi-synchronously");
            appWrite(replica, 4);
            assertThat(query(replica.jdbcUrl("fleet"), "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_yes_tx'",
                    2)).as("acknowledged by the old primary").isNotEqualTo("0");
            Await.condition("the old primary has the new primary's write", TIMEOUT,
                    () -> {
                        try {
                            return "3".equals(query(primary.jdbcUrl("fleet"), "SELECT count(*) FROM vehicles"));
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
            assertThat(actions.receivedPosition(a, Engine.MARIADB, TIMEOUT)).contains("2-2-");

            // failback and rejoin (ADR 0032): a is b's semi-synchronous replica and holds nothing b lacks
            FailoverActions.ReplicaCheck check = actions.replicaOf(a, b, Engine.MARIADB, TIMEOUT);
            assertThat(check.synchronous()).as(check.detail()).isTrue();
            assertThat(check.detail()).contains("m-a replicates from 127.0.0.1:" + replica.port() + " by GTID");
            assertThat(actions.errantTransactions(a, b, Engine.MARIADB, TIMEOUT)).isEmpty();
            assertThat(actions.slotCopiesMissing(a, b, Engine.MARIADB, TIMEOUT)).isNull();
            // a stops following and writes what b never receives (an admin bypasses read_only): errant, named
            execute(primary.jdbcUrl("fleet"), "STOP SLAVE");
            assertThatThrownBy(() -> actions.replicaOf(a, b, Engine.MARIADB, TIMEOUT))
                    .isInstanceOf(ControlApiException.class).hasMessageContaining("does not replicate from m-b");
            execute(primary.jdbcUrl("fleet"), "INSERT INTO vehicles VALUES (5, 'errant')");
            long frozenSeq = Long.parseLong(frozenAt.substring(frozenAt.lastIndexOf('-') + 1));
            assertThat(actions.errantTransactions(a, b, Engine.MARIADB, TIMEOUT)).containsExactly("0-1-"
                    + (frozenSeq + 1));
            assertThat(actions.errantTransactions(b, a, Engine.MARIADB, TIMEOUT)).as("a holds all b wrote").isEmpty();
        }
    }

    private static Node node(String id, NodeRole role, String url) {
        return new Node(id, "m", role, "us-east-1", "us-east-1a", url);
    }

    private static void appWrite(MariaDbNode node, int id) throws SQLException {
        Properties p = new Properties();
        p.setProperty("password", "app-pw");
        try (Connection c = DriverManager.getConnection(node.jdbcUrl("fleet", "app"), p);
                Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO vehicles VALUES (" + id + ", 'v1')");
        }
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String query(String url, String sql) throws SQLException {
        return query(url, sql, 1);
    }

    private static String query(String url, String sql, int column) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(column);
        }
    }
}
