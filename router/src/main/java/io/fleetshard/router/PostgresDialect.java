package io.fleetshard.router;

import com.zaxxer.hikari.HikariConfig;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import java.util.Properties;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * PostgreSQL shards. A statement is sent as {@code CALL public.fleetshard_bind(tenant, signature, fleet, timeout);
 * <client sql>} in one prepared query: pgjdbc sends both with a single Sync, so PostgreSQL runs them as one implicit
 * transaction and the transaction-local tenant setting the bind procedure makes holds for exactly the client's
 * statement. It must be a {@code CALL}: once the query is server-prepared, pgjdbc sends a Sync after every statement
 * that returns rows (its guard against filling the socket buffers), which would put a {@code SELECT} bind in a
 * transaction of its own. Should that ever happen, the client's statement runs unbound and row-level security shows it
 * nothing (fails closed). Row-level security policies installed by {@link FleetSchema} filter on that setting, after checking its
 * signature. One network round trip per read; a write adds one for its WAL position.
 */
final class PostgresDialect implements ShardDialect {
    static final PostgresDialect INSTANCE = new PostgresDialect();

    /** The bind call that precedes every client statement; 4 parameters. */
    static final String BIND_PREFIX = "CALL public.fleetshard_bind(?, ?, ?, ?);\n";
    private static final int BIND_PARAMS = 4;
    /** SQLSTATE that the fleetshard_bind procedure raises when the signature does not match the shard's secret. */
    static final String SIGNATURE_REJECTED = "FS001";

    private PostgresDialect() {
    }

    @Override
    public Engine engine() {
        return Engine.POSTGRES;
    }

    @Override
    public SqlDialect sqlDialect() {
        return SqlDialect.POSTGRES;
    }

    @Override
    public String appJdbcUrl(String nodeJdbcUrl) {
        return JdbcUrl.parse(nodeJdbcUrl).withoutCredentials().text();
    }

    @Override
    public void configurePool(HikariConfig pool, RouterConfig config) {
        // untyped strings let the server infer parameter types (a timestamptz compared with a JSON string)
        pool.addDataSourceProperty("stringtype", "unspecified");
        pool.addDataSourceProperty("ApplicationName", "fleetshard-router");
        pool.addDataSourceProperty("connectTimeout", "5");
        // backstop for a stalled network; the statement timeout itself is enforced by the server
        pool.addDataSourceProperty("socketTimeout", Long.toString(config.requestTimeoutMs() / 1000 + 10));
        pool.addDataSourceProperty("tcpKeepAlive", "true");
    }

    @Override
    public Properties probeProperties(RouterConfig config) {
        Properties p = new Properties();
        p.setProperty("ApplicationName", "fleetshard-router-probe");
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "2");
        p.setProperty("options", "-c statement_timeout=2000");
        return p;
    }

    @Override
    public PreparedStatement prepare(Connection c, ScannedSql sql) throws SQLException {
        if (!c.unwrap(BaseConnection.class).getStandardConformingStrings()) {
            // the scanner assumes backslashes are literal in plain strings; a server that escapes with them could
            // see two statements where the scanner saw one
            throw ApiProblem.unavailable("the shard runs with standard_conforming_strings=off, which the router"
                    + " refuses", 60);
        }
        return c.prepareStatement(BIND_PREFIX + sql.sql());
    }

    @Override
    public boolean execute(Connection c, PreparedStatement ps, TenantBinding tenant, List<Object> params,
            int timeoutMs) throws SQLException {
        ps.setString(1, tenant.tenantId());
        ps.setString(2, tenant.signature());
        if (tenant.fleetId() == null) {
            ps.setNull(3, Types.VARCHAR);
        } else {
            ps.setString(3, tenant.fleetId());
        }
        ps.setInt(4, timeoutMs);
        ShardDialect.bindParams(ps, BIND_PARAMS, params);
        ps.execute(); // first result: the CALL's (no rows)
        return ps.getMoreResults();
    }

    @Override
    public void afterStatement(Connection c) throws SQLException {
        BaseConnection pg = c.unwrap(BaseConnection.class);
        if (pg.getTransactionState() != TransactionState.IDLE) {
            // defence in depth: the scanner rejects BEGIN and friends, but no connection goes back to the pool
            // holding a transaction that the next tenant's statement would join
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
            }
            throw ApiProblem.badRequest("sql left a transaction open; send single statements without transaction"
                    + " control");
        }
    }

    @Override
    public LogPosition positionAfterWrite(Connection c) throws SQLException {
        return lsn(c, "SELECT pg_current_wal_lsn()::text");
    }

    @Override
    public LogPosition primaryPosition(Connection c) throws SQLException {
        return lsn(c, "SELECT pg_current_wal_lsn()::text");
    }

    @Override
    public LogPosition replicaPosition(Connection c) throws SQLException {
        return lsn(c, "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END");
    }

    private static Lsn lsn(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            String text = rs.getString(1);
            return text == null ? null : Lsn.parse(text);
        }
    }

    @Override
    public ApiProblem classify(SQLException e, String nodeId, long timeoutMs) {
        String state = e.getSQLState();
        String message = serverMessage(e);
        if (state == null) {
            return ApiProblem.unavailable("node " + nodeId + " cannot serve: " + message, 1);
        }
        if (state.equals(SIGNATURE_REJECTED)) {
            return ApiProblem.unavailable("node " + nodeId + " rejected the tenant signature (FS001): the router's"
                    + " router.tenant.secret differs from the secret FleetSchema installed on the shard, or the"
                    + " statement called fleetshard_bind itself", 60);
        }
        if (state.equals("42883") && message.contains("fleetshard_bind")) {
            return ApiProblem.unavailable("node " + nodeId + " is not prepared for tenant isolation (no"
                    + " fleetshard_bind procedure): install FleetSchema on the shard", 60);
        }
        return switch (state) {
            case "23505", "23P01" -> ApiProblem.conflict(message);
            case "57014" -> ApiProblem.timeout("statement did not finish within the request timeout of " + timeoutMs
                    + " ms on node " + nodeId + ": " + message);
            case "40001", "40P01", "55P03", "57P01", "57P02", "57P03" -> ApiProblem.unavailable("node " + nodeId
                    + " could not run the statement now, retry: " + message, 1);
            default -> switch (state.substring(0, 2)) {
                case "08", "53", "58", "XX", "F0", "HV" -> ApiProblem.unavailable("node " + nodeId + " cannot serve: "
                        + message, 1);
                default -> ApiProblem.unprocessable(message);
            };
        };
    }

    /** The server's message with its detail and hint; no position, context or stack. */
    private static String serverMessage(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            StringBuilder b = new StringBuilder(m.getMessage() == null ? "error" : m.getMessage());
            if (m.getDetail() != null) {
                b.append(" (").append(m.getDetail()).append(')');
            }
            if (m.getHint() != null) {
                b.append(" Hint: ").append(m.getHint());
            }
            return ShardDialect.cleanMessage(b.toString());
        }
        return ShardDialect.cleanMessage(e.getMessage());
    }
}
