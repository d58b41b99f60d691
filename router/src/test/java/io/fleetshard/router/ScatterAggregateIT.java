package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.math.BigDecimal;
import java.math.RoundingMode;
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
 * Aggregating scatter queries over two PostgreSQL and two MariaDB shards (two databases on each server). Tenant
 * {@code agg} has one fleet on each shard (the last one empty); tenants {@code solo} (PostgreSQL) and {@code solom}
 * (MariaDB) hold the same rows on one shard each, which they share with {@code agg}. The merged answer for {@code agg}
 * must equal what that one database answers for {@code solo}/{@code solom}, with the same column names on both.
 */
class ScatterAggregateIT {
    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static MariaDbNode maria;
    static Router router;
    static RouterHttp http;

    /** Per fleet index: vehicles (vehicle_id, vin, status) and telemetry (vehicle_id, second, speed_kph). */
    private static final List<List<Object[]>> VEHICLES = List.of(
            List.of(new Object[] {"v1", "AAA", "active"}, new Object[] {"v2", null, "parked"},
                    new Object[] {"v3", "BBBBB", null}),
            List.of(new Object[] {"v1", "CC", "active"}, new Object[] {"v4", "DDDD", "active"}),
            List.of(new Object[] {"v1", null, "parked"}, new Object[] {"v5", "EE", "active"}),
            List.of());
    private static final List<List<Object[]>> TELEMETRY = List.of(
            List.of(new Object[] {"v1", 1, 10.5}, new Object[] {"v1", 2, null}),
            List.of(new Object[] {"v1", 1, 20.25}, new Object[] {"v4", 1, 3.0}),
            List.of(new Object[] {"v1", 3, 7.5}, new Object[] {"v5", 1, 100.0}),
            List.of());

    @BeforeAll
    static void start() {
        pg = new PostgresCluster(dir, false);
        maria = MariaDbNode.start(dir.resolve("maria"));
        List<MapEntity> entities = new ArrayList<>(List.of(new Tenant("agg", DurabilityTier.STANDARD),
                new Tenant("solo", DurabilityTier.STANDARD), new Tenant("solom", DurabilityTier.STANDARD)));
        for (int s = 1; s <= 2; s++) {
            entities.add(Shard.withDefaultTokens("p" + s, ShardStatus.ACTIVE, Engine.POSTGRES, 16));
            entities.add(new Node("p" + s + "-p", "p" + s, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                    pg.primary.jdbcUrl(pg.newShardDatabase("agg"))));
            String db = "agg_" + s + "_" + ProcessHandle.current().pid();
            maria.createDatabase(db);
            FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
            entities.add(Shard.withDefaultTokens("m" + s, ShardStatus.ACTIVE, Engine.MARIADB, 16));
            entities.add(new Node("m" + s + "-p", "m" + s, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                    maria.jdbcUrl(db)));
        }
        List<String> aggShards = List.of("p1", "p2", "m1", "m2");
        for (int f = 0; f < 4; f++) {
            entities.add(new Fleet("agg", "a" + f, aggShards.get(f)));
            entities.add(new Fleet("solo", "o" + f, "p1"));
            entities.add(new Fleet("solom", "q" + f, "m1"));
        }
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, entities, List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(5000).build(), map).start();
        http = new RouterHttp(router.port());

