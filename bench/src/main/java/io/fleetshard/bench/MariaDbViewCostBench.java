package io.fleetshard.bench;

import io.fleetshard.router.FleetSchema;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * What MariaDB's tenant views cost a statement (ADR 0053), side by side on one embedded MariaDB 11.4 and the same
 * rows: {@code rows} {@code vehicles} of tenant {@code acme} in 10 fleets and {@code otherRows} of tenant
 * {@code zeta}, read by one JDBC connection per variant:
 * <ul>
 *   <li>{@code base}: root on the base table, the tenant written into every statement (no views, no functions);</li>
 *   <li>{@code before}: the router's account through the views as installed before ADR 0053 (the tenant function
 *       {@code NOT DETERMINISTIC}, the hidden fleets tested twice), recreated here in a view database of their
 *       own;</li>
 *   <li>{@code now}: the router's account through the views {@link FleetSchema} installs.</li>
 * </ul>
 * The router's account is bound once per connection with the router's {@code SET} (connection binding, ADR 0016).
 * Measures: {@code count(*)} of the tenant's rows; a filtered {@code count(*)} ({@code status = 'idle'}, 1 row in 7);
 * a point read by fleet and vehicle (as applications write it: the tenant is the router's business); a point read by
 * the whole primary key; an autocommit point update by fleet and vehicle (of fleet {@code f1}, the bound fleet). Per
 * measure the wall time per statement and the server's CPU per statement ({@code /proc/<mariadbd>/stat}, 10 ms
 * ticks: meaningful over many statements).
 * Rounds rotate the variants' order. A point read or update by fleet and vehicle scans the whole table in
 * {@code before}, so that variant runs {@code slowPoints} of them instead of {@code points}.
 *
 * <p>Args: {@code [rows=100000] [otherRows=20000] [points=3000] [scans=5] [rounds=3] [slowPoints=30]}.
 */
public final class MariaDbViewCostBench {
    private static final String SECRET = "bench-secret-0123456789";
    private static final int FLEETS = 10;
    private static final List<String> MEASURES = List.of("count(*)", "count(*) idle", "point fleet+vehicle",
            "point primary key", "update fleet+vehicle");

    private MariaDbViewCostBench() {
    }

    /** The tenant function and view as FleetSchema installed them before ADR 0053 (names changed). */
    private static List<String> formerObjects(String d, String before) {
        String definer = FleetSchema.MARIADB_DEFINER;
        return List.of(
                """
                CREATE OR REPLACE DEFINER = %1$s FUNCTION %2$s.fleetshard_current_tenant_before()
                  RETURNS VARCHAR(64) CHARACTER SET utf8mb4
                  NOT DETERMINISTIC READS SQL DATA SQL SECURITY DEFINER
                  RETURN (SELECT CASE WHEN @fleetshard_tenant_sig
                                           = SHA2(CONCAT(s.secret, ':', @fleetshard_tenant_id), 256)
                                      THEN @fleetshard_tenant_id END
                          FROM %2$s.fleetshard_secret s WHERE s.id = 1)""".formatted(definer, d),
                "GRANT EXECUTE ON FUNCTION " + d + ".fleetshard_current_tenant_before TO " + definer,
                "CREATE DATABASE IF NOT EXISTS " + before,
                """
                CREATE OR REPLACE DEFINER = %1$s SQL SECURITY DEFINER VIEW %3$s.vehicles AS
                  SELECT tenant_id, fleet_id, vehicle_id, vin, status, updated_at FROM %2$s.vehicles
                  WHERE tenant_id = (SELECT %2$s.fleetshard_current_tenant_before())
                    AND ((SELECT %2$s.fleetshard_hidden_fleets()) = ''
                         OR FIND_IN_SET(fleet_id, (SELECT %2$s.fleetshard_hidden_fleets())) = 0)
                  WITH CASCADED CHECK OPTION""".formatted(definer, d, before),
                "GRANT SELECT, INSERT, UPDATE, DELETE ON " + before + ".vehicles TO '"
                        + FleetSchema.DEFAULT_APP_ROLE + "'@'%', '" + FleetSchema.DEFAULT_APP_ROLE + "'@'localhost'");
    }

