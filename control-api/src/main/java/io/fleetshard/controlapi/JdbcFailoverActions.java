package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FailoverActions} for PostgreSQL streaming replicas and MariaDB GTID replicas ({@link MariaDbFailoverSql}),
 * as the control API's admin user (the resharder's, {@code control.reshard.<engine>.user}: promotion needs a
 * superuser or a grant on {@code pg_promote}; on MariaDB SUPER or the replication and read-only admin privileges).
 * MySQL shards are refused.
 */
final class JdbcFailoverActions implements FailoverActions {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcFailoverActions.class);
    private final ControlApiConfig config;

    JdbcFailoverActions(ControlApiConfig config) {
        this.config = config;
    }

    @Override
    public String unreachable(Node node, Engine engine, Duration timeout) {
        try (Connection c = connect(node, engine, timeout); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT 1")) {
            return rs.next() ? null : "SELECT 1 returned nothing";
        } catch (SQLException e) {
            return e.getMessage() + (e.getSQLState() != null ? " (SQLSTATE " + e.getSQLState() + ")" : "");
        }
    }

    @Override
    public String follow(Node oldPrimary, Node newPrimary, Engine engine, Duration timeout) {
        if (engine != Engine.MARIADB) {
            throw new ControlApiException("only MariaDB nodes are repointed at a new primary, not "
                    + engine.wireName() + " node " + oldPrimary.nodeId());
        }
        HostPort at = mariaDbAddress(newPrimary);
        int port = at.port();
        String user = config.reshardUser(engine).isEmpty() ? "root" : config.reshardUser(engine);
        try (Connection replica = connect(oldPrimary, engine, timeout);
                Connection primary = connect(newPrimary, engine, timeout)) {
            return oldPrimary.nodeId() + " " + MariaDbFailoverSql.follow(replica, primary, at.host(), port, user,
                    config.reshardPassword(engine), timeout);
        } catch (SQLException e) {
            throw new ControlApiException("cannot make " + oldPrimary.nodeId() + " a replica of "
                    + newPrimary.nodeId() + ": " + e.getMessage(), e);
        } catch (ControlApiException e) {
            throw new ControlApiException(oldPrimary.nodeId() + " as a replica of " + newPrimary.nodeId() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String receivedPosition(Node replica, Engine engine, Duration timeout) {
        if (engine != Engine.MARIADB) {
            return null;
        }
        try (Connection c = connect(replica, engine, timeout)) {
            return MariaDbFailoverSql.received(c);
        } catch (SQLException e) {
            return null;
        }
    }

    /** The standby applier's table of promotions (standby-applier's PositionTable.PROMOTED_TABLE). */
    static final String STANDBY_PROMOTED = "fleetshard_standby_promoted";

    @Override
    public String promote(Node candidate, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(candidate, engine, timeout.plus(timeout))) {
                return MariaDbFailoverSql.promote(c, candidate, timeout);
            } catch (SQLException e) {
                throw new ControlApiException("cannot promote " + candidate.nodeId() + ": " + e.getMessage(), e);
            }
        }
        requirePostgres(candidate, engine);
        try (Connection c = connect(candidate, engine, timeout); Statement st = c.createStatement()) {
            String slots = captureSlots(st);
            String replayed = text(st, "SELECT coalesce(pg_last_wal_replay_lsn()::text, '')");
            if (!bool(st, "SELECT pg_is_in_recovery()")) {
                return candidate.nodeId() + " already takes writes (promoted before); capture slots: " + slots;
            }
            int seconds = (int) Math.max(1, timeout.toSeconds());
            if (!bool(st, "SELECT pg_promote(true, " + seconds + ")")) {
                throw new ControlApiException("pg_promote on " + candidate.nodeId() + " did not finish within "
                        + seconds + " s");
            }
            return candidate.nodeId() + " promoted after replaying WAL up to " + replayed + "; capture slots: "
                    + slots;
        } catch (SQLException e) {
            throw new ControlApiException("cannot promote " + candidate.nodeId() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String promoteStandby(Node standby, Engine engine, String shardId, String by, Duration timeout) {
        boolean maria = engine == Engine.MARIADB;
        if (!maria) {
            requirePostgres(standby, engine);
        }
        try (Connection c = connect(standby, engine, timeout)) {
            try (Statement st = c.createStatement()) { // DDL: MariaDB commits it at once, so before the transaction
                // the standby applier's table of promotions (standby-applier PositionTable); the applier checks it
                // under its position row's lock, which the transaction below takes first
                st.execute("CREATE TABLE IF NOT EXISTS " + STANDBY_PROMOTED + " (shard_id VARCHAR(128) PRIMARY KEY,"
                        + " promoted_by VARCHAR(200) NOT NULL, promoted_at_ms BIGINT NOT NULL)");
            }
            c.setAutoCommit(false);
            String applied = "nothing applied from the archive";
            try (Statement st = c.createStatement()) {
                if (bool(st, maria ? "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema ="
                        + " DATABASE() AND table_name = 'fleetshard_standby_position'"
                        : "SELECT to_regclass('fleetshard_standby_position') IS NOT NULL")) {
                    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT manifest_seq, last_commit_ts_ms"
                            + " FROM fleetshard_standby_position WHERE shard_id = ? FOR UPDATE")) {
                        ps.setString(1, shardId);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (rs.next()) {
                                applied = "applied up to archive manifest " + rs.getLong(1) + " (last commit "
                                        + java.time.Instant.ofEpochMilli(rs.getLong(2)) + ")";
                            }
                        }
                    }
                }
            }
            try (java.sql.PreparedStatement ps = c.prepareStatement((maria ? "INSERT IGNORE INTO " : "INSERT INTO ")
                    + STANDBY_PROMOTED + " (shard_id, promoted_by, promoted_at_ms) VALUES (?, ?, ?)"
                    + (maria ? "" : " ON CONFLICT (shard_id) DO NOTHING"))) {
                ps.setString(1, shardId);
                ps.setString(2, by.length() > 200 ? by.substring(0, 200) : by);
                ps.setLong(3, System.currentTimeMillis());
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(true);
            String gtids = "";
            try (Statement st = c.createStatement()) {
                if (maria ? MariaDbFailoverSql.received(c) != null : bool(st, "SELECT pg_is_in_recovery()")) {
                    throw new ControlApiException("standby " + standby.nodeId() + " is a" + (maria
                            ? " GTID replica" : " recovering replica") + ", not a server of its own: it cannot take"
                            + " writes");
                }
                if (maria) { // ADR 0035: the applier wrote in the standby's own GTID domain; capture starts over there
                    MariaDbFailoverSql.readOnly(c, false);
                    gtids = "; its binlog is at GTID position " + text(st, "SELECT @@gtid_binlog_pos")
                            + " (GTID domain " + text(st, "SELECT @@gtid_domain_id") + ")";
                }
            }
            return standby.nodeId() + " no longer fed from the archive; it " + applied + gtids;
        } catch (SQLException e) {
            throw new ControlApiException("cannot promote standby " + standby.nodeId() + ": " + e.getMessage(), e);
        }
    }

    /** The node's logical slots that change capture can go on from after a promotion (PostgreSQL 17 slot sync). */
    private static String captureSlots(Statement st) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT slot_name, failover, synced, temporary, confirmed_flush_lsn::text"
                + " FROM pg_replication_slots WHERE slot_type = 'logical' ORDER BY slot_name")) {
            while (rs.next()) {
                boolean usable = rs.getBoolean(2) && !rs.getBoolean(4);
                out.add(rs.getString(1) + (usable ? " (kept, confirmed up to " + rs.getString(5) + ")"
                        : rs.getBoolean(4) ? " (temporary copy: dropped at promotion, capture will miss changes)"
                        : " (not a failover slot)"));
            }
        }
        return out.isEmpty() ? "none (capture will start a new slot: changes since its last position are missed)"
                : String.join(", ", out);
    }

    @Override
    public String fence(Node oldPrimary, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(oldPrimary, engine, timeout)) {
                MariaDbFailoverSql.readOnly(c, true);
                return oldPrimary.nodeId() + " reachable: set read-only (read_only=ON)";
            } catch (SQLException e) {
                return oldPrimary.nodeId() + " unreachable, not fenced on the server (" + e.getMessage() + ");"
                        + " routers no longer route to it";
            }
        }
        if (engine != Engine.POSTGRES) {
            return "not fenced (" + engine.wireName() + ")";
        }
        try (Connection c = connect(oldPrimary, engine, timeout); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET default_transaction_read_only = on");
            st.execute("SELECT pg_reload_conf()");
            return oldPrimary.nodeId() + " reachable: set read-only (default_transaction_read_only)";
        } catch (SQLException e) {
            return oldPrimary.nodeId() + " unreachable, not fenced on the server (" + e.getMessage() + "); routers"
                    + " no longer route to it";
        }
    }

    @Override
    public String freeze(Node primary, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(primary, engine, timeout)) {
                return MariaDbFailoverSql.freeze(c);
            } catch (SQLException e) {
                thaw(primary, engine, timeout);
                throw new ControlApiException("cannot freeze " + primary.nodeId() + ": " + e.getMessage(), e);
            }
        }
        requirePostgres(primary, engine);
        try (Connection c = connect(primary, engine, timeout); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET default_transaction_read_only = on");
            st.execute("SELECT pg_reload_conf()");
            long deadline = System.nanoTime() + timeout.toNanos();
            // write transactions begun before the reload may still commit: wait for them (they hold an xid)
            while (true) {
                long writing;
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT"
                        + " NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
                    rs.next();
                    writing = rs.getLong(1);
                }
                if (writing == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    thaw(primary, engine, timeout);
                    throw new ControlApiException(writing + " write transaction(s) still running on "
                            + primary.nodeId() + " after " + timeout.toMillis() + " ms; switchover abandoned, the"
                            + " node takes writes again");
                }
                st.execute("SELECT pg_sleep(0.005)");
            }
            return text(st, "SELECT pg_current_wal_lsn()::text");
        } catch (SQLException e) {
            thaw(primary, engine, timeout);
            throw new ControlApiException("cannot freeze " + primary.nodeId() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean caughtUp(Node replica, Engine engine, String position, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(replica, engine, timeout)) {
                return MariaDbFailoverSql.applied(c, position);
            } catch (SQLException e) {
                throw new ControlApiException("cannot read the GTID position of " + replica.nodeId() + ": "
                        + e.getMessage(), e);
            }
        }
        try (Connection c = connect(replica, engine, timeout);
                java.sql.PreparedStatement ps = c.prepareStatement(
                        "SELECT coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false)")) {
            ps.setString(1, position);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new ControlApiException("cannot read the replay position of " + replica.nodeId() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String thaw(Node node, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(node, engine, timeout)) {
                MariaDbFailoverSql.readOnly(c, false);
                return node.nodeId() + " takes writes again";
            } catch (SQLException e) {
                return node.nodeId() + " could not be thawed (" + e.getMessage() + ")";
            }
        }
        if (engine != Engine.POSTGRES) {
            return "nothing to thaw (" + engine.wireName() + ")";
        }
        try (Connection c = connect(node, engine, timeout); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM RESET default_transaction_read_only");
            st.execute("SELECT pg_reload_conf()");
            return node.nodeId() + " takes writes again";
        } catch (SQLException e) {
            return node.nodeId() + " could not be thawed (" + e.getMessage() + ")";
        }
    }

    @Override
    public String binlogPosition(Node node, Engine engine, Duration timeout) {
        if (engine != Engine.MARIADB) {
            return null;
        }
        try (Connection c = connect(node, engine, timeout); Statement st = c.createStatement()) {
            return text(st, "SELECT @@gtid_binlog_pos");
        } catch (SQLException e) {
            throw new ControlApiException("cannot read the GTID position of " + node.nodeId() + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public String verifyWritable(Node primary, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            try (Connection c = connect(primary, engine, timeout)) {
                return MariaDbFailoverSql.verifyWritable(c, primary);
            } catch (SQLException e) {
                throw new ControlApiException(primary.nodeId() + " does not take writes: " + e.getMessage(), e);
            }
        }
        requirePostgres(primary, engine);
        try (Connection c = connect(primary, engine, timeout); Statement st = c.createStatement()) {
            if (bool(st, "SELECT pg_is_in_recovery()")) {
                throw new ControlApiException(primary.nodeId() + " is still in recovery");
            }
            String xid = text(st, "SELECT pg_current_xact_id()::text");
            return primary.nodeId() + " takes writes (transaction " + xid + ")";
        } catch (SQLException e) {
            throw new ControlApiException(primary.nodeId() + " does not take writes: " + e.getMessage(), e);
        }
    }

    /** A MariaDB node's host and port from its JDBC URL (3306 when the URL names none). */
    private static HostPort mariaDbAddress(Node node) {
        HostPort at = HostPort.of(node.jdbcUrl());
        boolean portNamed = node.jdbcUrl().substring(node.jdbcUrl().indexOf("//") + 2).split("[/?,]")[0]
                .contains(":");
        return portNamed ? at : new HostPort(at.host(), 3306);
    }

    @Override
    public List<String> errantTransactions(Node node, Node primary, Engine engine, Duration timeout) {
        if (engine != Engine.MARIADB) {
            return List.of();
        }
        GtidBinlogState held;
        GtidBinlogState primaryHeld;
        try (Connection c = connect(node, engine, timeout)) {
            held = GtidBinlogState.parse(MariaDbFailoverSql.binlogState(c));
        } catch (SQLException e) {
            throw new ControlApiException("cannot read the binary log GTID state of " + node.nodeId() + ": "
                    + e.getMessage(), e);
        }
        try (Connection c = connect(primary, engine, timeout)) {
            primaryHeld = GtidBinlogState.parse(MariaDbFailoverSql.binlogState(c));
        } catch (SQLException e) {
            throw new ControlApiException("cannot read the binary log GTID state of primary " + primary.nodeId() + ": "
                    + e.getMessage(), e);
        }
        return held.errantAgainst(primaryHeld);
    }

    @Override
    public ReplicaCheck replicaOf(Node node, Node primary, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            return mariaDbReplicaOf(node, primary, timeout);
        }
        requirePostgres(node, engine);
        String rebuild = "rebuild it as a replica of " + primary.nodeId() + " first (docs/runbooks/failback.md)";
        String host;
        int port;
        String applicationName;
        String detail;
        try (Connection c = connect(node, engine, timeout); Statement st = c.createStatement()) {
            if (!bool(st, "SELECT pg_is_in_recovery()")) {
                throw new ControlApiException(node.nodeId() + " takes writes, so it is not a replica: " + rebuild);
            }
            String status;
            String conninfo;
            try (ResultSet rs = st.executeQuery("SELECT status, sender_host, sender_port, conninfo"
                    + " FROM pg_stat_wal_receiver")) {
                if (!rs.next()) {
                    throw new ControlApiException(node.nodeId() + " is in recovery but receives no WAL (no WAL"
                            + " receiver): " + rebuild);
                }
                status = rs.getString(1);
                host = rs.getString(2);
                port = rs.getInt(3);
                conninfo = rs.getString(4);
            }
            if (!"streaming".equals(status)) {
                throw new ControlApiException(node.nodeId() + "'s WAL receiver is " + status + ", not streaming");
            }
            HostPort primaryAddress = HostPort.of(primary.jdbcUrl());
            if (port != primaryAddress.port() || !sameHost(host, primaryAddress.host())) {
                throw new ControlApiException(node.nodeId() + " streams from " + host + ":" + port + ", not from the"
                        + " primary " + primary.nodeId() + " (" + primaryAddress.host() + ":" + primaryAddress.port()
                        + "): " + rebuild);
            }
            java.util.regex.Matcher m = APPLICATION_NAME.matcher(conninfo == null ? "" : conninfo);
            applicationName = m.find() ? m.group(1) : null;
            detail = node.nodeId() + " streams from " + primary.nodeId() + ", replayed up to "
                    + text(st, "SELECT coalesce(pg_last_wal_replay_lsn()::text, '')") + "; capture slots: "
                    + captureSlots(st);
        } catch (SQLException e) {
            throw new ControlApiException(node.nodeId() + " does not answer as a replica (" + e.getMessage() + "): "
                    + rebuild, e);
        }
        boolean sync = false;
        if (applicationName != null) {
            try (Connection c = connect(primary, engine, timeout); java.sql.PreparedStatement ps = c.prepareStatement(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = ?")) {
                ps.setString(1, applicationName);
                try (ResultSet rs = ps.executeQuery()) {
                    sync = rs.next() && "sync".equals(rs.getString(1));
                }
            } catch (SQLException e) {
                throw new ControlApiException("cannot ask primary " + primary.nodeId() + " whether " + node.nodeId()
                        + " is synchronous: " + e.getMessage(), e);
            }
        }
        return new ReplicaCheck(sync, detail + (sync ? "; synchronous (the primary waits for it on commit)"
                : "; asynchronous"));
    }

    /** MariaDB: the node replicates by GTID from the primary's address; synchronous when it acknowledges semi-sync. */
    private ReplicaCheck mariaDbReplicaOf(Node node, Node primary, Duration timeout) {
        String rebuild = "rebuild it as a replica of " + primary.nodeId() + " first (docs/runbooks/failback.md)";
        HostPort at = mariaDbAddress(primary);
        try (Connection r = connect(node, Engine.MARIADB, timeout);
                Connection p = connect(primary, Engine.MARIADB, timeout)) {
            String seen = MariaDbFailoverSql.replicaOf(r, at.host(), at.port());
            if (seen == null) {
                throw new ControlApiException(node.nodeId() + " does not replicate from " + primary.nodeId() + " ("
                        + at.host() + ":" + at.port() + ") with both replication threads running: " + rebuild);
            }
            boolean sync = MariaDbFailoverSql.semiSynchronous(r, p);
            return new ReplicaCheck(sync, node.nodeId() + " " + seen + (sync
                    ? "; semi-synchronous (the primary waits for its acknowledgement on commit)" : "; asynchronous"));
        } catch (SQLException e) {
            throw new ControlApiException(node.nodeId() + " does not answer as a replica (" + e.getMessage() + "): "
                    + rebuild, e);
        }
    }

    @Override
    public String slotCopiesMissing(Node replica, Node primary, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            return null; // capture resumes by GTID on any server of the group (ADR 0024): no slot to copy
        }
        requirePostgres(replica, engine);
        List<String> wanted = new ArrayList<>();
        try (Connection c = connect(primary, engine, timeout); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'logical'"
                    + " AND failover ORDER BY slot_name")) {
                while (rs.next()) {
                    wanted.add(rs.getString(1));
                }
            }
            if (!wanted.isEmpty()) {
                st.execute("SELECT pg_log_standby_snapshot()");
            }
        } catch (SQLException e) {
            return "cannot list the failover slots of " + primary.nodeId() + ": " + e.getMessage();
        }
        if (wanted.isEmpty()) {
            return null;
        }
        List<String> lasting = new ArrayList<>();
        try (Connection c = connect(replica, engine, timeout); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'logical'"
                        + " AND synced AND NOT temporary")) {
            while (rs.next()) {
                lasting.add(rs.getString(1));
            }
        } catch (SQLException e) {
            return "cannot list the slot copies of " + replica.nodeId() + ": " + e.getMessage();
        }
        List<String> missing = wanted.stream().filter(w -> !lasting.contains(w)).toList();
        return missing.isEmpty() ? null : "no lasting copy on " + replica.nodeId() + " yet of " + missing;
    }

    @Override
    public boolean captureSlotLost(Node promoted, Engine engine, Duration timeout) {
        if (engine == Engine.MARIADB) {
            return false;
        }
        try (Connection c = connect(promoted, engine, timeout); Statement st = c.createStatement()) {
            return !bool(st, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_type = 'logical'"
                    + " AND NOT temporary)");
        } catch (SQLException e) {
            LOG.warn("cannot list the logical slots of promoted node {}: {}", promoted.nodeId(), e.getMessage());
            return false;
        }
    }

    private static final java.util.regex.Pattern APPLICATION_NAME =
            java.util.regex.Pattern.compile("application_name=(\\S+)");

    /** The first host and port of a {@code jdbc:postgresql://host[:port][,...]/db} URL (port 5432 by default). */
    record HostPort(String host, int port) {
        static HostPort of(String jdbcUrl) {
            int start = jdbcUrl.indexOf("//");
            if (start < 0) {
                throw new ControlApiException("JDBC URL without a host: " + jdbcUrl);
            }
            String rest = jdbcUrl.substring(start + 2);
            int end = rest.length();
            for (char stop : new char[] {'/', ',', '?'}) {
                int i = rest.indexOf(stop);
                if (i >= 0) {
                    end = Math.min(end, i);
                }
            }
            String hostPort = rest.substring(0, end);
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0 || hostPort.endsWith("]")) {
                return new HostPort(hostPort, 5432);
            }
            try {
                return new HostPort(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new ControlApiException("JDBC URL with a port that is not a number: " + jdbcUrl);
            }
        }
    }

    /** Whether two host names (or literals) name the same host: equal, or resolving to the same address. */
    private static boolean sameHost(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        if (a.equalsIgnoreCase(b)) {
            return true;
        }
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static void requirePostgres(Node node, Engine engine) {
        if (engine != Engine.POSTGRES) {
            throw new ControlApiException("failover of " + engine.wireName() + " shards is not supported yet: "
                    + node.shardId() + " keeps its primary");
        }
    }

    private Connection connect(Node node, Engine engine, Duration timeout) throws SQLException {
        Duration connect = Duration.ofSeconds(Math.max(1, timeout.toSeconds()));
        return AdminConnections.open(config, engine, node.jdbcUrl(), "fleetshard-failover", connect,
                connect.plusSeconds(5));
    }

    private static boolean bool(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static String text(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
