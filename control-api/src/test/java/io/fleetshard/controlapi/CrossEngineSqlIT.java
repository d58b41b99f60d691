package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cross-engine move's SQL (ADR 0047) against a real PostgreSQL and a real MariaDB: both compute the same canonical
 * text of awkward values (doubles with exponents, decimals with trailing zeros, timestamps around the epoch, NULLs),
 * a fleet's rows copied PostgreSQL -> MariaDB -> PostgreSQL range by range come back equal to the microsecond and
 * the bit, every range's count and checksum agree on both engines, a changed row shows, and a value too long for the
 * target fails the copy naming its row and column.
 */
class CrossEngineSqlIT {
    private static final int ROWS = 250;
    private static final int RANGE_ROWS = 40;
    private static final double[] DOUBLES = {0.1, -1.5e-5, 1e20, 1e300, -1e-300, 4.9e-324, 1.0 / 3, 123456789.123,
        9007199254740993.0, 0.0, 1e15, 1e16, 1.7976931348623157e308, 2.5, 100, 0.001, -42.75, 6.02214076e23};
    private static final String[] DECIMALS = {"1.5000", "0.0000", "-12.3400", "123456789.1234", "100.0000", "0.0001"};
    private static final String[] TIMES = {"2026-01-01 00:00:00.123456+00", "1970-01-01 00:00:00+00",
        "1969-12-31 23:59:59.999999+00", "9999-12-31 23:59:59.999999+00", "1000-01-01 00:00:00+00",
        "2026-03-29 01:30:00.5+02"};

    @TempDir
    static Path dir;
    private static PostgresNode pg;
    private static MariaDbNode maria;

