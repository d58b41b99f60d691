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
     * transaction received ({@code @@gtid_current_pos} covers {@code Gtid_IO_Pos}: {@link #applied}), forgets the primary
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
                long deadline = System.nanoTime() + timeout.toNanos();
                while (!applied(c, io)) {
                    if (System.nanoTime() > deadline) {
                        throw new ControlApiException(candidate.nodeId() + " did not apply its relay log up to the"
                                + " received GTID " + io + " within " + timeout.toMillis() + " ms (applied: "
                                + text(st, "SELECT @@gtid_current_pos") + "); not promoted, try again");
                    }
                    st.execute("DO SLEEP(0.005)");
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

    /**
     * Points {@code replica} (a frozen former primary) at the primary by GTID, semi-synchronously: the replica asks for
     * semi-sync and stops acting as a semi-sync primary, the primary waits for an acknowledgement on commit
     * ({@code AFTER_SYNC}), then the replica starts and this waits until the primary counts it as a semi-sync client.
     * {@code current_pos}: the former primary's own binlog is its position (every transaction of it is on the new
     * primary, which replicated it up to the freeze).
     */
    static String follow(Connection replica, Connection primary, String host, int port, String user, String password,
            Duration timeout) throws SQLException {
        try (Statement r = replica.createStatement(); Statement p = primary.createStatement()) {
            r.execute("STOP SLAVE");
            r.execute("SET GLOBAL read_only = ON");
            r.execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF");
            r.execute("SET GLOBAL rpl_semi_sync_slave_enabled = ON");
            try (PreparedStatement ps = replica.prepareStatement("CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = "
                    + port + ", MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_SSL = 0, MASTER_CONNECT_RETRY = 1,"
                    + " MASTER_USE_GTID = current_pos")) {
                ps.setString(1, host);
                ps.setString(2, user);
                ps.setString(3, password);
                ps.execute();
            }
            p.execute("SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'");
            p.execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            r.execute("START SLAVE");
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String io = slaveStatus(replica, "Slave_IO_Running");
                long clients;
                try (ResultSet rs = p.executeQuery("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")) {
                    clients = rs.next() ? rs.getLong(2) : 0;
                }
                if ("Yes".equals(io) && clients > 0) {
                    return "replicates from " + host + ":" + port + " by GTID (current_pos " + text(r,
                            "SELECT @@gtid_current_pos") + "), semi-synchronously";
                }
                if (System.nanoTime() > deadline) {
                    throw new ControlApiException("not connected as a semi-synchronous replica within "
                            + timeout.toMillis() + " ms (Slave_IO_Running " + io + ", Last_IO_Error "
                            + slaveStatus(replica, "Last_IO_Error") + ", semi-sync clients of the primary " + clients
                            + ")");
                }
                r.execute("DO SLEEP(0.02)");
            }
        }
    }

    /**
     * Failback and rejoin: whether {@code replica} replicates from the primary at {@code host}:{@code port}, both
     * replication threads running. Null when it is not such a replica; else what it saw.
     */
    static String replicaOf(Connection replica, String host, int port) throws SQLException {
        String masterHost;
        int masterPort;
        String io;
        String sql;
        String received;
        try (Statement st = replica.createStatement(); ResultSet rs = st.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return null;
            }
            masterHost = rs.getString("Master_Host");
            masterPort = rs.getInt("Master_Port");
            io = rs.getString("Slave_IO_Running");
            sql = rs.getString("Slave_SQL_Running");
            received = rs.getString("Gtid_IO_Pos");
        }
        if (masterPort != port || !"Yes".equals(io) || !"Yes".equals(sql)) {
            return null;
        }
        if (!masterHost.equalsIgnoreCase(host) && !sameAddress(masterHost, host)) {
            return null;
        }
        return "replicates from " + host + ":" + port + " by GTID, received up to " + (received.isEmpty() ? "(none)"
                : received);
    }

    /** Whether the primary waits for {@code replica}'s acknowledgement on commit (see {@link #replicaOf}). */
    static boolean semiSynchronous(Connection replica, Connection primary) throws SQLException {
        try (Statement r = replica.createStatement(); Statement p = primary.createStatement()) {
            if (!"1".equals(text(r, "SELECT @@rpl_semi_sync_slave_enabled"))
                    || !"1".equals(text(p, "SELECT @@rpl_semi_sync_master_enabled"))) {
                return false;
            }
            try (ResultSet rs = p.executeQuery("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")) {
                return rs.next() && rs.getLong(2) > 0;
            }
        }
    }

    /** The node's {@code @@gtid_binlog_state}: the last GTID of each (domain, server id) in its binary log. */
    static String binlogState(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            return text(st, "SELECT @@gtid_binlog_state");
        }
    }

    private static boolean sameAddress(String a, String b) {
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return false;
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

    /**
     * Whether the node holds every transaction of {@code position} (a GTID position), now: its
     * {@code @@gtid_current_pos} covers it in every domain. Not {@code MASTER_GTID_WAIT}, which looks at
     * {@code gtid_slave_pos} only: a former primary that follows its successor ({@code current_pos}) holds its own
     * domain's transactions in its binlog, never in {@code gtid_slave_pos}, and would wait forever.
     */
    static boolean applied(Connection c, String position) throws SQLException {
        try (Statement st = c.createStatement()) {
            return GtidPositions.parse(text(st, "SELECT @@gtid_current_pos")).covers(GtidPositions.parse(position));
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
