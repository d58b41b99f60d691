package io.fleetshard.streams;

import io.fleetshard.standby.ChangeApplier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target shard over JDBC (PostgreSQL or MariaDB/MySQL). Every transaction is a tagged resharder transaction of
 * ADR 0013: it sets the session's resharder flag (so the write fence lets it through), begins with the marker upsert
 * into {@code fleetshard_reshard_tx} (so capture keeps it out of the change topics), locks and reads this job's
 * {@code fleetshard_reshard_progress} row, applies the changes above its offset through the standby's
 * {@link ChangeApplier}, and moves the row forward; on PostgreSQL it also notifies {@link #PROGRESS_CHANNEL} with the
 * job id, which the commit delivers to the control API waiting for the fence (ADR 0046). A failed attempt is rolled
 * back and retried on a new connection, a bounded number of times; an unknown outcome (the commit's answer lost) is
 * safe to retry, since the retry skips what the progress row covers.
 */
final class JdbcTargetWriter implements TargetWriter {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcTargetWriter.class);
    static final String TX_TABLE = "fleetshard_reshard_tx";
    static final String PROGRESS_TABLE = "fleetshard_reshard_progress";
    /** Marker slots 1000-1999 belong to delta sync (ADR 0013: one row per resharder connection slot). */
    static final int SLOT_BASE = 1000;
    /**
     * PostgreSQL: the channel on which every apply announces, with the job id as payload, that it moved the job's
     * progress row (ADR 0046); the control API's cutover and probe wait on it instead of polling the row.
     */
    static final String PROGRESS_CHANNEL = "fleetshard_reshard_progress";

    private final String jobId;
    private final String jdbcUrl;
    private final boolean postgres;
    private final int batchSize;
    private final int attempts;
    private final long backoffMs;
    private final Clock clock;
    private final int slot;
    private final AtomicLong unknownColumns = new AtomicLong();
    private Connection connection;
    private ChangeApplier applier;

    JdbcTargetWriter(String jobId, String jdbcUrl, int batchSize, int attempts, long backoffMs, Clock clock) {
        this.jobId = jobId;
        this.jdbcUrl = jdbcUrl;
        this.postgres = ChangeApplier.isPostgres(jdbcUrl);
        this.batchSize = batchSize;
        this.attempts = attempts;
        this.backoffMs = backoffMs;
        this.clock = clock;
        this.slot = slotOf(jobId);
    }

    /** The marker slot of a job: 1000 + its id's hash mod 1000 (two jobs sharing one only serialize their batches). */
    static int slotOf(String jobId) {
        return SLOT_BASE + Math.floorMod(jobId.hashCode(), 1000);
    }

    @Override
    public TargetProgress stored() {
        return withRetries("read the progress row", c -> {
            TargetProgress p = readProgress(c, false);
            c.commit();
            return p;
        });
    }

    @Override
    public TargetProgress apply(List<TargetChange> changes, long lastOffset, long fenceSeq) {
        return withRetries("apply " + changes.size() + " changes through shard-log offset " + lastOffset, c -> {
            try (Statement s = c.createStatement()) {
                s.execute(postgres ? "SET LOCAL fleetshard.resharder = 'on'" : "SET @fleetshard_resharder = 1");
            }
            try (PreparedStatement ps = c.prepareStatement(markerSql())) {
                ps.setInt(1, slot);
                ps.setString(2, jobId);
                ps.executeUpdate();
            }
            TargetProgress before = readProgress(c, true);
            int applied = 0;
            for (TargetChange ch : changes) {
                if (ch.offset() <= before.sourceOffset()) {
                    continue;
                }
                if (ch.delete()) {
                    applier.delete(ch.offset(), ch.table(), ch.key());
                } else {
                    applier.upsert(ch.offset(), ch.table(), ch.after());
                }
                applied++;
            }
            applier.flush();
            try (PreparedStatement ps = c.prepareStatement(progressSql())) {
                ps.setString(1, jobId);
                ps.setLong(2, lastOffset);
                ps.setBoolean(3, fenceSeq > 0);
                ps.setLong(4, fenceSeq);
                ps.setLong(5, clock.millis());
                if (postgres) {
                    ps.setString(6, PROGRESS_CHANNEL);
                    ps.setString(7, jobId);
                }
                ps.execute(); // PostgreSQL: a row of its RETURNING, not read
            }
            c.commit();
            return new TargetProgress(Math.max(before.sourceOffset(), lastOffset), Math.max(before.fenceSeq(), fenceSeq),
                    applied);
        });
    }

    /** Image columns the target lacks, so far (skipped, warned once per column by the applier). */
    long unknownColumns() {
        return unknownColumns.get();
    }

    private TargetProgress readProgress(Connection c, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT source_offset, fence_seq FROM " + PROGRESS_TABLE
                + " WHERE job_id = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new TargetProgress(rs.getLong(1), rs.getLong(2), 0) : TargetProgress.NONE;
            }
        }
    }

    private String markerSql() {
        return postgres
                ? "INSERT INTO " + TX_TABLE + " (slot, job_id, kind, seq) VALUES (?, ?, 'apply', 1) ON CONFLICT (slot) DO UPDATE "
                        + "SET job_id = EXCLUDED.job_id, kind = EXCLUDED.kind, seq = " + TX_TABLE + ".seq + 1"
                : "INSERT INTO " + TX_TABLE + " (slot, job_id, kind, seq) VALUES (?, ?, 'apply', 1) ON DUPLICATE KEY UPDATE "
                        + "job_id = VALUES(job_id), kind = VALUES(kind), seq = seq + 1";
    }

    /**
     * Offset and fence sequence never backwards (a replay, a zombie). On PostgreSQL the upsert also notifies
     * {@link #PROGRESS_CHANNEL} (its RETURNING, so no round trip more): queued in this transaction, delivered to
     * listeners at its commit and never if it rolls back, and not a change in the WAL, so capture sees the transaction
     * as before (ADR 0046).
     */
    private String progressSql() {
        return postgres
                ? "INSERT INTO " + PROGRESS_TABLE + " (job_id, source_offset, fence_seen, fence_seq, updated_at_ms) VALUES "
                        + "(?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET source_offset = GREATEST(" + PROGRESS_TABLE
                        + ".source_offset, EXCLUDED.source_offset), fence_seen = " + PROGRESS_TABLE + ".fence_seen OR "
                        + "EXCLUDED.fence_seen, fence_seq = GREATEST(" + PROGRESS_TABLE + ".fence_seq, EXCLUDED.fence_seq), "
                        + "updated_at_ms = EXCLUDED.updated_at_ms RETURNING pg_notify(?, ?)"
                : "INSERT INTO " + PROGRESS_TABLE + " (job_id, source_offset, fence_seen, fence_seq, updated_at_ms) VALUES "
                        + "(?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE source_offset = GREATEST(source_offset, "
                        + "VALUES(source_offset)), fence_seen = GREATEST(fence_seen, VALUES(fence_seen)), "
                        + "fence_seq = GREATEST(fence_seq, VALUES(fence_seq)), updated_at_ms = VALUES(updated_at_ms)";
    }

    private List<String> ddl() {
        return postgres
                ? List.of("CREATE TABLE IF NOT EXISTS " + TX_TABLE + " (slot int PRIMARY KEY, job_id text NOT NULL, "
                                + "kind text NOT NULL, seq bigint NOT NULL)",
                        "CREATE TABLE IF NOT EXISTS " + PROGRESS_TABLE + " (job_id text PRIMARY KEY, source_offset bigint NOT NULL, "
                                + "fence_seen boolean NOT NULL, fence_seq bigint NOT NULL DEFAULT 0, updated_at_ms bigint NOT NULL)")
                : List.of("CREATE TABLE IF NOT EXISTS " + TX_TABLE + " (slot INT PRIMARY KEY, job_id VARCHAR(64) NOT NULL, "
                                + "kind VARCHAR(16) NOT NULL, seq BIGINT NOT NULL)",
                        "CREATE TABLE IF NOT EXISTS " + PROGRESS_TABLE + " (job_id VARCHAR(64) PRIMARY KEY, "
                                + "source_offset BIGINT NOT NULL, fence_seen TINYINT(1) NOT NULL, fence_seq BIGINT NOT NULL DEFAULT 0, "
                                + "updated_at_ms BIGINT NOT NULL)");
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T withRetries(String what, Work<T> work) {
        SQLException last = null;
        long pause = backoffMs;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return work.run(connection());
            } catch (RuntimeException e) {
                disconnect(); // rolls back: nothing of a half-done transaction stays
                throw e;
            } catch (SQLException e) {
                last = e;
                LOG.warn("delta sync job '{}': could not {} on {} (attempt {} of {}): {}", jobId, what,
                        DeltaSyncSpec.redact(jdbcUrl), attempt, attempts, e.toString());
                disconnect();
                if (attempt < attempts) {
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new TargetUnavailable("interrupted while waiting to retry: " + what, ie);
                    }
                    pause *= 2;
                }
            }
        }
        throw new TargetUnavailable("delta sync job '" + jobId + "' could not " + what + " on the target "
                + DeltaSyncSpec.redact(jdbcUrl) + " in " + attempts + " attempts (last: " + last.getMessage()
                + "); its stream thread is replaced and retries from the target's progress row", last);
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection c = ChangeApplier.connect(jdbcUrl);
            try (Statement s = c.createStatement()) {
                createTables(c, s);
                // fence_seq came after the table (a lifted fence's successor is told apart by it); MySQL 8 has no
                // ADD COLUMN IF NOT EXISTS
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_name = '"
                        + PROGRESS_TABLE + "' AND column_name = 'fence_seq' AND table_schema = "
                        + (postgres ? "current_schema()" : "DATABASE()"))) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        s.execute("ALTER TABLE " + PROGRESS_TABLE + " ADD COLUMN fence_seq BIGINT NOT NULL DEFAULT 0");
                    }
                }
                c.commit();
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            connection = c;
            applier = new ChangeApplier(c, jdbcUrl, batchSize, unknownColumns::incrementAndGet);
        }
        return connection;
    }

    /**
     * Runs the {@code CREATE TABLE IF NOT EXISTS} statements, which the resharder runs on the same target when a job
     * starts: PostgreSQL's check is not atomic with the creation, so the loser of a concurrent creation fails on the
     * catalog's unique index (23505), as a duplicate table (42P07) or row type (42710). Rolled back and run again, the
     * statements find the winner's tables (rather than a failed attempt, a warning and a backoff pause).
     */
    private void createTables(Connection c, Statement s) throws SQLException {
        try {
            for (String sql : ddl()) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            if (!postgres || !Set.of("23505", "42P07", "42710").contains(e.getSQLState())) {
                throw e;
            }
            c.rollback();
            for (String sql : ddl()) {
                s.execute(sql);
            }
        }
    }

    private void disconnect() {
        if (applier != null) {
            applier.close();
            applier = null;
        }
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // closing anyway
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        disconnect();
    }

    /** The target could not be written within the bounded attempts: retriable by replacing the stream thread. */
    static final class TargetUnavailable extends StreamProcessorException {
        private static final long serialVersionUID = 1L;

        TargetUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