    @BeforeAll
    static void start() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
        maria = MariaDbNode.start(dir.resolve("maria"));
    }

    @AfterAll
    static void stop() {
        if (maria != null) {
            maria.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static String pgTable(String amount) {
        return "CREATE TABLE things (tenant_id text NOT NULL, fleet_id text NOT NULL, id text NOT NULL,"
                + " ts timestamptz NOT NULL, n_small int2, n_int int4, n_big int8, amount " + amount + ","
                + " ratio float8, flag boolean, day date, data bytea, note text,"
                + " PRIMARY KEY (tenant_id, fleet_id, id, ts))";
    }

    private static final String MARIA_TABLE = "CREATE TABLE things (tenant_id varchar(64) NOT NULL, fleet_id"
            + " varchar(64) NOT NULL, id varchar(64) NOT NULL, ts datetime(6) NOT NULL, n_small smallint, n_int int,"
            + " n_big bigint, amount decimal(16,6), ratio double, flag tinyint(1), day date, data blob,"
            + " note varchar(200), PRIMARY KEY (tenant_id, fleet_id, id, ts)) CHARACTER SET utf8mb4";

    @Test
    void bothEnginesWriteTheSameCanonicalTextOfEachDouble() throws Exception {
        ReshardSql pgSql = ReshardSql.of(Engine.POSTGRES);
        ReshardSql mariaSql = ReshardSql.of(Engine.MARIADB);
        ColumnType pgDouble = ColumnType.postgres("float8", -1, 53, -1, -1);
        ColumnType mariaDouble = ColumnType.mariaDb("double", "double", -1, 22, -1, -1);
        pg.createDatabase("floats");
        maria.createDatabase("floats");
        try (Connection p = DriverManager.getConnection(pg.jdbcUrl("floats"));
                Connection m = DriverManager.getConnection(maria.jdbcUrl("floats"));
                PreparedStatement onPg = p.prepareStatement("SELECT " + pgSql.canonical("v", pgDouble)
                        + " FROM (SELECT ?::float8 AS v) x");
                PreparedStatement onMaria = m.prepareStatement("SELECT " + mariaSql.canonical("v", mariaDouble)
                        + " FROM (SELECT CAST(? AS DOUBLE) AS v) x")) {
            for (double d : DOUBLES) {
                onPg.setDouble(1, d);
                onMaria.setDouble(1, d);
                String a = single(onPg);
                String b = single(onMaria);
                assertThat(b).as("canonical text of %s: PostgreSQL %s, MariaDB %s", d, a, b).isEqualTo(a);
                if (d == 0.1 || d == 1e20 || d == -1.5e-5 || d == 0.001) {
                    assertThat(a).as("%s", d).isEqualTo(CanonicalValues.ofDouble(d));
                }
            }
        }
    }

    @Test
    void copiesAFleetToMariaDbAndBackRangeByRangeWithEqualChecksums() throws Exception {
        pg.createDatabase("src");
        maria.createDatabase("mid");
        pg.createDatabase("back");
        ReshardSql pgSql = ReshardSql.of(Engine.POSTGRES);
        ReshardSql mariaSql = ReshardSql.of(Engine.MARIADB);
        try (Connection src = DriverManager.getConnection(pg.jdbcUrl("src"));
                Connection mid = DriverManager.getConnection(maria.jdbcUrl("mid"));
                Connection back = DriverManager.getConnection(pg.jdbcUrl("back"))) {
            exec(src, pgTable("numeric(14,4)"));
            exec(mid, MARIA_TABLE);
            exec(back, pgTable("numeric(16,6)"));
            seed(src, "acme", "trucks", ROWS);
            seed(src, "acme", "other", 10);

            CrossEngineTables there = CrossEngineTables.match(pgSql.typed(src, pgSql.tables(src), Engine.POSTGRES),
                    mariaSql.typed(mid, mariaSql.tables(mid), Engine.MARIADB), "pg-1", "maria-1");
            assertThat(there.refusals()).isEmpty();
            copyAndValidate(pgSql, src, there, mariaSql, mid);

            CrossEngineTables home = CrossEngineTables.match(mariaSql.typed(mid, mariaSql.tables(mid),
                    Engine.MARIADB), pgSql.typed(back, pgSql.tables(back), Engine.POSTGRES), "maria-1", "pg-2");
            assertThat(home.refusals()).isEmpty();
            copyAndValidate(mariaSql, mid, home, pgSql, back);

            String rows = "SELECT id, ts, n_small, n_int, n_big, trim_scale(amount), ratio, flag, day, data, note"
                    + " FROM things WHERE fleet_id = 'trucks' ORDER BY id, ts";
            List<String> original = texts(src, rows);
            assertThat(original).hasSize(ROWS);
            assertThat(texts(back, rows)).as("rows after PostgreSQL -> MariaDB -> PostgreSQL").isEqualTo(original);
            assertThat(count(mid, "SELECT count(*) FROM things WHERE fleet_id = 'other'")).isZero();

            // a changed row shows in its range's checksum and by its key
            ReshardTable onMaria = there.onTarget(there.source().get(0));
            ReshardSql.FleetRanges ranges = pgSql.ranges(src, there.source().get(0), "acme", "trucks", RANGE_ROWS);
            exec(mid, "UPDATE things SET ratio = ratio + 1e-9 WHERE id = 'v''9' AND fleet_id = 'trucks'");
            int differing = 0;
            for (ReshardSql.KeyRange r : ranges.ranges()) {
                if (!pgSql.checksum(src, there.source().get(0), "acme", "trucks", r)
                        .equals(mariaSql.checksum(mid, onMaria, "acme", "trucks", r))) {
                    differing++;
                    Map<RowKey, String> a = pgSql.rowHashes(src, there.source().get(0), "acme", "trucks", r);
                    Map<RowKey, String> b = mariaSql.rowHashes(mid, onMaria, "acme", "trucks", r);
                    List<String> keys = new ArrayList<>();
                    a.forEach((k, h) -> {
                        if (!h.equals(b.get(k))) {
                            keys.add(k.toString());
                        }
                    });
                    assertThat(keys).hasSize(1);
                    assertThat(keys.get(0)).contains("v'9");
                }
            }
            assertThat(differing).isEqualTo(1);
        }
    }

    @Test
    void aTextTooLongForTheTargetFailsTheCopyNamingRowAndColumn() throws Exception {
        pg.createDatabase("long_src");
        maria.createDatabase("long_tgt");
        ReshardSql pgSql = ReshardSql.of(Engine.POSTGRES);
        ReshardSql mariaSql = ReshardSql.of(Engine.MARIADB);
        try (Connection src = DriverManager.getConnection(pg.jdbcUrl("long_src"));
                Connection tgt = DriverManager.getConnection(maria.jdbcUrl("long_tgt"))) {
            exec(src, pgTable("numeric(14,4)"));
            exec(tgt, MARIA_TABLE);
            exec(src, "INSERT INTO things (tenant_id, fleet_id, id, ts, note) VALUES ('acme', 'vans', 'x1',"
                    + " '2026-01-01 00:00:00+00', repeat('n', 201))");
            CrossEngineTables x = CrossEngineTables.match(pgSql.typed(src, pgSql.tables(src), Engine.POSTGRES),
                    mariaSql.typed(tgt, mariaSql.tables(tgt), Engine.MARIADB), "pg-1", "maria-1");
            ReshardTable t = x.source().get(0);
            tgt.setAutoCommit(false);
            assertThatThrownBy(() -> CrossEngineCopy.copyRange(pgSql, src, t, mariaSql, tgt, x.onTarget(t), "acme",
                    "vans", ReshardSql.KeyRange.ALL, 100))
                    .isInstanceOf(CrossEngineCopy.ValueDoesNotFit.class)
                    .hasMessageContaining("table things, row [tenant_id, fleet_id, id, ts] = [acme, vans, x1,")
                    .hasMessageContaining("column note: its 201 characters do not fit varchar(200)");
            tgt.rollback();
        }
    }

    private static void copyAndValidate(ReshardSql srcSql, Connection src, CrossEngineTables x, ReshardSql tgtSql,
            Connection tgt) throws Exception {
        ReshardTable from = x.source().get(0);
        ReshardTable to = x.onTarget(from);
        ReshardSql.FleetRanges ranges = srcSql.ranges(src, from, "acme", "trucks", RANGE_ROWS);
        assertThat(ranges.rows()).isEqualTo(ROWS);
        assertThat(ranges.ranges()).hasSize(ROWS / RANGE_ROWS + 1);
        tgt.setAutoCommit(false);
        long copied = 0;
        for (int twice = 0; twice < 2; twice++) { // a copy that runs again converges
            copied = 0;
            for (ReshardSql.KeyRange r : ranges.ranges()) {
                copied += CrossEngineCopy.copyRange(srcSql, src, from, tgtSql, tgt, to, "acme", "trucks", r, 17);
                tgt.commit();
            }
        }
        tgt.setAutoCommit(true);
        assertThat(copied).isEqualTo(ROWS);
        long rows = 0;
        for (ReshardSql.KeyRange r : ranges.ranges()) {
            ReshardSql.Checksum a = srcSql.checksum(src, from, "acme", "trucks", r);
            ReshardSql.Checksum b = tgtSql.checksum(tgt, to, "acme", "trucks", r);
            assertThat(b).as("range %s", r).isEqualTo(a);
            rows += a.rows();
        }
        assertThat(rows).isEqualTo(ROWS);
        assertThat(tgtSql.checksum(tgt, to, "acme", "trucks", ReshardSql.KeyRange.ALL))
                .isEqualTo(srcSql.checksum(src, from, "acme", "trucks", ReshardSql.KeyRange.ALL));
    }

    private static void seed(Connection c, String tenant, String fleet, int n) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO things VALUES (?, ?, ?, ?::timestamptz, ?, ?, ?,"
                + " ?::numeric, ?, ?, ?::date, ?, ?)")) {
            for (int i = 0; i < n; i++) {
                boolean nulls = i % 11 == 5;
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setString(3, (i % 3 == 0 ? "v'" : i % 3 == 1 ? "v\\" : "v|") + i);
                ps.setString(4, TIMES[i % TIMES.length]);
                ps.setObject(5, nulls ? null : (short) (i % 2 == 0 ? -32768 + i : 32767 - i), java.sql.Types.SMALLINT);
                ps.setObject(6, nulls ? null : (i % 2 == 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE), java.sql.Types.INTEGER);
                ps.setObject(7, nulls ? null : (i % 2 == 0 ? Long.MIN_VALUE + i : Long.MAX_VALUE - i), java.sql.Types.BIGINT);
                ps.setString(8, nulls ? null : DECIMALS[i % DECIMALS.length]);
                ps.setObject(9, nulls ? null : DOUBLES[i % DOUBLES.length], java.sql.Types.DOUBLE);
                ps.setObject(10, nulls ? null : i % 2 == 0, java.sql.Types.BOOLEAN);
                ps.setString(11, nulls ? null : (i % 2 == 0 ? "1970-01-01" : "2026-02-28"));
                ps.setBytes(12, nulls ? null : new byte[] {0, (byte) i, (byte) 0xff, '|'});
                ps.setString(13, nulls ? null : i % 4 == 0 ? "" : "nöte '" + i + "' \\ | é 日本");
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void exec(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String single(PreparedStatement ps) throws Exception {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> texts(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            st.execute("SET TIME ZONE 'UTC'");
            try (ResultSet rs = st.executeQuery(sql)) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder b = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        b.append(i == 1 ? "" : " | ").append(rs.getString(i));
                    }
                    out.add(b.toString());
                }
            }
        }
        return out;
    }
}
