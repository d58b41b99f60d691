package io.fleetshard.router;

import com.zaxxer.hikari.HikariConfig;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;

/**
 * What differs between shard engines: how the router's connections are set up, how a statement is bound to its tenant
 * in the same transaction, how log positions are read, and how database errors map to HTTP problems.
 */
interface ShardDialect {

    static ShardDialect of(Engine engine) {
        return switch (engine) {
            case POSTGRES -> PostgresDialect.INSTANCE;
            case MARIADB -> MariaDbDialect.INSTANCE;
            case MYSQL -> throw ApiProblem.unavailable("engine mysql is not supported by the router yet", 60);
        };
    }

    Engine engine();

    SqlDialect sqlDialect();

    /** The URL the router connects to for a node registered with {@code nodeJdbcUrl} (credentials removed). */
    String appJdbcUrl(String nodeJdbcUrl);

    /** Driver settings of request pools. */
    void configurePool(HikariConfig pool, RouterConfig config);

    /** Driver settings of the prober's connections, which must fail fast. */
    Properties probeProperties(RouterConfig config);

    /** Prepares the client's statement, wrapped as the engine needs it for {@link #execute} in {@code mode}. */
    PreparedStatement prepare(Connection c, ScannedSql sql, BindMode mode) throws SQLException;

    /**
     * Binds the statement to the tenant, the client's parameters and the timeout as {@code mode} says (in
     * {@link BindMode#BOUND} the connection already holds them), executes it, and leaves {@code ps} on the client's
     * result. Returns true when that result is a result set. A {@link BindMode#BIND_CONNECTION} that returns has bound
     * the connection's session to {@code tenant} and {@code timeoutMs}.
     */
    boolean execute(Connection c, PreparedStatement ps, TenantBinding tenant, List<Object> params, int timeoutMs,
            BindMode mode) throws SQLException;

    /**
     * Whether {@code sql} may change the session settings that bind a connection to its tenant (then the router
     * forgets the connection's binding after it ran).
     */
    boolean mayChangeBinding(ScannedSql sql);

    /**
     * Whether a connection's session is reset before it serves a statement of another tenant than its last ones
     * ({@link SessionTenants}, ADR 0020): true where the database leaves session state that the router cannot revoke.
     */
    default boolean resetsSessionsBetweenTenants() {
        return false;
    }

    /** Resets the session of {@code physical} to what a new connection has (see {@link #resetsSessionsBetweenTenants}). */
    default void resetSession(Connection physical) throws SQLException {
        throw new UnsupportedOperationException(engine() + " sessions are not reset");
    }

    /** Checks, after the statement, that the connection is fit to go back to the pool; throws a problem if not. */
    void afterStatement(Connection c) throws SQLException;

    /** The shard's log position after a write committed on this (primary) connection; null when unknown. */
    LogPosition positionAfterWrite(Connection c) throws SQLException;

    /** The primary's current log position. */
    LogPosition primaryPosition(Connection c) throws SQLException;

    /** The position a replica has replayed, or null when it is not replaying. */
    LogPosition replicaPosition(Connection c) throws SQLException;

    /**
     * The source position up to which a warm standby has applied shard {@code shardId}: the {@code last_position} of
     * the shard's row in the standby's {@value #STANDBY_POSITION_TABLE} table ({@code docs/spec/archive.md}), parsed;
     * null when the applier has applied no change yet: the shard has no row, or its {@code last_position} is still
     * empty (the applier writes the row with an empty position for manifests without changes). Throws the driver's
     * exception when the table is missing or unreadable (see {@link #standbyProblem}), and
     * {@link IllegalArgumentException} naming the value when it is not a position of this engine.
     *
     * @param nodeJdbcUrl the standby node's JDBC URL as registered (names the database holding the table)
     */
    LogPosition standbyPosition(Connection c, String nodeJdbcUrl, String shardId) throws SQLException;

    /** A standby row's {@code last_position} text as a position of this engine; throws naming the value if not one. */
    LogPosition parseStandbyPosition(String lastPosition);

    /**
     * When {@code e}, raised by {@link #standbyPosition}, means that the node is not a standby the router can read
     * (no position table, no privilege on it), the reason to report; null for other failures (unreachable...).
     */
    String standbyProblem(SQLException e);

