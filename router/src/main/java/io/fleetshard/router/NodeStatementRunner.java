package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Runs one client statement on one node: borrows a pooled connection, binds the statement to its tenant with the time
 * left until the request's deadline as the statement timeout, and hands the result to a {@link ResultReader} while
 * the connection is still held. A connection stays bound to its last tenant ({@link ConnectionBindings}, ADR 0016):
 * a statement of that tenant, with at least the binding's timeout left, runs without a bind (a write reads its log
 * position on the same connection, after the commit). Where the dialect resets sessions ({@link SessionTenants},
 * ADR 0020), a connection is reset before it serves another tenant than the one whose statements it ran last.
 * Database errors become {@link ApiProblem}s through the node's dialect.
 */
final class NodeStatementRunner {

    /** Consumes a statement's result; {@code resultSet} says whether {@code ps.getResultSet()} or an update count. */
    @FunctionalInterface
    interface ResultReader<T> {
        T read(PreparedStatement ps, boolean resultSet, Connection c, ShardDialect dialect)
                throws SQLException, IOException;
    }

    /** Consumes the result of statement {@code index} of a group, while {@code ps} is on it. */
    @FunctionalInterface
    interface GroupReader {
        void read(int index, PreparedStatement ps) throws SQLException, IOException;
    }

    /** Separates the statements of a group; the newline ends a trailing line comment of the one before. */
    static final String GROUP_SEPARATOR = "\n;\n";

    private NodeStatementRunner() {
    }

    /**
     * Runs the reads {@code sqls} of one tenant and fleet as one composite statement, in one round trip (ADR 0031), on
     * a connection of {@code pool} that already holds {@code tenant}'s binding, exactly as each would run alone in
     * {@link BindMode#BOUND}: in autocommit, under the session's binding. Only PostgreSQL; the statements were each
     * accepted by the scanner as one read. Returns false, having run nothing, when the connection it got does not hold
     * the binding with the time left (then run the first statement alone, which binds it, and try again). A failure
     * of any statement fails the group (it ran in one implicit transaction: nothing of it counts) and forgets the
     * connection's binding; run the statements alone then, to answer each.
     */
    static boolean runGroup(NodePools.NodePool pool, List<ScannedSql> sqls, List<List<Object>> params,
            TenantBinding tenant, long deadlineNanos, long timeoutMs, GroupReader reader) throws IOException {
        String nodeId = pool.node().nodeId();
        ShardDialect dialect = pool.dialect();
        ConnectionBindings bindings = pool.bindings();
        long waitMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
        int bindTimeoutMs = ConnectionBindings.timeoutMs(timeoutMs);
        if (!(dialect instanceof PostgresDialect) || bindings == null || pool.sessions() != null
                || waitMs < bindTimeoutMs) {
            return false;
        }
        Connection connection;
        try {
            connection = pool.connection(waitMs);
        } catch (SQLException e) {
            throw ShardDialect.poolTimeout(e, nodeId);
        }
        try (Connection c = connection) {
            long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
            Connection physical = c.unwrap(Connection.class);
            if (remainingMs < bindTimeoutMs || !bindings.holds(physical, tenant, bindTimeoutMs)) {
                return false;
            }
            StringBuilder composite = new StringBuilder();
            for (ScannedSql sql : sqls) {
                if (!sql.kind().isRead()) {
                    throw new IllegalArgumentException("only reads run in a group, got " + sql.kind());
                }
                composite.append(composite.length() == 0 ? "" : GROUP_SEPARATOR).append(sql.sql());
            }
            try (PreparedStatement ps = dialect.prepare(c, new ScannedSql(composite.toString(), StatementKind.READ,
                    0, false), BindMode.BOUND)) {
                try {
                    int offset = 0;
                    for (List<Object> p : params) {
                        ShardDialect.bindParams(ps, offset, p);
                        offset += p.size();
                    }
                    // each statement has the binding's statement timeout; this bounds the group as a whole
                    ps.setQueryTimeout((int) Math.max(1, (remainingMs + 999) / 1000));
                    ps.execute();
                    for (int i = 0; i < sqls.size(); i++) {
                        if (i > 0) {
                            ps.getMoreResults();
                        }
                        reader.read(i, ps);
                    }
                    dialect.afterStatement(c);
                } catch (SQLException | IOException | RuntimeException e) {
                    bindings.forget(physical);
                    if (c.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
                            != org.postgresql.core.TransactionState.IDLE) {
                        try (java.sql.Statement st = c.createStatement()) {
                            st.execute("ROLLBACK");
                        }
                    }
                    throw e;
                }
            }
            return true;
        } catch (SQLException e) {
            throw dialect.classify(e, nodeId, timeoutMs);
        }
    }

