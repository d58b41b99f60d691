package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same rows answer the same JSON whichever engine holds them (ADR 0050). Two routers share one PostgreSQL shard
 * {@code p} and one MariaDB shard {@code m}: router {@code onPg} places fleet {@code eq/f} on {@code p}, router
 * {@code onMaria} places it on {@code m} (the fleet before and after a move between engines), and both place tenant
 * {@code mix}'s fleet {@code x} on {@code p} and {@code y} on {@code m}, which hold the same vehicles and telemetry.
 */
class CrossEngineAnswersIT {
    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static MariaDbNode maria;
    static Router onPg;
    static Router onMaria;

    /** vehicle_id, vin, status, updated_at (UTC). */
    private static final List<Object[]> VEHICLES = List.of(
            new Object[] {"v1", "VIN-1", "active", "2026-12-07 10:53:36.508912"},
            new Object[] {"v2", null, "parked", "2026-12-07 10:53:36.5"},
            new Object[] {"v3", "VIN-3", null, "1999-12-31 23:59:59"},
            new Object[] {"v4", "ünï-ß \"q\"", "active", "2026-01-01 00:00:00.000001"});
    /** vehicle_id, ts (UTC), lat, lon, speed_kph. */
    private static final List<Object[]> TELEMETRY = List.of(
            new Object[] {"v1", "2026-12-07 10:53:36.508912", 52.1, 13.4, 50.5},
            new Object[] {"v1", "2026-12-07 10:53:37", null, null, null},
            new Object[] {"v2", "2026-12-07 10:53:36.5", 0.1, 0.2, 1.0E-7},
            new Object[] {"v3", "1970-01-01 00:00:00", -33.865143, 151.2099, 123456789.125});

    @BeforeAll
    static void start() {
        pg = new PostgresCluster(dir, false);
        maria = MariaDbNode.start(dir.resolve("maria"));
        String pgUrl = pg.primary.jdbcUrl(pg.newShardDatabase("answers"));
        String db = "answers_" + ProcessHandle.current().pid();
        maria.createDatabase(db);
        FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
        String mariaUrl = maria.jdbcUrl(db);
        onPg = router(map(pgUrl, mariaUrl, "p"));
        onMaria = router(map(pgUrl, mariaUrl, "m"));
        load(onPg, "eq", "f", false);
        load(onMaria, "eq", "f", true);
        load(onPg, "mix", "x", false);
        load(onPg, "mix", "y", true);
    }

