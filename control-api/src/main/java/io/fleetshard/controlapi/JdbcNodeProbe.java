package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * Probes a node over JDBC: {@code SELECT 1}, then the replication facts of its engine, on the node's connection kept
 * from the previous round ({@link ProbeConnections}) or a new one. Every step is bounded by the probe timeout (driver
 * connect/login/socket timeouts and the statement query timeout), so a hung server costs one probe thread at most that
 * long.
 */
final class JdbcNodeProbe implements NodeProbe {
    private final Duration timeout;
    private final String user;
    private final String password;
    private final ProbeConnections connections;

    JdbcNodeProbe(Duration timeout, String user, String password, ProbeConnections connections) {
        this.timeout = timeout;
        this.user = user;
        this.password = password;
        this.connections = connections;
    }

    @Override
    public ProbeResult probe(Node node, Engine engine) {
        long start = System.nanoTime();
        try {
            return connections.run(probeUrl(node.jdbcUrl(), engine), properties(engine), c -> probe(c, node, engine));
        } catch (SQLException e) {
            return ProbeResult.failed(describe(e), elapsedMs(start));
        } catch (RuntimeException e) {
            return ProbeResult.failed(e.getClass().getSimpleName() + ": " + e.getMessage(), elapsedMs(start));
        }
    }