    /**
     * @param deadlineNanos {@link System#nanoTime()} by which the statement must be done
     * @param timeoutMs the request timeout, for messages
     */
    static <T> T run(NodePools.NodePool pool, ScannedSql sql, List<Object> params, TenantBinding tenant,
            long deadlineNanos, long timeoutMs, ResultReader<T> reader) throws IOException {
        return run(pool, sql, params, tenant, deadlineNanos, timeoutMs, Long.MAX_VALUE, reader);
    }

    /**
     * @param connectWaitMs the longest wait for a connection of this attempt, below the time the deadline leaves (a
     *     write tries its primary in short attempts, so that it can follow a failover)
     */
    static <T> T run(NodePools.NodePool pool, ScannedSql sql, List<Object> params, TenantBinding tenant,
            long deadlineNanos, long timeoutMs, long connectWaitMs, ResultReader<T> reader) throws IOException {
        String nodeId = pool.node().nodeId();
        ShardDialect dialect = pool.dialect();
        long waitMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (waitMs < 1) {
            throw ApiProblem.timeout("the request timeout of " + timeoutMs + " ms passed before node " + nodeId
                    + " was asked");
        }
        Connection connection;
        try {
            connection = pool.connection(Math.min(waitMs, connectWaitMs));
        } catch (SQLException e) {
            // the pool could not hand out a connection in time: the node is down, refusing, or saturated
            throw ShardDialect.poolTimeout(e, nodeId);
        }
        try (Connection c = connection) {
            long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (remainingMs < 1) {
                throw ApiProblem.timeout("the request timeout of " + timeoutMs + " ms passed while waiting for a"
                        + " connection to node " + nodeId);
            }
            ConnectionBindings bindings = pool.bindings();
            SessionTenants sessions = pool.sessions();
            Connection physical = bindings == null && sessions == null ? null : c.unwrap(Connection.class);
            if (sessions != null && !sessions.onlyRan(physical, tenant.tenantId())) {
                // another tenant's statements (or unknown ones) ran on this session: nothing of them may remain
                try {
                    dialect.resetSession(physical);
                } catch (SQLException | RuntimeException e) {
                    sessions.forget(physical);
                    if (bindings != null) {
                        bindings.forget(physical);
                    }
                    throw e;
                }
                if (bindings != null) {
                    bindings.forget(physical); // the reset dropped the binding's variables too
                }
                sessions.resetFor(physical, tenant.tenantId());
            }
            int bindTimeoutMs = ConnectionBindings.timeoutMs(timeoutMs);
            BindMode mode;
            int statementTimeoutMs;
            if (bindings == null || remainingMs < bindTimeoutMs) {
                // less time left than a connection binding allows: this statement alone gets the exact remainder
                mode = BindMode.BIND_TRANSACTION;
                statementTimeoutMs = (int) Math.min(Integer.MAX_VALUE, remainingMs);
            } else {
                mode = bindings.holds(physical, tenant, bindTimeoutMs) ? BindMode.BOUND : BindMode.BIND_CONNECTION;
                statementTimeoutMs = bindTimeoutMs;
            }
            boolean resultSet;
            try (PreparedStatement ps = dialect.prepare(c, sql, mode)) {
                try {
                    resultSet = dialect.execute(c, ps, tenant, params, statementTimeoutMs, mode);
                    dialect.afterStatement(c);
                } catch (SQLException | RuntimeException e) {
                    // what the session holds now is unknown (a failed bind was rolled back): bind it next time
                    if (bindings != null) {
                        bindings.forget(physical);
                    }
                    throw e;
                }
                if (bindings != null) {
                    if (mode == BindMode.BIND_TRANSACTION || dialect.mayChangeBinding(sql)) {
                        bindings.forget(physical);
                    } else if (mode == BindMode.BIND_CONNECTION) {
                        bindings.record(physical, tenant, bindTimeoutMs);
                    }
                }
                return reader.read(ps, resultSet, c, dialect);
            }
        } catch (SQLException e) {
            throw dialect.classify(e, nodeId, timeoutMs);
        }
    }
}
