package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Node;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * What {@link JdbcFailoverActions} runs on a MariaDB node of a GTID replication group (ADR 0024): replicas replicate
 * with {@code MASTER_USE_GTID=slave_pos}, {@code log_slave_updates} and {@code gtid_strict_mode}, and are
 * {@code read_only}. Each method takes an open administrative connection (a user with SUPER or the MariaDB 10.5+
 * privileges REPLICATION SLAVE ADMIN, READ_ONLY ADMIN, BINLOG MONITOR) and is idempotent.
 */
final class MariaDbFailoverSql {
    private MariaDbFailoverSql() {
    }

    /** The GTID position the replica has received from its primary ({@code Gtid_IO_Pos}); null when not a replica. */
    static String received(Connection c) throws SQLException {
        return slaveStatus(c, "Gtid_IO_Pos");
    }

    /**
     * Promotes a replica: stops receiving (its primary is dead or frozen), waits until the SQL thread applied every
     * transaction received ({@code MASTER_GTID_WAIT} on {@code Gtid_IO_Pos}), forgets the primary
     * ({@code STOP SLAVE; RESET SLAVE ALL}), stops acknowledging semi-synchronously and takes writes
     * ({@code read_only=OFF}). A node that replicates from nothing is only made writable.
     */
    static String promote(Connection c, Node candidate, Duration timeout) throws SQLException {
        try (Statement st = c.createStatement()) {
            String io = received(c);
            String applied;
            if (io == null) {
                applied = "no primary configured (promoted before)";
            } else {
                st.execute("STOP SLAVE IO_THREAD");
                long seconds = Math.max(1, timeout.toSeconds());
                int waited;
                try (PreparedStatement ps = c.prepareStatement("SELECT MASTER_GTID_WAIT(?, ?)")) {
                    ps.setString(1, io);
                    ps.setLong(2, seconds);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        waited = rs.getInt(1);
                    }
                }
                if (waited != 0) {
                    throw new ControlApiException(candidate.nodeId() + " did not apply its relay log up to the"
                            + " received GTID " + io + " within " + seconds + " s (applied: "
                            + text(st, "SELECT @@gtid_slave_pos") + "); not promoted, try again");
                }
                st.execute("STOP SLAVE");
                st.execute("RESET SLAVE ALL");
                applied = "applied every received transaction (GTID " + io + ")";
            }
            st.execute("SET GLOBAL rpl_semi_sync_slave_enabled = OFF");
            st.execute("SET GLOBAL read_only = OFF");
            return candidate.nodeId() + " promoted: " + applied + "; binlog GTID position "
                    + text(st, "SELECT @@gtid_binlog_pos") + " (change capture goes on from its GTID: replicas log"
                    + " what they apply, log_slave_updates)";
        }
    }

    /** Makes the node refuse writes of users without READ_ONLY ADMIN: the router's and applications' accounts. */
    static void readOnly(Connection c, boolean on) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET GLOBAL read_only = " + (on ? "ON" : "OFF"));
        }
    }

    /**
     * Switchover freeze: {@code read_only=ON} (MariaDB waits for running commits and refuses new writes with error
     * 1290, which the router retries by the newest map), then the binlog position: every committed write is in it.
     */
    static String freeze(Connection c) throws SQLException {
        readOnly(c, true);
        try (Statement st = c.createStatement()) {
            return text(st, "SELECT @@gtid_binlog_pos");
        }
    }

    /** Whether the replica applied every transaction of {@code position} (a GTID position), now. */
    static boolean applied(Connection c, String position) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT MASTER_GTID_WAIT(?, 0)")) {
            ps.setString(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) == 0;
            }
        }
    }

    /** The node takes writes: not read-only and replicating from nothing. */
    static String verifyWritable(Connection c, Node primary) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (received(c) != null) {
                throw new ControlApiException(primary.nodeId() + " still replicates from a primary");
            }
            if (!"0".equals(text(st, "SELECT @@read_only"))) {
                throw new ControlApiException(primary.nodeId() + " is read-only");
            }
            return primary.nodeId() + " takes writes (read_only off, no primary; binlog GTID position "
                    + text(st, "SELECT @@gtid_binlog_pos") + ")";
        }
    }

    private static String slaveStatus(Connection c, String column) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW SLAVE STATUS")) {
            return rs.next() ? rs.getString(column) : null;
        }
    }

    private static String text(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