    /** One probe on an open connection; its latency counts from here (a kept connection has no connect time). */
    private ProbeResult probe(Connection c, Node node, Engine engine) throws SQLException {
        long start = System.nanoTime();
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SELECT 1")) {
            if (!rs.next() || rs.getInt(1) != 1) {
                return ProbeResult.failed("SELECT 1 did not return 1", elapsedMs(start));
            }
        }
        return switch (engine) {
            case POSTGRES -> probePostgres(c, start);
            // a warm standby is not a binlog replica: its progress is its position row (StandbyPositionReader)
            case MYSQL, MARIADB -> node.role().isReplica() && node.role() != NodeRole.STANDBY
                    ? probeMysqlReplica(c, start) : engine == Engine.MARIADB && node.role() == NodeRole.PRIMARY
                    ? probeMariaDbPrimary(c, start) : ProbeResult.up(elapsedMs(start));
        };
    }

    /**
     * The URL to probe: on MySQL and MariaDB without the database, because health and replication state are
     * server-wide and the probing account need not read any database (the router's role, for one, only reaches
     * the tenant views).
     */
    static String probeUrl(String jdbcUrl, Engine engine) {
        if (engine == Engine.POSTGRES) {
            return jdbcUrl;
        }
        int hostStart = jdbcUrl.indexOf("//");
        int slash = hostStart < 0 ? -1 : jdbcUrl.indexOf('/', hostStart + 2);
        if (slash < 0) {
            return jdbcUrl;
        }
        int query = jdbcUrl.indexOf('?', slash);
        return jdbcUrl.substring(0, slash + 1) + (query < 0 ? "" : jdbcUrl.substring(query));
    }

    private ProbeResult probePostgres(Connection c, long start) throws SQLException {
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                try (Statement st2 = statement(c);
                        ResultSet lsn = st2.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                    lsn.next();
                    return new ProbeResult(null, elapsedMs(start), false, PgLsn.parse(lsn.getString(1)), null, null,
                            null);
                }
            }
        }
        String sql = "SELECT pg_last_wal_replay_lsn()::text, pg_last_wal_receive_lsn()::text,"
                + " (EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000)::bigint";
        try (Statement st = statement(c); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            String replay = rs.getString(1);
            String received = rs.getString(2);
            long age = rs.getLong(3);
            Long replayAgeMs = rs.wasNull() ? null : Math.max(0, age);
            return new ProbeResult(null, elapsedMs(start), true, replay == null ? null : PgLsn.parse(replay),
                    received == null ? null : PgLsn.parse(received), replayAgeMs, null);
        }
    }

    private ProbeResult probeMysqlReplica(Connection c, long start) throws SQLException {
        Long lagMs = null;
        try (Statement st = statement(c); ResultSet rs = showReplicaStatus(st)) {
            if (rs.next()) {
                long seconds = secondsBehind(rs);
                lagMs = seconds < 0 ? null : seconds * 1000;
            }
        }
        return new ProbeResult(null, elapsedMs(start), null, null, null, null, lagMs);
    }

    /**
     * A MariaDB primary: whether it still waits for a semi-synchronous replica (ADR 0024), or fell back to
     * asynchronous after {@code rpl_semi_sync_master_timeout}; null semi-sync when it is not enabled. The status
     * variables need no privilege.
     */
    private ProbeResult probeMariaDbPrimary(Connection c, long start) {
        ProbeResult.SemiSync semiSync = null;
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS WHERE Variable_name IN"
                + " ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_no_tx')")) {
            String status = null;
            long noTx = 0;
            while (rs.next()) {
                if (rs.getString(1).equalsIgnoreCase("Rpl_semi_sync_master_status")) {
                    status = rs.getString(2);
                } else {
                    noTx = Long.parseLong(rs.getString(2).trim());
                }
            }
            if (status != null && enabled(c)) {
                semiSync = new ProbeResult.SemiSync("ON".equalsIgnoreCase(status), noTx);
            }
        } catch (SQLException | RuntimeException unknown) {
            // the server answered SELECT 1: it is up; not knowing its semi-sync (null) must never fail it over
        }
        return new ProbeResult(null, elapsedMs(start), null, null, null, null, null, semiSync);
    }

    private boolean enabled(Connection c) throws SQLException {
        try (Statement st = statement(c); ResultSet rs = st.executeQuery("SELECT @@rpl_semi_sync_master_enabled")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static ResultSet showReplicaStatus(Statement st) throws SQLException {
        try {
            return st.executeQuery("SHOW REPLICA STATUS");
        } catch (SQLException e) {
            return st.executeQuery("SHOW SLAVE STATUS"); // servers before MySQL 8.0.22 / MariaDB 10.5.1
        }
    }

    /** Seconds the replica is behind, or -1 when the server does not know (replication stopped: NULL). */
    private static long secondsBehind(ResultSet rs) throws SQLException {
        for (String column : new String[] {"Seconds_Behind_Source", "Seconds_Behind_Master"}) {
            try {
                long v = rs.getLong(column);
                return rs.wasNull() ? -1 : v;
            } catch (SQLException e) {
                // column absent on this server version: try the other name
            }
        }
        return -1;
    }

    private Statement statement(Connection c) throws SQLException {
        Statement st = c.createStatement();
        st.setQueryTimeout(timeoutSeconds());
        return st;
    }

    private Properties properties(Engine engine) {
        return connectionProperties(engine, timeout, user, password);
    }

    /** Driver settings of a probe connection: the probe user (when set) and every timeout bounded by {@code timeout}. */
    static Properties connectionProperties(Engine engine, Duration timeout, String user, String password) {
        Properties p = new Properties();
        if (!user.isEmpty()) {
            p.setProperty("user", user);
            p.setProperty("password", password);
        }
        if (engine == Engine.POSTGRES) {
            String seconds = Integer.toString(timeoutSeconds(timeout));
            p.setProperty("connectTimeout", seconds);
            p.setProperty("loginTimeout", seconds);
            p.setProperty("socketTimeout", seconds);
            p.setProperty("ApplicationName", "fleetshard-control-api-probe");
        } else {
            String ms = Long.toString(timeout.toMillis());
            p.setProperty("connectTimeout", ms);
            p.setProperty("socketTimeout", ms);
            p.setProperty("permitMysqlScheme", "true"); // MySQL shards are probed with the MariaDB driver
        }
        return p;
    }

    private int timeoutSeconds() {
        return timeoutSeconds(timeout);
    }

    /** {@code timeout} in whole seconds, rounded up, at least 1 (JDBC query timeouts are in seconds). */
    static int timeoutSeconds(Duration timeout) {
        return (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    }

    private static String describe(SQLException e) {
        String state = e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")";
        return e.getMessage() + state;
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
