package io.fleetshard.router;

import com.zaxxer.hikari.HikariConfig;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

/**
 * MariaDB shards. MariaDB has no row-level security: {@link FleetSchema} puts tenant-filtering DEFINER views named like
 * the tables into a sibling database {@code <db>_rls}, which is the only thing the router's account may touch. Before
 * each statement the router sets the session variables the views' filter functions check (tenant and signature, and
 * the fleets a scatter leg must not see, ADR 0051) and the statement time limit, in one {@code SET}: two round trips
 * per statement. These are session variables, so a connection whose last {@code SET} was for the same tenant, fleet,
 * hidden fleets and timeout skips it (ADR 0016). The {@code SET}
 * also names the request's fleet, which the fleet guard triggers of the base tables compare with every row a write
 * creates, changes or deletes. Before a connection serves another tenant than its last one, its session is reset
 * ({@code COM_RESET_CONNECTION}: user variables, session variables, named locks, temporary tables, prepared statements
 * and {@code LAST_INSERT_ID} are gone); ADR 0020.
 */
final class MariaDbDialect implements ShardDialect {
    static final MariaDbDialect INSTANCE = new MariaDbDialect();

    private static final String SET_TENANT = "SET @fleetshard_tenant_id = ?, @fleetshard_tenant_sig = ?,"
            + " @fleetshard_fleet_id = ?, @fleetshard_hidden_fleets = ?, max_statement_time = ?";
    /** The character set and collation MariaDB Connector/J 3 asks for at the handshake. */
    private static final String RESTORE_NAMES = "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci";
    /**
     * Every FleetShard component reads a MariaDB {@code DATETIME} as a UTC instant (capture, the standby applier, moves
     * between engines, ADR 0047): the router's sessions write in UTC too, so that a {@code CURRENT_TIMESTAMP(6)}
     * default or a {@code NOW()} is UTC whatever the server's {@code time_zone}.
     */
    static final String UTC = "+00:00";
    private static final String RESTORE_TIME_ZONE = "SET time_zone = '" + UTC + "'";

    private MariaDbDialect() {
    }

    @Override
    public Engine engine() {
        return Engine.MARIADB;
    }

    @Override
    public SqlDialect sqlDialect() {
        return SqlDialect.MARIADB;
    }

    @Override
    public String appJdbcUrl(String nodeJdbcUrl) {
        JdbcUrl url = JdbcUrl.parse(nodeJdbcUrl).withoutCredentials();
        return url.withDatabase(FleetSchema.mariaDbViewDatabase(url.database())).text();
    }

    @Override
    public void configurePool(HikariConfig pool, RouterConfig config) {
        pool.addDataSourceProperty("connectTimeout", "5000");
        pool.addDataSourceProperty("socketTimeout", Long.toString(config.requestTimeoutMs() + 10_000));
        pool.addDataSourceProperty("useServerPrepStmts", "false");
        pool.addDataSourceProperty("allowMultiQueries", "false");
        // Connection.reset() sends COM_RESET_CONNECTION only with this option (resetSession)
        pool.addDataSourceProperty("useResetConnection", "true");
        pool.addDataSourceProperty("sessionVariables", "time_zone='" + UTC + "'");
        // refuses connections while the server runs without grant checks, when the views would protect nothing
        pool.setConnectionInitSql("SELECT " + FleetSchema.MARIADB_GRANTS_GUARD + "()");
    }

    @Override
    public Properties probeProperties(RouterConfig config) {
        Properties p = new Properties();
        p.setProperty("connectTimeout", "2000");
        p.setProperty("socketTimeout", "2000");
        return p;
    }

    @Override
    public PreparedStatement prepare(Connection c, ScannedSql sql, BindMode mode) throws SQLException {
        return c.prepareStatement(sql.sql());
    }

    @Override
    public boolean mayChangeBinding(ScannedSql sql) {
        // user variables are rejected by the scanner (ADR 0020); one that mentions a variable still sets them again
        return sql.mentionsVariables();
    }

    @Override
    public boolean execute(Connection c, PreparedStatement ps, TenantBinding tenant, List<Object> params,
            int timeoutMs, BindMode mode) throws SQLException {
        if (mode != BindMode.BOUND) {
            // user variables and max_statement_time belong to the session: binding the connection and binding the
            // statement are the same SET
            try (PreparedStatement set = c.prepareStatement(SET_TENANT)) {
                set.setString(1, tenant.tenantId());
                set.setString(2, tenant.signature());
                set.setString(3, tenant.fleetId());
                set.setString(4, tenant.hiddenFleets());
                set.setBigDecimal(5, BigDecimal.valueOf(timeoutMs, 3));
                set.execute();
            }
        }
        ShardDialect.bindParams(ps, 0, params);
        boolean resultSet = ps.execute();
        if (!resultSet && tenant.fleetId() != null && ps.getUpdateCount() == 0) {
            refuseIfFenced(c, tenant);
        }
        return resultSet;
    }

