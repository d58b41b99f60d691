package io.fleetshard.controlapi;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The probe rounds' JDBC connections, kept from one round to the next (one per URL and user) instead of opened and
 * closed per probe: a new PostgreSQL connection forks a backend and authenticates, and the drivers' connects do
 * class-path lookups; at a 1 s probe interval over a dozen nodes that was most of an idle platform's database CPU.
 *
 * <p>Detection stays as fast as with a new connection per probe. A kept connection is lent to one probe at a time
 * (taken out of the pool, put back after success; a second probe of the same URL meanwhile opens its own). Every call
 * on it is bounded by the same socket and query timeouts. When it fails, it is closed, and the probe retries once on a
 * new connection only if the failure came quickly (under half the probe timeout: a socket broken by a restart, not a
 * hung server), so a server that hangs is still reported after one timeout, and one that was restarted is not
 * reported at all. An error the server answered about the statement itself ({@link #answered}) keeps the connection.
 * Connections unused for {@code keepIdle} (a node that left the map) are closed at the next return.
 */
final class ProbeConnections implements AutoCloseable {
    /** The work of one probe on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Opens a new connection: {@code DriverManager::getConnection} outside tests. */
    @FunctionalInterface
    interface Opener {
        Connection open(String url, Properties properties) throws SQLException;
    }

    private record Kept(Connection connection, long returnedAtMs) {
    }

    private final Opener opener;
    private final Duration probeTimeout;
    private final Duration keepIdle;
    private final Clock clock;
    private final Map<String, Kept> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ProbeConnections(Opener opener, Duration probeTimeout, Duration keepIdle, Clock clock) {
        this.opener = Objects.requireNonNull(opener, "opener");
        this.probeTimeout = Objects.requireNonNull(probeTimeout, "probeTimeout");
        this.keepIdle = Objects.requireNonNull(keepIdle, "keepIdle");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Runs {@code work} on the kept connection of {@code url} (as {@code properties}' user), or a new one; see the
     * class comment for when a failure on a kept connection is retried on a new one. Throws what the last attempt
     * threw.
     */
    <T> T run(String url, Properties properties, Work<T> work) throws SQLException {
        String key = key(url, properties);
        Kept kept = idle.remove(key);
        if (kept != null) {
            long start = System.nanoTime();
            try {
                return attempt(key, kept.connection(), work);
            } catch (SQLException | RuntimeException e) {
                if (answered(e) || System.nanoTime() - start >= probeTimeout.toNanos() / 2) {
                    // answered: the statement's own error; slow: the server itself does not answer, and a second
                    // try would double the detection time
                    throw e;
                }
            }
        }
        return attempt(key, opener.open(url, properties), work);
    }

    /** Runs {@code work} on {@code c}, then keeps {@code c} unless the failure may have left it unusable. */
    private <T> T attempt(String key, Connection c, Work<T> work) throws SQLException {
        try {
            T result = work.run(c);
            giveBack(key, c);
            return result;
        } catch (SQLException | RuntimeException e) {
            if (answered(e)) {
                giveBack(key, c);
            } else {
                closeQuietly(c);
            }
            throw e;
        }
    }

    /**
     * The server answered with an error about the statement (SQLSTATE class 42: a missing table, a missing
     * privilege), so the connection itself is sound and stays kept. Anything else (a broken socket, a timeout, a
     * cancelled query, a server shutting down) may have left it unusable: it is closed.
     */
    static boolean answered(Exception e) {
        return e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("42");
    }

    /** Connections kept now (tests). */
    int keptCount() {
        return idle.size();
    }

    private void giveBack(String key, Connection c) {
        long now = clock.millis();
        if (closed || idle.putIfAbsent(key, new Kept(c, now)) != null) {
            closeQuietly(c); // stopping, or another probe of the same URL returned its own first
        }
        idle.forEach((k, v) -> {
            if (now - v.returnedAtMs() > keepIdle.toMillis() && idle.remove(k, v)) {
                closeQuietly(v.connection());
            }
        });
        if (closed) {
            closeAll();
        }
    }

    /** Closes every kept connection; connections lent out are closed when they come back. */
    @Override
    public void close() {
        closed = true;
        closeAll();
    }

    private void closeAll() {
        idle.forEach((k, v) -> {
            if (idle.remove(k, v)) {
                closeQuietly(v.connection());
            }
        });
    }

    private static String key(String url, Properties properties) {
        return properties.getProperty("user", "") + "\n" + url;
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // broken already: nothing to release
        }
    }
}
