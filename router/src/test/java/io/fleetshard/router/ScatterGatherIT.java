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
import io.fleetshard.testkit.FreePorts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scatter-gather over three PostgreSQL shards (three databases of one server), plus one unreachable shard. */
class ScatterGatherIT {
    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static Router router;
    static RouterHttp http;

    @BeforeAll
    static void start() {
        pg = new PostgresCluster(dir, false);
        List<MapEntity> entities = new ArrayList<>(List.of(new Tenant("acme", DurabilityTier.STANDARD),
                new Tenant("other", DurabilityTier.STANDARD), new Tenant("beta", DurabilityTier.STANDARD)));
        for (int s = 1; s <= 3; s++) {
            String db = pg.newShardDatabase("scatter");
            entities.add(Shard.withDefaultTokens("s" + s, ShardStatus.ACTIVE, Engine.POSTGRES, 16));
            entities.add(new Node("s" + s + "-p", "s" + s, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                    pg.primary.jdbcUrl(db)));
            entities.add(new Fleet("acme", "f" + s, "s" + s));
        }
        entities.add(Shard.withDefaultTokens("s4", ShardStatus.ACTIVE, Engine.POSTGRES, 16));
        entities.add(new Node("s4-p", "s4", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                "jdbc:postgresql://127.0.0.1:" + FreePorts.next() + "/gone"));
        entities.add(new Fleet("other", "o1", "s1"));
        entities.add(new Fleet("beta", "b1", "s2"));
        entities.add(new Fleet("beta", "b4", "s4"));
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, entities, List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(1500).scatterMaxRows(50).build(), map).start();
        http = new RouterHttp(router.port());

        // acme: vehicles spread over three shards; equal timestamps across shards break ties by vehicle_id
        insert("acme", "f1", "v01", "2026-01-01T00:00:05Z", "active");
        insert("acme", "f1", "v04", "2026-01-01T00:00:01Z", "parked");
        insert("acme", "f2", "v02", "2026-01-01T00:00:09Z", "active");
        insert("acme", "f2", "v05", "2026-01-01T00:00:05Z", "active");
        insert("acme", "f3", "v03", "2026-01-01T00:00:07Z", "parked");
        insert("acme", "f3", "v00", "2026-01-01T00:00:05Z", "active");
        insert("other", "o1", "x99", "2026-01-01T00:00:30Z", "active");
        insert("beta", "b1", "b-1", "2026-01-01T00:00:00Z", "active");
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static void insert(String tenant, String fleet, String vehicle, String updatedAt, String status) {
        RouterHttp.Reply r = http.query(Map.of("tenantId", tenant, "fleetId", fleet,
                "sql", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?::timestamptz)",
                "params", List.of(tenant, fleet, vehicle, status, updatedAt)));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    }

    private static List<String> column(JsonNode body, int index) {
        List<String> out = new ArrayList<>();
        body.get("rows").forEach(row -> out.add(row.get(index).asText()));
        return out;
    }

    @Test
    void mergesThreeShardsByOrderByThenAppliesTheLimit() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "acme",
                "sql", "SELECT vehicle_id, updated_at, fleet_id FROM vehicles ORDER BY updated_at DESC LIMIT 5",
                "orderBy", "updated_at desc, vehicle_id", "limit", 5));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(column(r.body(), 0)).containsExactly("v02", "v03", "v00", "v01", "v05");
        assertThat(column(r.body(), 1)).startsWith("2026-01-01T00:00:09Z");
        assertThat(r.body().get("shards")).hasSize(3);
        assertThat(r.body().get("partial").asBoolean()).isFalse();
        assertThat(r.body().get("shardCount").asInt()).isEqualTo(3);
        assertThat(r.raw().body()).doesNotContain("x99");
    }

    @Test
    void ordersAscendingWithParamsAndKeepsAllRowsWithoutALimit() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "acme",
                "sql", "SELECT vehicle_id, status FROM vehicles WHERE status = ?", "params", List.of("active"),
                "orderBy", "VEHICLE_ID"));
        assertThat(column(r.body(), 0)).containsExactly("v00", "v01", "v02", "v05");
        RouterHttp.Reply all = http.scatter(Map.of("tenantId", "acme", "sql", "SELECT vehicle_id FROM vehicles"));
        assertThat(all.body().get("rows")).hasSize(6);
    }

    @Test
    void anOrderByColumnMissingFromTheResultIs400() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "acme", "sql", "SELECT vehicle_id FROM vehicles",
                "orderBy", "updated_at desc"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.detail()).isEqualTo("orderBy column 'updated_at' is not a column of the result [vehicle_id]");
    }

    @Test
    void sqlThatEveryShardRejectsIs422() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "acme", "sql", "SELECT nope FROM vehicles"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.detail()).matches("shard s[123]: column \"nope\" does not exist.*");
    }

    @Test
    void aFailedShardFailsTheRequestUnlessPartialResultsAreAllowed() {
        RouterHttp.Reply failed = http.scatter(Map.of("tenantId", "beta", "sql", "SELECT vehicle_id FROM vehicles"));
        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.raw().headers().firstValue("Retry-After")).isPresent();
        assertThat(failed.detail()).startsWith("1 of 2 shards failed").contains("s4: no connection to node s4-p");

        RouterHttp.Reply partial = http.scatter(Map.of("tenantId", "beta", "sql", "SELECT vehicle_id FROM vehicles",
                "allowPartial", true));
        assertThat(partial.status()).isEqualTo(200);
        assertThat(partial.body().get("partial").asBoolean()).isTrue();
        assertThat(column(partial.body(), 0)).containsExactly("b-1");
        assertThat(partial.body().get("failedShards").get(0).get("shardId").asText()).isEqualTo("s4");
        assertThat(partial.body().get("failedShards").get(0).get("status").asInt()).isEqualTo(503);
    }

    @Test
    void tooManyGatheredRowsIs422() {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", "acme", "sql", "SELECT g FROM generate_series(1, 30) g"));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.detail()).contains("more than 50 rows");
    }
}
