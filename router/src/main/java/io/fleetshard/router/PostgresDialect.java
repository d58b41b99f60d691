package io.fleetshard.router;

import com.zaxxer.hikari.HikariConfig;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
 * PostgreSQL shards. A statement is sent as {@code BEGIN; CALL public.fleetshard_bind(tenant, signature, fleet,
 * timeout, hidden fleets); <client sql>; COMMIT} in one prepared query, so the transaction-local tenant setting made
 * by the bind procedure holds for exactly the client's statement, and row-level security installed by
 * {@link FleetSchema} filters on it after checking its signature (and hides the fleets a scatter leg must not see,
 * ADR 0051).
 *
 * <p>The explicit transaction matters. pgjdbc sends a composite query with a single Sync (one implicit transaction)
 * only while it batches; once a statement is server-prepared and described (parameters of unspecified type, such as
 * untyped strings or nulls, make pgjdbc describe it), pgjdbc sends a Sync before any sub-statement whose result rows
 * have no size bound, to avoid filling the socket buffers. Each Sync would end an implicit transaction, and the
 * client's statement would run without its tenant. Inside {@code BEGIN ... COMMIT} the Syncs change the number of
 * round trips (one while batched, two once described) but never the transaction. Strings are therefore sent as
 * {@code varchar} by default ({@code router.pg.string.type}), which keeps prepared statements at one round trip. A connection left in a transaction by a failure is rolled back before it returns to the
 * pool.
 */
final class PostgresDialect implements ShardDialect {
    static final PostgresDialect INSTANCE = new PostgresDialect();

