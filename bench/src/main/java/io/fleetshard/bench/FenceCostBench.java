package io.fleetshard.bench;

import io.fleetshard.router.FleetSchema;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the reshard write fence (ADR 0013) costs a write, side by side in one run on the same embedded PostgreSQL 17
 * and MariaDB servers: one database per variant, each with {@link FleetSchema} installed, then its guard replaced:
 * <ul>
 *   <li>{@code none}: the guard triggers dropped (on MariaDB the fleet guard's too: no trigger at all);</li>
 *   <li>{@code row} (PostgreSQL): the former guard, a {@code BEFORE INSERT OR UPDATE OR DELETE ... FOR EACH ROW}
 *       trigger (copied here verbatim);</li>
 *   <li>{@code stmt} (PostgreSQL): what {@code FleetSchema} installs now, AFTER statement triggers with transition
 *       tables;</li>
 *   <li>{@code before} (MariaDB): the fence and fleet guards as {@code FleetSchema} installed them before ADR 0056,
 *       BEFORE INSERT and BEFORE UPDATE row triggers (the same bodies, recreated with the former timing);</li>
 *   <li>{@code after} (MariaDB): what {@code FleetSchema} installs now, AFTER INSERT and AFTER UPDATE (BEFORE
 *       DELETE).</li>
 * </ul>
 * For each, with the fence table empty and with 1000 rows (other fleets): single-row autocommit INSERTs per second
 * from {@code threads} JDBC connections as a superuser, and one {@code INSERT ... SELECT} of {@code bulkRows} rows on
 * a connection that has already done single-row inserts (so PostgreSQL's cached trigger plans are the ones a
 * busy connection has). MariaDB sessions set {@code @fleetshard_fleet_id} to the fleet they write, as the router's
 * do, so the fleet guard takes its one-comparison path. Rounds interleave the variants, so load from other processes
 * spreads over all of them.
 *
 * <p>Args: {@code [threads=4] [seconds=5] [bulkRows=100000] [rounds=3] [engines=both|postgres|mariadb]}.
 */
public final class FenceCostBench {
    private static final String SECRET = "bench-secret-0123456789";
    private static final int FENCE_ROWS = 1000;

    private FenceCostBench() {
    }

    /** PostgreSQL's guard up to 2026-12 (FleetSchema before the statement triggers), as installed then. */
    private static final String PG_ROW_GUARD = """
            CREATE OR REPLACE FUNCTION public.fleetshard_fence_guard_row() RETURNS trigger
              LANGUAGE plpgsql VOLATILE SECURITY DEFINER
              SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
              v_job text;
            BEGIN
              IF current_setting('fleetshard.resharder', true) = 'on'
                 AND NOT EXISTS (SELECT 1 FROM fleetshard_private.router_role r WHERE r.role_name = session_user) THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
              END IF;
              IF TG_OP <> 'INSERT' THEN
                SELECT f.job_id INTO v_job FROM public.fleetshard_fence f
                  WHERE f.tenant_id = OLD.tenant_id AND f.fleet_id = OLD.fleet_id;
                IF FOUND THEN
                  RAISE EXCEPTION 'fleetshard: fleet % of tenant % is fenced on this shard by reshard job % (moved'
                    ' or moving): write it on its new shard', OLD.fleet_id, OLD.tenant_id, v_job
                    USING ERRCODE = 'FS002';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN
                RETURN OLD;
              END IF;
              IF TG_OP = 'INSERT' OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
                 OR NEW.fleet_id IS DISTINCT FROM OLD.fleet_id THEN
                SELECT f.job_id INTO v_job FROM public.fleetshard_fence f
                  WHERE f.tenant_id = NEW.tenant_id AND f.fleet_id = NEW.fleet_id;
                IF FOUND THEN
                  RAISE EXCEPTION 'fleetshard: fleet % of tenant % is fenced on this shard by reshard job % (moved'
                    ' or moving): write it on its new shard', NEW.fleet_id, NEW.tenant_id, v_job
                    USING ERRCODE = 'FS002';
                END IF;
              END IF;
              RETURN NEW;
            END
            $$;
            ALTER FUNCTION public.fleetshard_fence_guard_row() OWNER TO fleetshard_owner;
            REVOKE ALL ON FUNCTION public.fleetshard_fence_guard_row() FROM PUBLIC""";

    private static final List<String> PG_DROP_GUARD = List.of(
            "DROP TRIGGER IF EXISTS fleetshard_fence_guard ON public.vehicles",
            "DROP TRIGGER IF EXISTS fleetshard_fence_guard_update ON public.vehicles",
            "DROP TRIGGER IF EXISTS fleetshard_fence_guard_delete ON public.vehicles");

    /** Every guard trigger of the database the URL names (fence and fleet guards of both tables). */
    private static List<String> mariaDropGuards(String url) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String name : BenchSql.query(url, "SELECT GROUP_CONCAT(trigger_name) FROM information_schema.triggers"
                + " WHERE trigger_schema = DATABASE()").split(",")) {
            out.add("DROP TRIGGER IF EXISTS " + name);
        }
        return out;
    }

    /**
     * The INSERT and UPDATE guards of the database the URL names recreated as FleetSchema installed them before
     * ADR 0056: BEFORE triggers with the same bodies, the fence guards first (each fleet guard PRECEDES its fence
     * guard).
     */
    private static List<String> mariaFormerGuards(String url) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT trigger_name, event_manipulation, event_object_table,"
                     + " action_statement FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
                     + " AND event_manipulation IN ('INSERT', 'UPDATE')"
                     + " ORDER BY trigger_name LIKE 'fleetshard_fleet_guard%', trigger_name")) {
            while (rs.next()) {
                String name = rs.getString(1);
                String order = name.startsWith("fleetshard_fleet_guard")
                        ? " PRECEDES " + name.replace("fleet_guard", "fence_guard") : "";
                out.add("CREATE OR REPLACE DEFINER = " + FleetSchema.MARIADB_DEFINER + " TRIGGER " + name + " BEFORE "
                        + rs.getString(2) + " ON " + rs.getString(3) + " FOR EACH ROW" + order + "\n"
                        + rs.getString(4));
            }
        }
        return out;
    }

    record Variant(String engine, String name, String url) {
    }

    record Result(double insertsPerSecond, double bulkSeconds, String loadAvg) {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int bulkRows = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        String engines = args.length > 4 ? args[4] : "both";
        boolean postgres = !engines.equals("mariadb");
        boolean mariadb = !engines.equals("postgres");
        Path dir = Files.createTempDirectory("fleetshard-bench-fence");
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            List<Variant> variants = new ArrayList<>();
            for (String name : postgres ? List.of("none", "row", "stmt") : List.<String>of()) {
                String db = "fence_" + name;
                pg.createDatabase(db);
                String url = pg.jdbcUrl(db);
                FleetSchema.install(url, SECRET);
                List<String> setup = new ArrayList<>();
                if (!name.equals("stmt")) {
                    setup.addAll(PG_DROP_GUARD);
                }
                if (name.equals("row")) {
                    setup.add(PG_ROW_GUARD);
                    setup.add("CREATE TRIGGER fleetshard_fence_guard BEFORE INSERT OR UPDATE OR DELETE ON public.vehicles"
                            + " FOR EACH ROW EXECUTE FUNCTION public.fleetshard_fence_guard_row()");
                }
                setup.add("CREATE TABLE bulk_src AS SELECT 'bench'::text AS tenant_id, 'bulk'::text AS fleet_id,"
                        + " 'b' || g AS vehicle_id, 'VIN' || g AS vin, 'new'::text AS status, now() AS updated_at"
                        + " FROM generate_series(1, " + bulkRows + ") g");
                setup.add("ANALYZE");
                BenchSql.execute(url, setup);
                variants.add(new Variant("PostgreSQL 17", name, url));
            }
            for (String name : mariadb ? List.of("none", "before", "after") : List.<String>of()) {
                String db = "fence_" + name;
                maria.createDatabase(db);
                String url = maria.jdbcUrl(db);
                FleetSchema.install(url, SECRET);
                List<String> setup = new ArrayList<>();
                if (name.equals("none")) {
                    setup.addAll(mariaDropGuards(url));
                } else if (name.equals("before")) {
                    setup.addAll(mariaFormerGuards(url));
                }
                setup.add("SET SESSION max_recursive_iterations = " + (bulkRows + 1));
                setup.add("CREATE TABLE bulk_src ENGINE=InnoDB AS WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL"
                        + " SELECT g + 1 FROM s WHERE g < " + bulkRows + ") SELECT 'bench' AS tenant_id,"
                        + " 'bulk' AS fleet_id, CONCAT('b', g) AS vehicle_id, CONCAT('VIN', g) AS vin,"
                        + " 'new' AS status, NOW(6) AS updated_at FROM s");
                BenchSql.execute(url, setup);
                variants.add(new Variant("MariaDB 11.4", name, url));
            }
            String version = (postgres ? BenchSql.query(pg.jdbcUrl("postgres"), "SELECT version()") : "") + " / "
                    + (mariadb ? BenchSql.query(maria.jdbcUrl("mysql"), "SELECT version()") : "");
            System.out.printf("servers: %s%nthreads=%d seconds=%d bulkRows=%d rounds=%d cores=%d%n", version, threads,
                    seconds, bulkRows, rounds, Runtime.getRuntime().availableProcessors());

            Map<String, List<Result>> results = new LinkedHashMap<>();
            for (int fence : new int[] {0, FENCE_ROWS}) {
                for (Variant v : variants) {
                    results.put(v.engine() + " | " + v.name() + " | " + fence, new ArrayList<>());
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (int fence : new int[] {0, FENCE_ROWS}) {
                    // rotate the order each round: the first runs after a fence change and may meet a checkpoint
                    List<Variant> order = new ArrayList<>(variants);
                    java.util.Collections.rotate(order, round - 1);
                    for (Variant v : order) {
                        setFence(v, fence);
                        BenchSql.execute(v.url(), List.of("TRUNCATE TABLE vehicles"));
                        String load = BenchSql.loadAvg();
                        double ips = singleRowInserts(v.url(), threads, seconds, round);
                        BenchSql.execute(v.url(), List.of("TRUNCATE TABLE vehicles"));
                        double bulk = bulkInsert(v.url(), bulkRows);
                        Result r = new Result(ips, bulk, load + " -> " + BenchSql.loadAvg());
                        String key = v.engine() + " | " + v.name() + " | " + fence;
                        results.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
                        System.out.printf(Locale.ROOT, "round %d  %-42s %8.0f inserts/s  bulk %6.3f s  load %s%n",
                                round, key, ips, bulk, r.loadAvg());
                    }
                }
            }
            System.out.println();
            System.out.println("| engine | guard | fence rows | single-row inserts/s, median (min-max) | "
                    + bulkRows / 1000 + "k-row INSERT s, median (min-max) |");
            System.out.println("| --- | --- | --- | --- | --- |");
            for (Map.Entry<String, List<Result>> e : results.entrySet()) {
                List<Double> ips = e.getValue().stream().map(Result::insertsPerSecond).sorted().toList();
                List<Double> bulk = e.getValue().stream().map(Result::bulkSeconds).sorted().toList();
                System.out.printf(Locale.ROOT, "| %s | %,.0f (%,.0f-%,.0f) | %.2f (%.2f-%.2f) |%n",
                        e.getKey(), median(ips), ips.get(0), ips.get(ips.size() - 1),
                        median(bulk), bulk.get(0), bulk.get(bulk.size() - 1));
            }
        }
    }

    /** On MariaDB, the request's fleet as the router sets it: the fleet guard's fast path for rows of that fleet. */
    private static void writingFleet(Connection c, String fleet) throws SQLException {
        if (c.getMetaData().getURL().startsWith("jdbc:mariadb:")) {
            try (PreparedStatement ps = c.prepareStatement("SET @fleetshard_fleet_id = ?")) {
                ps.setString(1, fleet);
                ps.execute();
            }
        }
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void setFence(Variant v, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(v.url())) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("DELETE FROM fleetshard_fence");
                if (rows > 0) {
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('other', ?, 'job')")) {
                        for (int i = 0; i < rows; i++) {
                            ps.setString(1, String.format(Locale.ROOT, "f%04d", i));
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                }
            }
            c.commit();
            if (v.url().startsWith("jdbc:postgresql:")) {
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("ANALYZE fleetshard_fence");
                }
            }
        }
    }

    /** Autocommit single-row INSERTs from {@code threads} connections; 1 s warm-up, then {@code seconds} counted. */
    private static double singleRowInserts(String url, int threads, int seconds, int round) throws Exception {
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES"
                                + " ('bench', 'f1', ?, ?, 'new')")) {
                    writingFleet(c, "f1");
                    for (long i = 0; !stop.get(); i++) {
                        ps.setString(1, "r" + round + "-t" + id + "-" + i);
                        ps.setString(2, "VIN" + i);
                        ps.executeUpdate();
                        if (counting.get()) {
                            done.incrementAndGet();
                        }
                    }
                } catch (SQLException e) {
                    failures.incrementAndGet();
                    e.printStackTrace();
                } finally {
                    finished.countDown();
                }
            }, "insert-" + t);
            workers.add(w);
            w.start();
        }
        Thread.sleep(1000);
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        counting.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        finished.await();
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " insert threads failed on " + url);
        }
        return done.get() / elapsed;
    }

    /** One INSERT ... SELECT of every row of bulk_src, on a connection that did single-row inserts first. */
    private static double bulkInsert(String url, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin,"
                    + " status) VALUES ('bench', 'warm', ?, 'x', 'new')")) {
                for (int i = 0; i < 20; i++) {
                    ps.setString(1, "w" + i);
                    ps.executeUpdate();
                }
            }
            writingFleet(c, "bulk");
            try (Statement st = c.createStatement()) {
                long start = System.nanoTime();
                // no column list: MariaDB 11.4.5 fails INSERT INTO t (cols) SELECT of 2+ rows with "Column ... cannot
                // be null" as soon as t has any BEFORE INSERT or UPDATE trigger (the former guards, ADR 0056); the
                // columns are in table order here
                int n = st.executeUpdate("INSERT INTO vehicles"
                        + " SELECT tenant_id, fleet_id, vehicle_id, vin, status, updated_at FROM bulk_src");
                double s = (System.nanoTime() - start) / 1e9;
                if (n != rows) {
                    throw new IllegalStateException("bulk insert wrote " + n + " rows, not " + rows);
                }
                return s;
            }
        }
    }

}