    /** The table the standby applier keeps a standby's applied position in, one row per shard. */
    String STANDBY_POSITION_TABLE = "fleetshard_standby_position";

    /** The reason a node is not used as a standby when its database has no position table. */
    String NOT_A_STANDBY = "not a FleetShard standby: no " + STANDBY_POSITION_TABLE + " table";

    /**
     * Runs {@code sql}, a query of the {@code last_position} column of one shard's position row with the shard id as its
     * only parameter, and parses the value; null when there is no row or the value is empty (nothing applied yet).
     */
    static LogPosition readStandbyPosition(Connection c, String sql, String shardId, Function<String, LogPosition> parse)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, shardId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? parseLastPosition(rs.getString(1), parse) : null;
            }
        }
    }

    /**
     * A standby row's {@code last_position} read with {@code parse}: null when it is empty, the value of a row the
     * standby applier wrote before it applied any change (the same as no row); a non-empty value that is not a
     * position still throws, naming it.
     */
    static LogPosition parseLastPosition(String lastPosition, Function<String, LogPosition> parse) {
        return lastPosition == null || lastPosition.isEmpty() ? null : parse.apply(lastPosition);
    }

    /**
     * Maps a database error on node {@code nodeId} to the client's problem; a write refused by the shard's reshard
     * fence (SQLSTATE {@value FleetSchema#FENCED}) is a {@link WriteFencedProblem}.
     */
    ApiProblem classify(SQLException e, String nodeId, long timeoutMs);

    /** Binds the client's values to {@code ?} placeholders {@code offset + 1 ...}. */
    static void bindParams(PreparedStatement ps, int offset, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object v = params.get(i);
            int at = offset + i + 1;
            if (v == null) {
                ps.setNull(at, Types.NULL);
            } else if (v instanceof Long l) {
                ps.setLong(at, l);
            } else if (v instanceof String s) {
                ps.setString(at, s);
            } else if (v instanceof BigDecimal d) {
                ps.setBigDecimal(at, d);
            } else if (v instanceof Boolean b) {
                ps.setBoolean(at, b);
            } else {
                throw new IllegalArgumentException("unsupported parameter type " + v.getClass().getName());
            }
        }
    }

    /** The answer when a node's pool gave no connection in time: the node is down, unreachable, or saturated. */
    static ApiProblem poolTimeout(SQLException e, String nodeId) {
        Throwable cause = e;
        for (Throwable t = e.getCause(); t != null && t != cause; t = t.getCause()) {
            cause = t;
            if (t instanceof SQLException se && PostgresDialect.SIGNATURE_REJECTED.equals(se.getSQLState())) {
                return ApiProblem.unavailable("node " + nodeId + " rejects the router's tenant signatures: the"
                        + " router's router.tenant.secret differs from the secret FleetSchema installed on the shard",
                        60);
            }
        }
        // the innermost cause says what is wrong with the node (refused, unknown host, authentication...)
        String why = cleanMessage(cause.getMessage() != null ? cause.getMessage() : e.getMessage());
        return new NotExecutedProblem("no connection to node " + nodeId + " became available in time: " + why);
    }

    /** The first line of a driver message, without a MariaDB {@code (conn=N)} prefix, trimmed to a sane length. */
    /**
     * Runs {@code sql}, a one-row, one-column query of a log position, and parses it; null when the server returns
     * none (a primary asked for a replica position, or a server without a position yet).
     */
    static <P extends LogPosition> P readPosition(Connection c, String sql, Function<String, P> parse)
            throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            String text = rs.getString(1);
            return text == null ? null : parse.apply(text);
        }
    }

    static String cleanMessage(String message) {
        if (message == null) {
            return "no message";
        }
        int newline = message.indexOf('\n');
        String m = newline > 0 ? message.substring(0, newline) : message;
        if (m.startsWith("(conn=")) {
            int close = m.indexOf(") ");
            if (close > 0) {
                m = m.substring(close + 2);
            }
        }
        return m.length() > 1000 ? m.substring(0, 1000) + "..." : m;
    }
}