        for (int f = 0; f < 4; f++) {
            load("agg", "a" + f, aggShards.get(f).startsWith("m"), f);
            load("solo", "o" + f, false, f);
            load("solom", "q" + f, true, f);
        }
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (maria != null) {
            maria.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static void load(String tenant, String fleet, boolean mariaDb, int index) {
        for (Object[] v : VEHICLES.get(index)) {
            ok(http.query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", "INSERT INTO vehicles (tenant_id,"
                    + " fleet_id, vehicle_id, vin, status) VALUES (?, ?, ?, ?, ?)",
                    "params", Arrays.asList(tenant, fleet, v[0], v[1], v[2]))));
        }
        for (Object[] t : TELEMETRY.get(index)) {
            String ts = "2026-01-01 00:00:0" + t[1];
            ok(http.query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", "INSERT INTO telemetry (tenant_id,"
                    + " fleet_id, vehicle_id, ts, speed_kph) VALUES (?, ?, ?, " + (mariaDb ? "?" : "?::timestamptz")
                    + ", ?)", "params", Arrays.asList(tenant, fleet, t[0], ts, t[2]))));
        }
    }

    private static RouterHttp.Reply ok(RouterHttp.Reply r) {
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return r;
    }

    private static RouterHttp.Reply scatter(String tenant, String sql, Object... params) {
        return ok(http.scatter(Map.of("tenantId", tenant, "sql", sql, "params", List.of(params))));
    }

    /** The answer of one database holding all rows: the single-fleet endpoint on the shard of solo or solom. */
    private static RouterHttp.Reply single(boolean mariaDb, String sql, Object... params) {
        return ok(http.query(Map.of("tenantId", mariaDb ? "solom" : "solo", "fleetId", mariaDb ? "q0" : "o0",
                "sql", sql, "params", List.of(params))));
    }

    /** Rows with numbers compared by value to 9 decimals (avg: 34 digits here, 16 to 20 in the databases). */
    private static List<List<Object>> values(JsonNode body) {
        List<List<Object>> rows = new ArrayList<>();
        for (JsonNode row : body.get("rows")) {
            List<Object> values = new ArrayList<>();
            for (JsonNode v : row) {
                values.add(v.isNull() ? null : v.isNumber()
                        ? v.decimalValue().setScale(9, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString()
                        : v.asText());
            }
            rows.add(values);
        }
        return rows;
    }

    private static List<String> columns(JsonNode body) {
        List<String> names = new ArrayList<>();
        body.get("columns").forEach(c -> names.add(c.asText()));
        return names;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT count(*) FROM vehicles",
        "SELECT count(*), count(vin), sum(length(vin)), min(vin), max(vin), avg(length(vin)) FROM vehicles",
        "SELECT vehicle_id, count(*) AS n FROM vehicles GROUP BY vehicle_id ORDER BY n DESC, vehicle_id LIMIT 2",
        "SELECT vehicle_id, count(*) AS n, count(speed_kph), sum(speed_kph) AS total, avg(speed_kph) AS mean,"
                + " min(speed_kph) AS lo, max(speed_kph) FROM telemetry WHERE speed_kph IS NULL OR speed_kph < ?"
                + " GROUP BY vehicle_id ORDER BY vehicle_id LIMIT 5 OFFSET 1",
        "SELECT count(*), sum(length(vin)), min(vin), avg(length(vin)) FROM vehicles WHERE status = 'nope'",
        "SELECT status, count(*) FROM vehicles WHERE status = 'nope' GROUP BY status",
        "SELECT sum(speed_kph) AS total, avg(speed_kph) AS mean FROM telemetry",
        "SELECT max(vin) AS top FROM vehicles WHERE vin IS NOT NULL GROUP BY status ORDER BY top LIMIT 1",
        // each shard has v1 once: only the merged count passes
        "SELECT vehicle_id, count(*) AS n FROM vehicles GROUP BY vehicle_id HAVING count(*) > 1",
        "SELECT status, sum(length(vin)) AS total FROM vehicles GROUP BY status"
                + " HAVING sum(length(vin)) >= 5 OR count(*) > 2 ORDER BY total DESC",
        "SELECT vehicle_id, count(*) FROM telemetry GROUP BY vehicle_id"
                + " HAVING max(speed_kph) < ? AND min(ts) IS NOT NULL ORDER BY vehicle_id",
    })
    void answersWhatOneDatabaseHoldingAllRowsAnswersOnBothEngines(String sql) {
        Object[] params = sql.contains("?") ? new Object[] {50} : new Object[0];
        RouterHttp.Reply merged = scatter("agg", sql, params);
        assertThat(merged.body().get("shards")).hasSize(4);
        RouterHttp.Reply onPostgres = single(false, sql, params);
        RouterHttp.Reply onMariaDb = single(true, sql, params);
        assertThat(values(merged.body())).as(sql).isEqualTo(values(onPostgres.body()))
                .isEqualTo(values(onMariaDb.body()));
        // the names PostgreSQL gives, on every engine: one PostgreSQL-only and one MariaDB-only tenant
        assertThat(columns(merged.body())).isEqualTo(columns(onPostgres.body()))
                .isEqualTo(columns(scatter("solo", sql, params).body()))
                .isEqualTo(columns(scatter("solom", sql, params).body()));
        assertThat(values(scatter("solom", sql, params).body())).isEqualTo(values(onMariaDb.body()));
    }

    @Test
    void groupsNullKeysTogetherAcrossEngines() {
        String sql = "SELECT status, count(*) AS n, count(vin) AS vins FROM vehicles GROUP BY status";
        RouterHttp.Reply merged = scatter("agg", sql);
        // without ORDER BY the order is unspecified, and NULL sorts first on MariaDB, last on PostgreSQL
        assertThat(values(merged.body())).containsExactlyInAnyOrderElementsOf(values(single(false, sql).body()))
                .containsExactlyInAnyOrderElementsOf(values(single(true, sql).body()))
                .contains(Arrays.asList(null, "1", "1"));
        assertThat(columns(merged.body())).containsExactly("status", "n", "vins");
    }

    @Test
    void namesAndTypesColumnsAlikeWhereTheEnginesDiffer() {
        String counts = "SELECT count(*), count(vin), sum(length(vin)), avg(length(vin)) FROM vehicles";
        RouterHttp.Reply merged = scatter("agg", counts);
        assertThat(columns(single(true, counts).body())).containsExactly("count(*)", "count(vin)",
                "sum(length(vin))", "avg(length(vin))");
        assertThat(columns(merged.body())).containsExactly("count", "count", "sum", "avg");
        assertThat(merged.body().get("columnTypes").toString()).isEqualTo("[\"bigint\",\"bigint\",\"numeric\","
                + "\"numeric\"]");
        // count is an integer, the integer sum exact, avg a decimal: 16 / 5
        assertThat(merged.body().get("rows").get(0).toString()).isEqualTo("[7,5,16,3.2]");
    }

    @Test
    void countsOnlyTheTenantsRowsOnSharedShards() {
        // solo's and solom's rows live on p1 and m1 too; every merged count is agg's alone
        assertThat(values(scatter("agg", "SELECT count(*) FROM vehicles").body())).containsExactly(List.of("7"));
        assertThat(values(scatter("agg", "SELECT count(*) FROM vehicles WHERE tenant_id <> 'agg'").body()))
                .containsExactly(List.of("0"));
    }

    @Test
    void refusesAShapeItCannotMergeWithAProblemNamingIt() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "agg", "sql",
                "SELECT count(DISTINCT status) FROM vehicles"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.raw().headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(r.detail()).startsWith("scatter cannot merge this statement: count(DISTINCT ...)");
    }
}
