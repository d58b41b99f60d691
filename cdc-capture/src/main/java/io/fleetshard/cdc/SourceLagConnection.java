package io.fleetshard.cdc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The one JDBC connection a shard capture measures its source lag on, kept from one round to the next instead of
 * opened per round: a new PostgreSQL connection forks a backend and authenticates (with a round every few seconds per
 * shard, that was most of capture's own load on an idle database). The same idea as the control API's probe
 * connections (ADR 0052), for a single connection.
 *
 * <p>Rounds use it one at a time. When a round fails on the kept connection for any reason but the server's answer
 * about the statement itself ({@link #answered}: a missing privilege keeps the connection), the connection is closed
 * and the round is tried once more on a new one: a connection broken by a server restart or a killed backend costs
 * no measurement. {@link #close} (the capture stops, or moves to another node after a failover) closes it, also under
 * a round in progress, which then ends without a measurement; no round opens a connection afterwards.
 */
final class SourceLagConnection implements AutoCloseable {
    /** What a round does on the connection. */
    @FunctionalInterface
    interface Work {
        void run(Connection c) throws SQLException;
    }

    /** Opens a new connection to the shard's source node. */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final Object rounds = new Object();
    /** Set by the round that opened it (holding {@link #rounds}); read by {@link #close} too. */
    private volatile Connection connection;
    private volatile boolean closed;

    SourceLagConnection(Opener opener) {
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /**
     * Runs {@code work} on the kept connection, or a new one; once more on a new one if the kept one failed (see the
     * class comment). Throws what the last attempt threw.
     *
     * @return false, without running anything, once {@link #close closed}
     */
    boolean run(Work work) throws SQLException {
        synchronized (rounds) {
            try {
                Connection kept = connection;
                if (kept != null) {
                    try {
                        return attempt(kept, work);
                    } catch (SQLException | RuntimeException e) {
                        if (answered(e) || closed) {
                            throw e;
                        } // else broken (a restart, a killed backend, a timeout): once more on a new connection
                    }
                }
                if (closed) {
                    return false;
                }
                Connection fresh = opener.open();
                connection = fresh;
                if (closed) { // close() ran meanwhile and may have missed it
                    connection = null;
                    closeQuietly(fresh);
                    return false;
                }
                return attempt(fresh, work);
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return false; // closed under the round: the failure is the close's, not the source's
                }
                throw e;
            }
        }
    }

    /** Runs {@code work} on {@code c}; forgets and closes {@code c} unless the failure left it usable. */
    private boolean attempt(Connection c, Work work) throws SQLException {
        try {
            work.run(c);
            return true;
        } catch (SQLException | RuntimeException e) {
            if (!answered(e)) {
                connection = null;
                closeQuietly(c);
            }
            throw e;
        }
    }

    /**
     * The server answered with an error about the statement (SQLSTATE class 42: a missing table or privilege), so the
     * connection itself is sound. Anything else (a broken socket, a timeout, a server shutting down) may have left it
     * unusable.
     */
    static boolean answered(Exception e) {
        return e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("42");
    }

    /**
     * Closes the connection without waiting for a round under way (which then ends without a measurement); no round
     * opens a new one afterwards.
     */
    @Override
    public void close() {
        closed = true;
        Connection c = connection;
        if (c != null) {
            connection = null;
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // broken already: nothing to release
        }
    }
}
