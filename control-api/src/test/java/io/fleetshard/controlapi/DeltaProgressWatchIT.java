package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cutover's wait for the delta sync's progress row against real servers (ADR 0046): on PostgreSQL a notice of the
 * job, committed with the row, wakes the waiter although its fallback is minutes away; a row moved without a notice
 * (a delta sync older than the notices) is still found at the fallback; another job's notice does not count. MariaDB
 * polls. The delta sync's side (its transaction notifies, capture sees no more than before) is in {@code DeltaSyncIT}.
 */
class DeltaProgressWatchIT {
    /** Far beyond any test's run: a wait that ends before it was woken by a notice. */
    private static final long NEVER_MS = 120_000;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger IDS = new AtomicInteger();

    @TempDir
    static Path dir;
    static PostgresNode pg;

    @BeforeAll
    static void start() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aNoticeOfTheJobWakesTheWaiterLongBeforeItsFallback() throws Exception {
        String url = postgresTarget();
        ReshardSql sql = ReshardSql.of(Engine.POSTGRES);
        try (Connection tgt = DriverManager.getConnection(url);
                DeltaProgressWatch watch = DeltaProgressWatch.open(sql, tgt, "job-a", NEVER_MS, 1, ms -> {
                    throw new AssertionError("PostgreSQL never polls");
                })) {
            assertThat(watch.notified()).isTrue();
            assertThat(watch.read()).isNull();
            // another job on the same target first: its notice is not this job's, the waiter goes on waiting
            CompletableFuture<Void> deltaSync = CompletableFuture.runAsync(() -> {
                commitProgress(url, "job-b", 3, 9, true);
                commitProgress(url, "job-a", 41, 7, true);
            });
            ReshardSql.DeltaProgress d = watch.next(NEVER_MS);
            while (d == null || d.fenceSeq() < 7) { // a notice is the only way out before NEVER_MS
                assertThat(watch.lastWake()).isEqualTo(DeltaProgressWatch.Wake.NOTICE);
                d = watch.next(NEVER_MS);
            }
            deltaSync.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(watch.lastWake()).as("woken by the delta sync's notice, not the fallback")
                    .isEqualTo(DeltaProgressWatch.Wake.NOTICE);
            assertThat(d.sourceOffset()).isEqualTo(41);
            assertThat(d.fenceSeq()).isEqualTo(7);
            assertThat(watch.noticesSeen()).as("job-b's notice is not job-a's").isEqualTo(1);
        }
    }

    @Test
    void aRowMovedWithoutANoticeIsFoundAtTheFallback() throws Exception {
        String url = postgresTarget();
        ReshardSql sql = ReshardSql.of(Engine.POSTGRES);
        try (Connection tgt = DriverManager.getConnection(url);
                DeltaProgressWatch watch = DeltaProgressWatch.open(sql, tgt, "job-old", 50, 1, ms -> {
                    throw new AssertionError("PostgreSQL never polls");
                })) {
            commitProgress(url, "job-old", 12, 4, false); // a delta sync from before the notices
            ReshardSql.DeltaProgress d = watch.read();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (d == null || d.fenceSeq() < 4) {
                assertThat(System.nanoTime()).as("the fallback re-reads the row").isLessThan(deadline);
                d = watch.next(NEVER_MS);
            }
            commitProgress(url, "job-old", 13, 5, false);
            d = watch.next(NEVER_MS);
            assertThat(watch.lastWake()).as("no notice came, the fallback ended the wait")
                    .isEqualTo(DeltaProgressWatch.Wake.INTERVAL);
            assertThat(d.fenceSeq()).isEqualTo(5);
            assertThat(watch.noticesSeen()).isZero();
        }
    }

