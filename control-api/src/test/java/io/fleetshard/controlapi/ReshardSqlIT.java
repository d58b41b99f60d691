package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resharder's range-wise copy and validation against real servers of both engine families: key ranges cover a
 * fleet's rows exactly once (keys with quotes, backslashes and timestamps), a copy that runs twice converges, other
 * fleets stay where they are, and a changed row on the target shows as a mismatch of exactly its range.
 */
class ReshardSqlIT {
    private static final int ROWS = 1_234;
    private static final int RANGE_ROWS = 100;

    @TempDir
    Path dir;

    @Test
    void postgresCopiesAndValidatesRangeByRange() throws Exception {
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"))) {
            pg.createDatabase("src");
            pg.createDatabase("tgt");
            String ddl = "CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text"
                    + " NOT NULL, ts timestamptz NOT NULL, speed double precision, note text,"
                    + " PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))";
            String ddlOne = "CREATE TABLE fleet_settings (tenant_id text NOT NULL, fleet_id text NOT NULL,"
                    + " setting text, PRIMARY KEY (tenant_id, fleet_id))";
            exercise(Engine.POSTGRES, pg.jdbcUrl("src"), pg.jdbcUrl("tgt"), ddl, ddlOne,
                    "timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => ?)");
        }
    }

    @Test
    void postgresPrepareSurvivesAnotherSessionCreatingTheSameTables() throws Exception {
        // the delta sync creates the marker and progress tables on the target as the job's copy prepares them: the
        // first move to a shard met PostgreSQL's non-atomic IF NOT EXISTS (a unique violation in pg_type)
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg-race"))) {
            pg.createDatabase("race");
            ReshardSql sql = ReshardSql.of(Engine.POSTGRES);
            try (Connection a = DriverManager.getConnection(pg.jdbcUrl("race"));
                    Connection b = DriverManager.getConnection(pg.jdbcUrl("race"));
                    Statement st = a.createStatement()) {
                st.execute("CREATE TABLE fleetshard_fence (tenant_id text, fleet_id text, job_id text)");
                java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
                try {
                    for (int round = 0; round < 20; round++) {
                        st.execute("DROP TABLE IF EXISTS " + ReshardSql.MARKER_TABLE + ", " + ReshardSql.PROGRESS_TABLE);
                        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                        java.util.concurrent.Future<?> onB = other.submit(() -> {
                            together.await();
                            sql.prepare(b);
                            return null;
                        });
                        together.await();
                        sql.prepare(a);
                        onB.get();
                    }
                } finally {
                    other.shutdownNow();
                }
                assertThat(sql.progress(a, "no-job")).isNull();
            }
        }
    }

    @Test
    void mariaDbCopiesAndValidatesRangeByRange() throws Exception {
        try (MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            maria.createDatabase("src");
            maria.createDatabase("tgt");
            String ddl = "CREATE TABLE telemetry (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL,"
                    + " vehicle_id varchar(64) NOT NULL, ts datetime(6) NOT NULL, speed double, note text,"
                    + " PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))";
            String ddlOne = "CREATE TABLE fleet_settings (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT"
                    + " NULL, setting text, PRIMARY KEY (tenant_id, fleet_id))";
            exercise(Engine.MARIADB, maria.jdbcUrl("src"), maria.jdbcUrl("tgt"), ddl, ddlOne,
                    "TIMESTAMP('2026-01-01 00:00:00') + INTERVAL ? SECOND");
        }
    }

    private static void exercise(Engine engine, String srcUrl, String tgtUrl, String ddl, String ddlOne,
            String tsExpression) throws Exception {
        ReshardSql sql = ReshardSql.of(engine);
        try (Connection src = DriverManager.getConnection(srcUrl); Connection tgt = DriverManager.getConnection(tgtUrl)) {
            for (Connection c : List.of(src, tgt)) {
                try (Statement st = c.createStatement()) {
                    st.execute(ddl);
                    st.execute(ddlOne);
                }
            }
            try (PreparedStatement ps = src.prepareStatement("INSERT INTO telemetry (tenant_id, fleet_id, vehicle_id,"
                    + " ts, speed, note) VALUES (?, ?, ?, " + tsExpression + ", ?, ?)")) {
                for (int i = 0; i < ROWS + 7; i++) {
                    boolean moving = i < ROWS;
                    ps.setString(1, "acme");
                    ps.setString(2, moving ? "trucks" : "vans");
                    ps.setString(3, "v'" + (i % 13) + "\\x"); // quotes and backslashes in the key
                    ps.setInt(4, i * 7); // many rows per vehicle, ordered by time
                    ps.setObject(5, i % 5 == 0 ? null : i * 1.25);
                    ps.setString(6, i % 4 == 0 ? null : "note " + i + " with 'quote'");
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (Statement st = src.createStatement()) {
                st.execute("INSERT INTO fleet_settings VALUES ('acme', 'trucks', 'eco'), ('acme', 'vans', 'sport')");
            }
            List<ReshardTable> tables = sql.tables(src);
            assertThat(tables).extracting(ReshardTable::name).containsExactly("fleet_settings", "telemetry");
            ReshardTable telemetry = tables.get(1);
            ReshardTable settings = tables.get(0);

            ReshardSql.FleetRanges fleetRanges = sql.ranges(src, telemetry, "acme", "trucks", RANGE_ROWS);
            List<ReshardSql.KeyRange> ranges = fleetRanges.ranges();
            assertThat(ranges).hasSize(ROWS / RANGE_ROWS + 1);
            assertThat(fleetRanges.rows()).isEqualTo(ROWS);
            // a range size that does not divide the rows: the count still covers every row
            List<ReshardSql.KeyRange> cut = new java.util.ArrayList<>();
            ReshardSql.FleetRanges uneven = sql.ranges(src, telemetry, "acme", "trucks", 300, cut::add);
            assertThat(uneven.ranges()).hasSize(ROWS / 300 + 1);
            assertThat(uneven.rows()).isEqualTo(ROWS);
            assertThat(cut).as("each range but the last handed over as found, in order")
                    .isEqualTo(uneven.ranges().subList(0, uneven.ranges().size() - 1));
            assertThat(src.getAutoCommit()).as("the scan's cursor transaction ended").isTrue();
            assertThat(sql.ranges(src, telemetry, "acme", "nobody", RANGE_ROWS))
                    .isEqualTo(new ReshardSql.FleetRanges(List.of(ReshardSql.KeyRange.ALL), 0));
            assertThat(sql.ranges(src, settings, "acme", "trucks", RANGE_ROWS)).isEqualTo(
                    new ReshardSql.FleetRanges(List.of(ReshardSql.KeyRange.ALL), 1));

            // every row of the fleet in exactly one range
            List<ReshardSql.Checksum> sums = checksums(sql, src, telemetry, ranges);
            assertThat(sums.subList(0, sums.size() - 1)).allSatisfy(c -> assertThat(c.rows()).isEqualTo(RANGE_ROWS));
            assertThat(sums.stream().mapToLong(ReshardSql.Checksum::rows).sum()).isEqualTo(ROWS);
            // validation's coarser ranges, joined from the copy's: still every row in exactly one range
            List<ReshardOrchestrator.RangeOfFleet> joined = ReshardOrchestrator.joined(ranges.stream()
                    .map(r -> new ReshardOrchestrator.RangeOfFleet("acme/trucks", telemetry, r, RANGE_ROWS))
                    .toList(), 4 * RANGE_ROWS);
            assertThat(joined).hasSize((ROWS / RANGE_ROWS + 1 + 3) / 4);
            List<ReshardSql.Checksum> joinedSums = checksums(sql, src, telemetry,
                    joined.stream().map(ReshardOrchestrator.RangeOfFleet::range).toList());
            // 13 ranges in ceil(1,300 / 400) = 4 joined ones of about equal size
            assertThat(joinedSums).extracting(ReshardSql.Checksum::rows)
                    .containsExactly(3L * RANGE_ROWS, 3L * RANGE_ROWS, 4L * RANGE_ROWS, ROWS - 10L * RANGE_ROWS);
            assertThat(joinedSums.stream().mapToLong(ReshardSql.Checksum::rows).sum()).isEqualTo(ROWS);

            for (int pass = 0; pass < 2; pass++) { // a second copy (a resumed job) converges to the same rows
                long copied = 0;
                tgt.setAutoCommit(false);
                for (ReshardSql.KeyRange r : ranges) {
                    copied += sql.copyRange(src, tgt, telemetry, "acme", "trucks", r, 37);
                    tgt.commit();
                }
                copied += sql.copyRange(src, tgt, settings, "acme", "trucks", ReshardSql.KeyRange.ALL, 37);
                tgt.commit();
                tgt.setAutoCommit(true);
                assertThat(copied).isEqualTo(ROWS + 1);
                assertThat(checksums(sql, tgt, telemetry, ranges)).isEqualTo(sums);
                assertThat(count(tgt, "telemetry")).isEqualTo(ROWS);
            }
            assertThat(sql.checksum(tgt, settings, "acme", "trucks", ReshardSql.KeyRange.ALL))
                    .isEqualTo(sql.checksum(src, settings, "acme", "trucks", ReshardSql.KeyRange.ALL));
            assertThat(sql.checksum(tgt, telemetry, "acme", "vans", ReshardSql.KeyRange.ALL).rows())
                    .as("another fleet is not copied").isZero();

            // one changed value on the target: its range, and only its range, differs
            try (Statement st = tgt.createStatement()) {
                assertThat(st.executeUpdate("UPDATE telemetry SET speed = 99.5 WHERE speed = 501.25")).isEqualTo(1);
            }
            List<ReshardSql.Checksum> after = checksums(sql, tgt, telemetry, ranges);
            List<Integer> differing = new ArrayList<>();
            for (int i = 0; i < ranges.size(); i++) {
                if (!after.get(i).equals(sums.get(i))) {
                    differing.add(i);
                }
            }
            assertThat(differing).hasSize(1);
            assertThat(after.get(differing.get(0)).rows()).isEqualTo(sums.get(differing.get(0)).rows());

            // the row-level diff names that row with the key a change event of it carries (after a restart in
            // validate, such keys are looked up in the target's shard log)
            ReshardSql.KeyRange changed = ranges.get(differing.get(0));
            java.util.Map<RowKey, String> a = sql.rowHashes(src, telemetry, "acme", "trucks", changed);
            java.util.Map<RowKey, String> b = sql.rowHashes(tgt, telemetry, "acme", "trucks", changed);
            assertThat(a).hasSize((int) sums.get(differing.get(0)).rows()).hasSameSizeAs(b);
            List<RowKey> diff = a.keySet().stream().filter(k -> !a.get(k).equals(b.get(k))).toList();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            RowKey asCaptured = RowKey.ofEvent("telemetry", json.readTree("{\"tenant_id\":\"acme\",\"fleet_id\":"
                    + "\"trucks\",\"vehicle_id\":\"v'11\\\\x\",\"ts\":\"2026-01-01T00:46:47Z\"}"));
            assertThat(diff).containsExactly(asCaptured);

            markersAndProgress(sql, tgt);
        }
    }

    /**
     * A progress table of before {@code fence_seq} gets the column; each tagged transaction's marker returns the
     * slot's next sequence number, which is what a cutover waits for the delta sync to report.
     */
    private static void markersAndProgress(ReshardSql sql, Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE fleetshard_fence (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL,"
                    + " job_id varchar(64) NOT NULL, PRIMARY KEY (tenant_id, fleet_id))");
            st.execute("CREATE TABLE fleetshard_reshard_progress (job_id varchar(64) PRIMARY KEY, source_offset bigint"
                    + " NOT NULL, fence_seen " + (sql instanceof ReshardSql.Postgres ? "boolean" : "tinyint")
                    + " NOT NULL, updated_at_ms bigint NOT NULL)");
            st.execute("INSERT INTO fleetshard_reshard_progress VALUES ('old-job', 7, "
                    + (sql instanceof ReshardSql.Postgres ? "true" : "1") + ", 1)");
        }
        sql.prepare(c);
        sql.prepare(c); // idempotent
        assertThat(sql.progress(c, "old-job")).isEqualTo(new ReshardSql.DeltaProgress(7, 0, 1));
        assertThat(sql.progress(c, "no-job")).isNull();
        int slot = ReshardSql.slotOf("j1");
        long first = sql.beginTagged(c, slot, "j1", "fence");
        c.commit();
        long second = sql.beginTagged(c, slot, "j1", "fence");
        c.rollback();
        long third = sql.beginTagged(c, slot, "j1", "fence");
        c.commit();
        c.setAutoCommit(true);
        assertThat(second).isEqualTo(first + 1);
        assertThat(third).as("a rolled-back marker does not count").isEqualTo(first + 1);
    }

    private static List<ReshardSql.Checksum> checksums(ReshardSql sql, Connection c, ReshardTable t,
            List<ReshardSql.KeyRange> ranges) throws SQLException {
        List<ReshardSql.Checksum> out = new ArrayList<>();
        for (ReshardSql.KeyRange r : ranges) {
            out.add(sql.checksum(c, t, "acme", "trucks", r));
        }
        return out;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