    /**
     * After a write that matched no row (ADR 0062): the row triggers of the fence did not fire, so asks whether the
     * session's fleet is fenced here. A stale router's UPDATE or DELETE of a fleet moved away, whose rows this shard no
     * longer holds, is then a fenced write (held, retried on the new shard) instead of a success with 0 rows. The
     * statement changed nothing, so running it again elsewhere is safe; a fence committed just after it makes it
     * retried where the fleet now lives, as a write arriving a moment later would be.
     */
    private static void refuseIfFenced(Connection c, TenantBinding tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + FleetSchema.MARIADB_FENCED_JOB + "()");
                java.sql.ResultSet rs = ps.executeQuery()) {
            String job = rs.next() ? rs.getString(1) : null;
            if (job != null) {
                throw new SQLException("fleetshard: fleet " + tenant.fleetId() + " of tenant " + tenant.tenantId()
                        + " is fenced on this shard by reshard job " + job + " (moved or moving): write it on its new"
                        + " shard", FleetSchema.FENCED);
            }
        }
    }

    @Override
    public boolean resetsSessionsBetweenTenants() {
        return true;
    }

    @Override
    public void resetSession(Connection physical) throws SQLException {
        // COM_RESET_CONNECTION (useResetConnection=true, configurePool): keeps the database, drops everything else,
        // including the character set the driver chose at the handshake: the server's default (latin1) would mangle
        // text and make the views' signature check fail on mixed collations, so the driver's is set again
        physical.unwrap(org.mariadb.jdbc.Connection.class).reset();
        try (Statement st = physical.createStatement()) {
            st.execute(RESTORE_NAMES);
            st.execute(RESTORE_TIME_ZONE); // dropped by the reset too: back to the server's zone otherwise
        }
    }

    @Override
    public void afterStatement(Connection c) {
        // autocommit cannot be switched off by a single statement that passed the scanner
    }

    @Override
    public LogPosition positionAfterWrite(Connection c) throws SQLException {
        return ShardDialect.readPosition(c, "SELECT @@gtid_binlog_pos", GtidPosition::parse);
    }

    @Override
    public LogPosition primaryPosition(Connection c) throws SQLException {
        return ShardDialect.readPosition(c, "SELECT @@gtid_binlog_pos", GtidPosition::parse);
    }

    @Override
    public LogPosition replicaPosition(Connection c) throws SQLException {
        return ShardDialect.readPosition(c, "SELECT @@gtid_slave_pos", GtidPosition::parse);
    }

    @Override
    public LogPosition standbyPosition(Connection c, String nodeJdbcUrl, String shardId) throws SQLException {
        // the router's connections use the view database; the applier's table lives in the node's own database
        String db = JdbcUrl.parse(nodeJdbcUrl).database();
        return ShardDialect.readStandbyPosition(c, "SELECT last_position FROM `" + db.replace("`", "``") + "`."
                + STANDBY_POSITION_TABLE + " WHERE shard_id = ?", shardId, this::parseStandbyPosition);
    }

    /**
     * MariaDB standbys record {@code <gtid>@<binlog file>:<pos>#<row>} ({@code docs/spec/change-events.md}); the GTID
     * before {@code @} is the position, comparable with {@code @@gtid_binlog_pos} tokens. Snapshot reads carry no
     * GTID: a standby that has applied only the initial snapshot has the empty position, which covers no write token.
     */
    @Override
    public LogPosition parseStandbyPosition(String lastPosition) {
        int at = lastPosition == null ? -1 : lastPosition.indexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("not a MariaDB change position (<gtid>@<binlog file>:<pos>#<row>): '"
                    + lastPosition + "'");
        }
        return GtidPosition.parse(lastPosition.substring(0, at));
    }

    @Override
    public String standbyProblem(SQLException e) {
        return switch (e.getErrorCode()) {
            case 1146 -> NOT_A_STANDBY;
            case 1142, 1044 -> "the router's account may not read " + STANDBY_POSITION_TABLE + " ("
                    + ShardDialect.cleanMessage(e.getMessage()) + "): grant SELECT on it to router.db.user"
                    + " (FleetSchema.install does when the table exists)";
            default -> null;
        };
    }

    @Override
    public ApiProblem classify(SQLException e, String nodeId, long timeoutMs) {
        String message = ShardDialect.cleanMessage(e.getMessage());
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals(FleetSchema.FENCED)) {
            return new WriteFencedProblem(nodeId, message);
        }
        if (e.getErrorCode() == 1290 && message.contains("read-only")) {
            // --read-only: a primary frozen for a switchover or fenced (ADR 0024); the write did not run
            return new ReadOnlyNodeProblem(nodeId, message);
        }
        return switch (e.getErrorCode()) {
            case 1062, 1586 -> ApiProblem.conflict(message);
            case 1969, 3024 -> ApiProblem.timeout("statement did not finish within the request timeout of " + timeoutMs
                    + " ms on node " + nodeId + ": " + message);
            case 1205, 1213, 1040, 1053, 1927, 2002, 2003, 2006, 2013 -> ApiProblem.unavailable("node " + nodeId
                    + " cannot serve now, retry: " + message, 1);
            default -> state.startsWith("08") || e.getErrorCode() == 0
                    ? ApiProblem.unavailable("node " + nodeId + " cannot serve: " + message, 1)
                    : ApiProblem.unprocessable(message);
        };
    }
}