    private static InMemoryShardMap map(String pgUrl, String mariaUrl, String eqShard) {
        List<MapEntity> entities = new ArrayList<>(List.of(new Tenant("eq", DurabilityTier.STANDARD),
                new Tenant("mix", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("p", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("p-p", "p", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pgUrl),
                Shard.withDefaultTokens("m", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                new Node("m-p", "m", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", mariaUrl),
                new Fleet("eq", "f", eqShard), new Fleet("mix", "x", "p"), new Fleet("mix", "y", "m")));
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, entities, List.of());
        return map;
    }

    private static Router router(InMemoryShardMap map) {
        return new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(10_000).set(RouterConfig.QUERY_PORT, "0").build(), map).start();
    }

    @AfterAll
    static void stop() {
        for (Router r : Arrays.asList(onPg, onMaria)) {
            if (r != null) {
                r.stop();
            }
        }
        if (maria != null) {
            maria.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** Writes the rows, in each engine's SQL for a UTC timestamp parameter. */
    private static void load(Router router, String tenant, String fleet, boolean mariaDb) {
        RouterHttp http = new RouterHttp(router.port());
        String ts = mariaDb ? "?" : "(? || '+00')::timestamptz";
        for (Object[] v : VEHICLES) {
            ok(http.query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", "INSERT INTO vehicles (tenant_id,"
                    + " fleet_id, vehicle_id, vin, status, updated_at) VALUES (?, ?, ?, ?, ?, " + ts + ")",
                    "params", Arrays.asList(tenant, fleet, v[0], v[1], v[2], v[3]))));
        }
        for (Object[] t : TELEMETRY) {
            ok(http.query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", "INSERT INTO telemetry (tenant_id,"
                    + " fleet_id, vehicle_id, ts, lat, lon, speed_kph) VALUES (?, ?, ?, " + ts + ", ?, ?, ?)",
                    "params", Arrays.asList(tenant, fleet, t[0], t[1], t[2], t[3], t[4]))));
        }
    }

    private static RouterHttp.Reply ok(RouterHttp.Reply r) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        return r;
    }

    /** The answer of fleet {@code eq/f} to {@code sql} on {@code port}, as sent. */
    private static String query(int port, String sql) {
        return ok(new RouterHttp(port).query(Map.of("tenantId", "eq", "fleetId", "f", "sql", sql))).raw().body();
    }

    private static String scatter(String sql, String orderBy) {
        return ok(new RouterHttp(onPg.port()).scatter(Map.of("tenantId", "mix", "sql", sql, "orderBy", orderBy)))
                .raw().body();
    }

    /** The text of every value of a field {@code name} in {@code json}, as sent (no reformatting of numbers). */
    static List<String> raw(String json, String name) {
        List<String> values = new ArrayList<>();
        String key = "\"" + name + "\":";
        for (int at = json.indexOf(key); at >= 0; at = json.indexOf(key, at + 1)) {
            int from = at + key.length();
            values.add(json.substring(from, end(json, from)));
        }
        return values;
    }

    /** The elements of a JSON array's text, each as sent. */
    static List<String> elements(String array) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i < array.length() - 1; i++) {
            int end = end(array, i);
            values.add(array.substring(i, end));
            i = end;
        }
        return values;
    }

    /** Where the JSON value starting at {@code from} ends: at the comma or bracket that follows it. */
    private static int end(String json, int from) {
        int depth = 0;
        boolean inString = false;
        int i = from;
        for (; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (depth == 0) {
                    break;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                break;
            }
        }
        return i;
    }

    /** The single value of field {@code name} at the top level of {@code json} (the last one: nested come first). */
    private static String last(String json, String name) {
        List<String> all = raw(json, name);
        assertThat(all).as(name + " in " + json).isNotEmpty();
        return all.get(all.size() - 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM vehicles ORDER BY vehicle_id",
        "SELECT * FROM telemetry ORDER BY vehicle_id, ts",
        "SELECT vehicle_id, vin, status, updated_at FROM vehicles WHERE vin IS NULL OR status IS NULL"
                + " ORDER BY vehicle_id",
        "SELECT count(*) AS n, count(vin) AS vins FROM vehicles",
        "SELECT sum(speed_kph) AS total, avg(speed_kph) AS mean, min(ts) AS first_ts, max(ts) AS last_ts"
                + " FROM telemetry",
        "SELECT sum(speed_kph) AS total, count(*) AS n, max(ts) AS last_ts FROM telemetry WHERE speed_kph > 1e12",
        "SELECT vehicle_id, max(updated_at) AS latest FROM vehicles GROUP BY vehicle_id ORDER BY vehicle_id",
        "SELECT lat + lon AS s, lat * 3 AS t, speed_kph / 7 AS u FROM telemetry ORDER BY vehicle_id, ts",
        "SELECT CAST('2026-12-07' AS DATE) AS day, vehicle_id FROM vehicles ORDER BY vehicle_id",
        "SELECT NULL AS z, 1.5 AS d, 7 AS i, 'x' AS s",
        "SELECT VIN, Status FROM vehicles ORDER BY vehicle_id",
    })
    void answersTheSameBytesOnBothEnginesOnBothPorts(String sql) {
        String pgMain = query(onPg.port(), sql);
        String pgBlocking = query(onPg.queryPort(), sql);
        String mariaMain = query(onMaria.port(), sql);
        String mariaBlocking = query(onMaria.queryPort(), sql);
        assertThat(last(pgMain, "shardId")).isEqualTo("\"p\"");
        assertThat(last(mariaMain, "shardId")).isEqualTo("\"m\"");
        for (String field : List.of("rows", "columnTypes", "columns")) {
            String onPostgres = last(pgMain, field);
            assertThat(last(mariaMain, field)).as(field + " of " + sql).isEqualTo(onPostgres);
            assertThat(last(pgBlocking, field)).as(field + " of " + sql).isEqualTo(onPostgres);
            assertThat(last(mariaBlocking, field)).as(field + " of " + sql).isEqualTo(onPostgres);
        }
    }

    @Test
    void printsDateTimesAsUtcInstantsLikeTimestamptz() {
        String sql = "SELECT updated_at FROM vehicles ORDER BY vehicle_id";
        assertThat(last(query(onMaria.port(), sql), "rows")).isEqualTo("[[\"2026-12-07T10:53:36.508912Z\"],"
                + "[\"2026-12-07T10:53:36.5Z\"],[\"1999-12-31T23:59:59Z\"],[\"2026-01-01T00:00:00.000001Z\"]]");
        assertThat(last(query(onMaria.port(), sql), "columnTypes")).isEqualTo("[\"timestamptz\"]");
        // a PostgreSQL timestamp without time zone keeps no offset: it names no instant
        String local = "SELECT updated_at AT TIME ZONE 'UTC' AS local FROM vehicles ORDER BY vehicle_id LIMIT 1";
        String answer = query(onPg.port(), local);
        assertThat(last(answer, "rows")).isEqualTo("[[\"2026-12-07T10:53:36.508912\"]]");
        assertThat(last(answer, "columnTypes")).isEqualTo("[\"timestamp\"]");
    }

    @Test
    void answersABatchTheSameOnBothEngines() {
        String batch = "{\"queries\":[{\"tenantId\":\"eq\",\"fleetId\":\"f\",\"sql\":\"SELECT vehicle_id,"
                + " updated_at FROM vehicles ORDER BY vehicle_id\"},{\"tenantId\":\"eq\",\"fleetId\":\"f\",\"sql\":"
                + "\"SELECT ts, speed_kph FROM telemetry ORDER BY ts\"}]}";
        List<String> answers = new ArrayList<>();
        for (int port : List.of(onPg.port(), onPg.queryPort(), onMaria.port(), onMaria.queryPort())) {
            RouterHttp.Reply r = ok(new RouterHttp(port).post(QueryEndpoints.BATCH_PATH, batch));
            answers.add(String.join("|", raw(r.raw().body(), "columnTypes")) + " "
                    + String.join("|", raw(r.raw().body(), "rows")));
        }
        assertThat(answers.get(0)).contains("Z\"").contains("timestamptz");
        assertThat(answers).containsOnly(answers.get(0));
    }

    @Test
    void scatterOverBothEnginesAnswersEachRowAlike() {
        for (String[] q : List.of(
                new String[] {"SELECT vehicle_id, vin, status, updated_at FROM vehicles", "vehicle_id",
                    "SELECT vehicle_id, vin, status, updated_at FROM vehicles ORDER BY vehicle_id"},
                new String[] {"SELECT vehicle_id, ts, lat, lon, speed_kph FROM telemetry", "vehicle_id, ts",
                    "SELECT vehicle_id, ts, lat, lon, speed_kph FROM telemetry ORDER BY vehicle_id, ts"})) {
            String answer = scatter(q[0], q[1]);
            assertThat(raw(answer, "shardId")).containsExactlyInAnyOrder("\"p\"", "\"m\"");
            String single = query(onPg.port(), q[2]);
            assertThat(last(answer, "columnTypes")).isEqualTo(last(single, "columnTypes"));
            // every row twice, once from each engine, byte for byte the row PostgreSQL alone answers
            List<String> expected = new ArrayList<>();
            for (String row : elements(last(single, "rows"))) {
                expected.add(row);
                expected.add(row);
            }
            assertThat(expected).hasSize(8);
            assertThat(elements(last(answer, "rows"))).as(q[0]).isEqualTo(expected);
        }
    }

    @Test
    void scatterAggregatesMergeTimestampsOfBothEnginesAsOneValue() {
        String byTs = scatter("SELECT ts, count(*) AS n FROM telemetry GROUP BY ts ORDER BY ts", "ts");
        assertThat(last(byTs, "columnTypes")).isEqualTo("[\"timestamptz\",\"bigint\"]");
        assertThat(last(byTs, "rows")).isEqualTo("[[\"1970-01-01T00:00:00Z\",2],[\"2026-12-07T10:53:36.5Z\",2],"
                + "[\"2026-12-07T10:53:36.508912Z\",2],[\"2026-12-07T10:53:37Z\",2]]");
        String perVehicle = scatter("SELECT vehicle_id, max(ts) AS last_ts, min(lat) AS south, count(*) AS n"
                + " FROM telemetry GROUP BY vehicle_id ORDER BY vehicle_id", "vehicle_id");
        assertThat(last(perVehicle, "columnTypes")).isEqualTo("[\"text\",\"timestamptz\",\"float8\",\"bigint\"]");
        assertThat(last(perVehicle, "rows")).isEqualTo("[[\"v1\",\"2026-12-07T10:53:37Z\",52.1,4],"
                + "[\"v2\",\"2026-12-07T10:53:36.5Z\",0.1,2],[\"v3\",\"1970-01-01T00:00:00Z\",-33.865143,2]]");
    }

    /**
     * What still differs, because the engines' values differ and not their printing (router/README.md, "What still
     * differs"): booleans, decimal scales, names of unaliased expressions, the case of aliases, {@code now()}'s
     * precision.
     */
    @Test
    void stillDiffersWhereTheEnginesComputeDifferentValues() {
        String bools = "SELECT status = 'active' AS b FROM vehicles ORDER BY vehicle_id";
        assertThat(last(query(onPg.port(), bools), "rows")).isEqualTo("[[true],[false],[null],[true]]");
        assertThat(last(query(onMaria.port(), bools), "rows")).isEqualTo("[[1],[0],[null],[1]]");
        String division = "SELECT 2.0 / 3 AS r";
        assertThat(last(query(onPg.port(), division), "rows")).isEqualTo("[[0.66666666666666666667]]");
        assertThat(last(query(onMaria.port(), division), "rows")).isEqualTo("[[0.66667]]");
        String unaliased = "SELECT count(*) FROM vehicles";
        assertThat(last(query(onPg.port(), unaliased), "columns")).isEqualTo("[\"count\"]");
        assertThat(last(query(onMaria.port(), unaliased), "columns")).isEqualTo("[\"count(*)\"]");
        String upper = "SELECT vin AS Serial FROM vehicles WHERE vehicle_id = 'v1'";
        assertThat(last(query(onPg.port(), upper), "columns")).isEqualTo("[\"serial\"]");
        assertThat(last(query(onMaria.port(), upper), "columns")).isEqualTo("[\"Serial\"]");
        assertThat(last(query(onMaria.port(), "SELECT now() AS t"), "rows"))
                .matches("\\[\\[\"\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\"\\]\\]");
    }
}
