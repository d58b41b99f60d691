package io.fleetshard.controlapi;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one job's delta-sync progress row on the target (ADR 0046), for the cutover waiting for its fence and the
 * catch-up waiting for its probe. On PostgreSQL the delta sync notifies channel {@link #CHANNEL} with the job id in
 * the transaction that moves the row, so the notice arrives when the row's change is visible: the watch {@code LISTEN}s
 * on its target connection, blocks on it, and re-reads the row when a notice of its job came, or after
 * {@code fallbackMs} without one (a lost notice, or a delta sync older than the notices, never stalls a cutover). On
 * MariaDB, which has no notices, it re-reads the row every {@code pollMs}, waiting through the orchestrator's pause
 * (which a map change cuts short).
 *
 * <p>Not thread-safe: one job's worker uses it. The connection stays in autocommit: PostgreSQL hands notices to a
 * session only between its transactions.
 */
final class DeltaProgressWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaProgressWatch.class);
    /** The channel the delta sync notifies (stream-processors, {@code JdbcTargetWriter}); the payload is the job id. */
    static final String CHANNEL = "fleetshard_reshard_progress";

    /** Why the last {@link #next} re-read the row. */
    enum Wake {
        /** A notice of this job: the delta sync committed a move of its row. */
        NOTICE,
        /** The interval (MariaDB's poll, PostgreSQL's fallback) or the caller's bound ran out without a notice. */
        INTERVAL
    }

    private final ReshardSql sql;
    private final Connection target;
    private final String jobId;
    private final PGConnection notices;
    private final long fallbackMs;
    private final long pollMs;
    private final LongConsumer pause;
    private Wake lastWake;
    private long noticesSeen;
    private long reads;

    private DeltaProgressWatch(ReshardSql sql, Connection target, String jobId, PGConnection notices, long fallbackMs,
            long pollMs, LongConsumer pause) {
        this.sql = sql;
        this.target = target;
        this.jobId = jobId;
        this.notices = notices;
        this.fallbackMs = fallbackMs;
        this.pollMs = pollMs;
        this.pause = pause;
    }

    /**
     * Starts watching: on PostgreSQL {@code LISTEN}s at once (a row moved before the first {@link #read} is seen by
     * that read, any later move by a notice).
     *
     * @param fallbackMs PostgreSQL: the longest wait for a notice before the row is re-read anyway
     * @param pollMs MariaDB: the interval between reads
     * @param pause MariaDB: waits the given milliseconds (or less)
     */
    static DeltaProgressWatch open(ReshardSql sql, Connection target, String jobId, long fallbackMs, long pollMs,
            LongConsumer pause) throws SQLException {
        if (fallbackMs < 1 || pollMs < 1) {
            throw new IllegalArgumentException("fallbackMs and pollMs must be at least 1, got " + fallbackMs + " and "
                    + pollMs);
        }
        PGConnection pg = null;
        if (sql instanceof ReshardSql.Postgres) {
            pg = target.unwrap(PGConnection.class);
            if (!target.getAutoCommit()) {
                target.commit(); // LISTEN takes effect at commit, and notices arrive only between transactions
                target.setAutoCommit(true);
            }
            try (Statement st = target.createStatement()) {
                st.execute("LISTEN " + CHANNEL);
            }
        }
        return new DeltaProgressWatch(sql, target, jobId, pg, fallbackMs, pollMs, pause);
    }

    /** The job's progress row now, or null while the delta sync wrote none. */
    ReshardSql.DeltaProgress read() throws SQLException {
        reads++;
        return sql.progress(target, jobId);
    }

    /**
     * Waits until the row may have moved — a notice of this job, else the fallback (PostgreSQL) or poll interval
     * (MariaDB) — but at most {@code maxWaitMs}, then reads it.
     */
    ReshardSql.DeltaProgress next(long maxWaitMs) throws SQLException {
        await(maxWaitMs);
        return read();
    }

    /** As {@link #next}, without reading the row (a caller that reads it on its own); returns why it woke. */
    Wake await(long maxWaitMs) throws SQLException {
        lastWake = awaitNotice(Math.max(1, maxWaitMs)) ? Wake.NOTICE : Wake.INTERVAL;
        return lastWake;
    }

    /** Why the last {@link #next} read the row; null before the first. */
    Wake lastWake() {
        return lastWake;
    }

    /** Reads of the progress row so far. */
    long reads() {
        return reads;
    }

    /** Notices of this job seen so far. */
    long noticesSeen() {
        return noticesSeen;
    }

    /** Whether the row is watched through notices (PostgreSQL) rather than polled. */
    boolean notified() {
        return notices != null;
    }

    /** Drops the notices received so far without waiting (a caller that reads the row on its own meanwhile). */
    void discardNotices() throws SQLException {
        if (notices != null) {
            count(notices.getNotifications());
        }
    }

    private boolean awaitNotice(long maxWaitMs) throws SQLException {
        if (notices == null) {
            pause.accept(Math.min(pollMs, maxWaitMs));
            return false;
        }
        long waitMs = Math.min(fallbackMs, maxWaitMs);
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        // notices received with an earlier statement's answer are held by the driver: they count without waiting
        if (count(notices.getNotifications())) {
            return true;
        }
        while (true) {
            long leftMs = (deadline - System.nanoTime() + 999_999) / 1_000_000;
            if (leftMs <= 0) {
                return false;
            }
            // blocks until a notice (of any job on this database) or the time is up; never 0, which blocks for good
            if (count(notices.getNotifications((int) Math.min(Integer.MAX_VALUE, leftMs)))) {
                return true;
            }
        }
    }

    /** Whether {@code received} holds a notice of this job. */
    private boolean count(PGNotification[] received) {
        boolean ours = false;
        if (received != null) {
            for (PGNotification n : received) {
                if (CHANNEL.equals(n.getName()) && jobId.equals(n.getParameter())) {
                    noticesSeen++;
                    ours = true;
                }
            }
        }
        return ours;
    }

    /** Stops listening; a failure is logged only (the connection is closed next anyway). */
    @Override
    public void close() {
        try {
            if (notices == null || target.isClosed()) { // closing the session ends its LISTEN too
                return;
            }
        } catch (SQLException e) {
            return;
        }
        try (Statement st = target.createStatement()) {
            st.execute("UNLISTEN " + CHANNEL);
        } catch (SQLException e) {
            LOG.debug("reshard job {}: UNLISTEN failed: {}", jobId, e.toString());
        }
    }
}
