package io.fleetshard.router;

import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PostgreSQL primary with one streaming replica, shared by the tests of a class. Each shard of a test is a database
 * of its own on it (unique names), with {@link FleetSchema} installed; the replica carries every database.
 */
final class PostgresCluster implements AutoCloseable {
    static final String SECRET = "it-secret-0123456789abcdef";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final PostgresNode primary;
    final PostgresNode replica;

    PostgresCluster(Path dir, boolean withReplica) {
        primary = PostgresNode.startPrimary(dir.resolve("primary"));
        replica = withReplica ? primary.startReplica(dir.resolve("replica"), "router_it", false) : null;
    }

    /** A fresh database with the fleet schema, named after {@code prefix}. */
    String newShardDatabase(String prefix) {
        String db = prefix + "_" + SEQ.incrementAndGet() + "_" + ProcessHandle.current().pid();
        primary.createDatabase(db);
        FleetSchema.install(primary.jdbcUrl(db), SECRET);
        return db;
    }

    void waitForReplica() {
        replica.waitForReplayOf(primary, Duration.ofSeconds(30));
    }

    void pauseReplay() {
        execute(replica.jdbcUrl("postgres"), "SELECT pg_wal_replay_pause()");
    }

    void resumeReplay() {
        execute(replica.jdbcUrl("postgres"), "SELECT pg_wal_replay_resume()");
    }

    static void execute(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (replica != null) {
            replica.close();
        }
        primary.close();
    }
}