    record Variant(String name, String url, boolean router, boolean slow) {
    }

    record Sample(double wallMicros, double serverCpuMicros) {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int otherRows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int points = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
        int scans = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int slowPoints = args.length > 5 ? Integer.parseInt(args[5]) : 30;
        Path dir = Files.createTempDirectory("fleetshard-bench-mview");
        try (MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            String db = "mview";
            maria.createDatabase(db);
            String rootUrl = maria.jdbcUrl(db);
            FleetSchema.install(rootUrl, SECRET);
            BenchSql.execute(rootUrl, formerObjects("`" + db + "`", "`mview_before`"));
            load(rootUrl, rows, otherRows);
            String appBase = "jdbc:mariadb://127.0.0.1:" + maria.port() + "/";
            List<Variant> variants = List.of(new Variant("base", rootUrl, false, false),
                    new Variant("before", appBase + "mview_before?user=" + FleetSchema.DEFAULT_APP_ROLE, true, true),
                    new Variant("now", appBase + db + "_rls?user=" + FleetSchema.DEFAULT_APP_ROLE, true, false));
            long serverPid = Long.parseLong(Files.readString(Path.of(BenchSql.query(rootUrl, "SELECT @@pid_file")),
                    StandardCharsets.US_ASCII).trim());
            System.out.printf("server: MariaDB %s, pid %d; rows=%d otherRows=%d points=%d scans=%d rounds=%d"
                    + " slowPoints=%d cores=%d load %s%n", BenchSql.query(rootUrl, "SELECT version()"), serverPid, rows,
                    otherRows, points, scans, rounds, slowPoints, Runtime.getRuntime().availableProcessors(),
                    BenchSql.loadAvg());
            Map<String, List<Sample>> results = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < variants.size(); i++) {
                    Variant v = variants.get((i + round) % variants.size());
                    try (Connection c = DriverManager.getConnection(v.url())) {
                        bind(c, "acme", "f1"); // root's too: its fleet guard then skips its account lookup
                        Random random = new Random(round);
                        for (String measure : MEASURES) {
                            Sample s = measure(c, v, measure, rows, points, scans, slowPoints, serverPid, random);
                            results.computeIfAbsent(v.name() + " | " + measure, k -> new ArrayList<>()).add(s);
                            System.out.printf(Locale.ROOT, "round %d %-7s %-22s %12.1f us wall %12.1f us server"
                                    + " (load %s)%n", round + 1, v.name(), measure, s.wallMicros(),
                                    s.serverCpuMicros(), BenchSql.loadAvg());
                        }
                    }
                }
            }
            System.out.println();
            System.out.println("| measure | variant | wall per statement, median (min-max) | server CPU per statement,"
                    + " median |");
            System.out.println("| --- | --- | --- | --- |");
            for (String measure : MEASURES) {
                for (Variant v : variants) {
                    List<Sample> samples = results.get(v.name() + " | " + measure);
                    List<Double> wall = samples.stream().map(Sample::wallMicros).sorted().toList();
                    List<Double> cpu = samples.stream().map(Sample::serverCpuMicros).sorted().toList();
                    System.out.printf(Locale.ROOT, "| %s | %s | %s (%s-%s) | %s |%n", measure, v.name(),
                            micros(median(wall)), micros(wall.get(0)), micros(wall.get(wall.size() - 1)),
                            micros(median(cpu)));
                }
            }
            System.out.println("load at the end: " + BenchSql.loadAvg());
        }
    }

    private static Sample measure(Connection c, Variant v, String measure, int rows, int points, int scans,
            int slowPoints, long serverPid, Random random) throws SQLException {
        String tenant = v.router() ? "" : "tenant_id = 'acme' AND ";
        boolean point = measure.startsWith("point") || measure.startsWith("update");
        boolean scanning = v.slow() && !measure.equals("point primary key");
        int n = point ? (scanning ? slowPoints : points) : scans;
        String sql = switch (measure) {
            case "count(*)" -> "SELECT count(*) FROM vehicles" + (tenant.isEmpty() ? "" : " WHERE tenant_id = 'acme'");
            case "count(*) idle" -> "SELECT count(*) FROM vehicles WHERE " + tenant + "status = 'idle'";
            case "point fleet+vehicle" -> "SELECT vin, status FROM vehicles WHERE " + tenant
                    + "fleet_id = ? AND vehicle_id = ?";
            case "point primary key" -> "SELECT vin, status FROM vehicles WHERE tenant_id = 'acme' AND fleet_id = ?"
                    + " AND vehicle_id = ?";
            case "update fleet+vehicle" -> "UPDATE vehicles SET vin = ? WHERE " + tenant
                    + "fleet_id = ? AND vehicle_id = ?";
            default -> throw new IllegalArgumentException(measure);
        };
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            long cpu0 = serverCpuTicks(serverPid);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                if (measure.startsWith("update")) {
                    int k = FLEETS * random.nextInt(rows / FLEETS) + 1; // fleet f1: the fleet the session is bound to
                    ps.setString(1, i % 2 == 0 ? "VIN" + k : "checked");
                    ps.setString(2, "f1");
                    ps.setString(3, vehicle(k));
                    if (ps.executeUpdate() != 1) {
                        throw new IllegalStateException(v.name() + ": " + measure + " changed no row " + k);
                    }
                } else if (point) {
                    int k = 1 + random.nextInt(rows);
                    ps.setString(1, "f" + (k % FLEETS));
                    ps.setString(2, vehicle(k));
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException(v.name() + ": " + measure + " found no row " + k);
                        }
                    }
                } else {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long expected = measure.equals("count(*)") ? rows : rows / 7;
                        if (rs.getLong(1) != expected) {
                            throw new IllegalStateException(v.name() + ": " + measure + " = " + rs.getLong(1));
                        }
                    }
                }
            }
            double wall = (System.nanoTime() - t0) / 1e3 / n;
            double cpu = (serverCpuTicks(serverPid) - cpu0) * 10_000.0 / n;
            return new Sample(wall, cpu);
        }
    }

    private static String vehicle(int k) {
        return String.format(Locale.ROOT, "v%07d", k);
    }

    /** acme: {@code rows} rows, vehicle k in fleet f(k mod 10), status idle for k divisible by 7; zeta: others. */
    private static void load(String rootUrl, int rows, int otherRows) throws SQLException {
        // INSERT ... SELECT with constants in the select list trips MariaDB 11.4.5 with BEFORE INSERT triggers (1048,
        // docs/benchmarks.md, "Reshard write fence"); a filled table without them does not
        int most = Math.max(rows, otherRows);
        BenchSql.execute(rootUrl, List.of(
                "SET SESSION max_recursive_iterations = " + (most + 1),
                "CREATE TABLE bench_src ENGINE=InnoDB AS WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1"
                        + " FROM s WHERE k < " + most + ") SELECT 'acme' AS tenant_id, CONCAT('f', k % " + FLEETS
                        + ") AS fleet_id, CONCAT('v', LPAD(k, 7, '0')) AS vehicle_id, CONCAT('VIN', k) AS vin,"
                        + " IF(k % 7 = 0, 'idle', 'active') AS status, NOW(6) AS updated_at FROM s WHERE k <= " + rows
                        + " UNION ALL SELECT 'zeta', CONCAT('z', k % " + FLEETS + "), CONCAT('v', LPAD(k, 7, '0')),"
                        + " CONCAT('VIN', k), 'active', NOW(6) FROM s WHERE k <= " + otherRows,
                "INSERT INTO vehicles SELECT * FROM bench_src",
                "DROP TABLE bench_src",
                "ANALYZE TABLE vehicles"));
    }

    private static void bind(Connection c, String tenant, String fleet) throws Exception {
        String signature = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest((SECRET + ":" + tenant).getBytes(StandardCharsets.UTF_8)));
        try (PreparedStatement ps = c.prepareStatement("SET @fleetshard_tenant_id = ?, @fleetshard_tenant_sig = ?,"
                + " @fleetshard_fleet_id = ?, @fleetshard_hidden_fleets = '', max_statement_time = 0")) {
            ps.setString(1, tenant);
            ps.setString(2, signature);
            ps.setString(3, fleet);
            ps.execute();
        }
    }

    private static long serverCpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String micros(double us) {
        return us >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", us / 1000)
                : String.format(Locale.ROOT, "%.0f µs", us);
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

}