    /**
     * What precedes every client statement: the transaction and the bind call (5 parameters: tenant, signature, fleet,
     * timeout and the fleets to hide, ADR 0051).
     */
    static final String BIND_PREFIX = "BEGIN;\nCALL public.fleetshard_bind(?, ?, ?, ?, ?);\n";
    /** The same, binding the connection's session (ADR 0016): later statements of the tenant need no bind. */
    static final String BIND_CONNECTION_PREFIX = "BEGIN;\nCALL public.fleetshard_bind_connection(?, ?, ?, ?, ?);\n";
    /** What follows it; the newline ends a trailing line comment of the client's SQL. */
    static final String COMMIT_SUFFIX = "\n;\nCOMMIT";
    private static final int BIND_PARAMS = 5;
    /** SQLSTATE that fleetshard_check_signature raises when a signature was not made with the shard's secret. */
    static final String SIGNATURE_REJECTED = "FS001";
    /** Tenant whose signature new connections check; not a valid tenant id, so the signature grants nothing. */
    private static final String PROBE_TENANT = "_fleetshard_probe";

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
        // varchar strings keep prepared statements at one round trip; untyped ones let the server infer their type
        // but make pgjdbc describe the statement, and then sync before it (see the class comment)
        pool.addDataSourceProperty("stringtype", config.pgStringType());
        pool.addDataSourceProperty("ApplicationName", "fleetshard-router");
        pool.addDataSourceProperty("connectTimeout", "5");
        // backstop for a stalled network; the statement timeout itself is enforced by the server
        pool.addDataSourceProperty("socketTimeout", Long.toString(config.requestTimeoutMs() / 1000 + 10));
        pool.addDataSourceProperty("tcpKeepAlive", "true");
        pool.addDataSourceProperty("prepareThreshold", Integer.toString(config.pgPrepareThreshold()));
        // a router whose secret differs from the shard's gets no connection, and the pool says why
        pool.setConnectionInitSql("SELECT public.fleetshard_check_signature('" + PROBE_TENANT + "', '"
                + TenantSigner.sign(config.tenantSecret(), PROBE_TENANT) + "')");
    }

    /** The client's statement inside the transaction that binds it to its tenant. */
    static String wrap(String sql) {
        return BIND_PREFIX + sql + COMMIT_SUFFIX;
    }

    /** The client's statement inside the transaction that binds the connection to its tenant. */
    static String wrapBindingConnection(String sql) {
        return BIND_CONNECTION_PREFIX + sql + COMMIT_SUFFIX;
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
    public PreparedStatement prepare(Connection c, ScannedSql sql, BindMode mode) throws SQLException {
        if (!c.unwrap(BaseConnection.class).getStandardConformingStrings()) {
            // the scanner assumes backslashes are literal in plain strings; a server that escapes with them could
            // see two statements where the scanner saw one
            throw ApiProblem.unavailable("the shard runs with standard_conforming_strings=off, which the router"
                    + " refuses", 60);
        }
        return c.prepareStatement(switch (mode) {
            case BOUND -> sql.sql();
            case BIND_CONNECTION -> wrapBindingConnection(sql.sql());
            case BIND_TRANSACTION -> wrap(sql.sql());
        });
    }

    @Override
    public boolean mayChangeBinding(ScannedSql sql) {
        // set_config is revoked, SET/RESET/DISCARD/CALL are rejected by the scanner, and the bind procedures need
        // a signature only the router makes: a statement cannot bind its connection to another tenant
        return false;
    }

    @Override
    public boolean execute(Connection c, PreparedStatement ps, TenantBinding tenant, List<Object> params,
            int timeoutMs, BindMode mode) throws SQLException {
        if (mode == BindMode.BOUND) {
            // autocommit: the statement is its own transaction, under the connection's session binding
            ShardDialect.bindParams(ps, 0, params);
            try {
                return ps.execute();
            } catch (SQLException e) {
                rollbackIfInTransaction(c);
                throw e;
            }
        }
        ps.setString(1, tenant.tenantId());
        ps.setString(2, tenant.signature());
        if (tenant.fleetId() == null) {
            ps.setNull(3, Types.VARCHAR);
        } else {
            ps.setString(3, tenant.fleetId());
        }
        ps.setInt(4, timeoutMs);
        ps.setString(5, tenant.hiddenFleets());
        ShardDialect.bindParams(ps, BIND_PARAMS, params);
        try {
            ps.execute(); // BEGIN
            ps.getMoreResults(); // CALL
            return ps.getMoreResults(); // the client's statement (COMMIT has run too)
        } catch (SQLException e) {
            rollbackIfInTransaction(c);
            throw e;
        }
    }

    private static void rollbackIfInTransaction(Connection c) {
        try {
            if (c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE) {
                try (Statement st = c.createStatement()) {
                    st.execute("ROLLBACK");
                }
            }
        } catch (SQLException e) {
            // the connection is broken; the pool evicts it
        }
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
        return ShardDialect.readPosition(c, "SELECT pg_current_wal_lsn()::text", Lsn::parse);
    }

    @Override
    public LogPosition primaryPosition(Connection c) throws SQLException {
        return ShardDialect.readPosition(c, "SELECT pg_current_wal_lsn()::text", Lsn::parse);
    }

    @Override
    public LogPosition replicaPosition(Connection c) throws SQLException {
        return ShardDialect.readPosition(c,
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END", Lsn::parse);
    }

    @Override
    public LogPosition standbyPosition(Connection c, String nodeJdbcUrl, String shardId) throws SQLException {
        // unqualified as the spec declares it: the router's role can create no table of that name anywhere
        return ShardDialect.readStandbyPosition(c, "SELECT last_position FROM " + STANDBY_POSITION_TABLE
                + " WHERE shard_id = ?", shardId, this::parseStandbyPosition);
    }

    /** PostgreSQL standbys record the source LSN {@code X/Y} of the last applied change. */
    @Override
    public LogPosition parseStandbyPosition(String lastPosition) {
        return Lsn.parse(lastPosition);
    }

    @Override
    public String standbyProblem(SQLException e) {
        return switch (String.valueOf(e.getSQLState())) {
            case "42P01" -> NOT_A_STANDBY;
            case "42501" -> "the router's role may not read " + STANDBY_POSITION_TABLE + " (" + serverMessage(e)
                    + "): grant SELECT on it to router.db.user (FleetSchema.install does when the table exists)";
            default -> null;
        };
    }

    @Override
    public ApiProblem classify(SQLException e, String nodeId, long timeoutMs) {
        String state = e.getSQLState();
        String message = serverMessage(e);
        if (state == null) {
            return ApiProblem.unavailable("node " + nodeId + " cannot serve: " + message, 1);
        }
        if (state.equals(FleetSchema.FENCED)) {
            return new WriteFencedProblem(nodeId, message);
        }
        if (state.equals("42883") && message.contains("fleetshard_bind")) {
            return ApiProblem.unavailable("node " + nodeId + " is not prepared for tenant isolation (no"
                    + " fleetshard_bind procedure): install FleetSchema on the shard", 60);
        }
        return switch (state) {
            // read_only_sql_transaction: a primary frozen for a switchover (ADR 0015); the write did not run
            case "25006" -> new ReadOnlyNodeProblem(nodeId, message);
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