    @Test
    void aNoticeReceivedWhileTheWaiterWasBusyCountsAtTheNextWait() throws Exception {
        // the cutover stages its placement between listening and its first wait: a notice sent meanwhile is not lost
        String url = postgresTarget();
        ReshardSql sql = ReshardSql.of(Engine.POSTGRES);
        try (Connection tgt = DriverManager.getConnection(url);
                DeltaProgressWatch watch = DeltaProgressWatch.open(sql, tgt, "job-c", NEVER_MS, 1, ms -> {
                    throw new AssertionError("PostgreSQL never polls");
                })) {
            commitProgress(url, "job-c", 5, 2, true);
            ReshardSql.DeltaProgress d = watch.next(NEVER_MS);
            assertThat(watch.lastWake()).isEqualTo(DeltaProgressWatch.Wake.NOTICE);
            assertThat(d.fenceSeq()).isEqualTo(2);
        }
    }

    @Test
    void mariaDbPollsTheRowThroughThePause() throws Exception {
        try (MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            maria.createDatabase("tgt");
            String url = maria.jdbcUrl("tgt");
            ReshardSql sql = ReshardSql.of(Engine.MARIADB);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE " + ReshardSql.FENCE_TABLE + " (tenant_id VARCHAR(64), fleet_id VARCHAR(64),"
                        + " job_id VARCHAR(64))");
                sql.prepare(c);
            }
            AtomicInteger pauses = new AtomicInteger();
            try (Connection tgt = DriverManager.getConnection(url);
                    DeltaProgressWatch watch = DeltaProgressWatch.open(sql, tgt, "job-m", NEVER_MS, 10, ms -> {
                        assertThat(ms).isEqualTo(10);
                        pauses.incrementAndGet();
                    })) {
                assertThat(watch.notified()).isFalse();
                commitProgress(url, "job-m", 8, 3, false);
                ReshardSql.DeltaProgress d = watch.next(NEVER_MS);
                assertThat(d.fenceSeq()).isEqualTo(3);
                assertThat(watch.lastWake()).isEqualTo(DeltaProgressWatch.Wake.INTERVAL);
                assertThat(pauses).hasValue(1);
            }
        }
    }

    /** A target database with the resharder's tables, as a job's copy leaves it. */
    private static String postgresTarget() throws SQLException {
        String db = "w" + IDS.incrementAndGet();
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + ReshardSql.FENCE_TABLE + " (tenant_id text, fleet_id text, job_id text)");
            ReshardSql.of(Engine.POSTGRES).prepare(c);
        }
        return url;
    }

    /**
     * Moves a job's progress row as the delta sync's apply transaction does (stream-processors, JdbcTargetWriter):
     * the upsert and, from ADR 0046 on, the notice in the same transaction.
     */
    private static void commitProgress(String url, String jobId, long offset, long fenceSeq, boolean notify) {
        boolean postgres = url.startsWith("jdbc:postgresql:");
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(postgres
                    ? "INSERT INTO " + ReshardSql.PROGRESS_TABLE + " (job_id, source_offset, fence_seen, fence_seq,"
                            + " updated_at_ms) VALUES (?, ?, true, ?, ?) ON CONFLICT (job_id) DO UPDATE SET source_offset"
                            + " = EXCLUDED.source_offset, fence_seq = EXCLUDED.fence_seq, updated_at_ms ="
                            + " EXCLUDED.updated_at_ms"
                    : "INSERT INTO " + ReshardSql.PROGRESS_TABLE + " (job_id, source_offset, fence_seen, fence_seq,"
                            + " updated_at_ms) VALUES (?, ?, 1, ?, ?) ON DUPLICATE KEY UPDATE source_offset ="
                            + " VALUES(source_offset), fence_seq = VALUES(fence_seq), updated_at_ms ="
                            + " VALUES(updated_at_ms)")) {
                ps.setString(1, jobId);
                ps.setLong(2, offset);
                ps.setLong(3, fenceSeq);
                ps.setLong(4, System.currentTimeMillis());
                ps.executeUpdate();
            }
            if (notify) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                    ps.setString(1, DeltaProgressWatch.CHANNEL);
                    ps.setString(2, jobId);
                    ps.executeQuery().close();
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
