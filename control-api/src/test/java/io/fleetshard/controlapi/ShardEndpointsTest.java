package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.node;
import static io.fleetshard.controlapi.ApiHarness.shard;
import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.ShardMapSnapshot;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShardEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final Map<String, ProbeResult> probeResults = new ConcurrentHashMap<>();
    private final ApiHarness h = new ApiHarness(map, map,
            (n, engine) -> probeResults.getOrDefault(n.nodeId(), ProbeResult.failed("connection refused", 3)),
            () -> null, Map.of(ControlApiConfig.PROBE_FAILURES_BEFORE_DOWN, "2"));

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void registersShardWithItsNodesInOneMapVersionAndJoinsTheRing() {
        List<ShardMapSnapshot> seen = new CopyOnWriteArrayList<>();
        map.addListener(seen::add);

        ApiHarness.Response r = h.post("/v1/shards", "{\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":["
                + node("s1-a", "replica") + "," + node("s1-p", "primary") + "," + node("s1-s", "sync-replica") + "]}");

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Location")).isEqualTo("/v1/shards/s1");
        JsonNode shard = r.json();
        assertThat(shard.path("shardId").asText()).isEqualTo("s1");
        assertThat(shard.path("engine").asText()).isEqualTo("postgres");
        assertThat(shard.path("status").asText()).isEqualTo("active");
        assertThat(shard.path("vnodes").asInt()).isEqualTo(256);
        assertThat(shard.path("mapVersion").asLong()).isEqualTo(1);
        assertThat(shard.path("nodes").findValuesAsText("nodeId")).containsExactly("s1-p", "s1-s", "s1-a");
        JsonNode primary = shard.path("nodes").get(0);
        assertThat(primary.path("role").asText()).isEqualTo("primary");
        assertThat(primary.path("region").asText()).isEqualTo("eu-west-1");
        assertThat(primary.path("az").asText()).isEqualTo("eu-west-1a");
        assertThat(primary.path("health").path("status").asText()).isEqualTo("unknown");
        assertThat(primary.path("replicationLagMs").isNull()).isTrue();

        assertThat(seen).hasSize(1);
        ShardMapSnapshot after = seen.get(0);
        assertThat(after.nodesOf("s1")).hasSize(3);
        assertThat(after.ring().vnodeCount()).isEqualTo(256);
        assertThat(after.primaryOf("s1")).map(Node::nodeId).contains("s1-p");
        assertThat(after.shard("s1").orElseThrow().engine()).isEqualTo(Engine.POSTGRES);
    }

    @Test
    void listsAndReadsShardsWithTheSummaryCounts() {
        h.post("/v1/shards", shard("s2", "s2-p", "s2-r"));
        h.post("/v1/shards", shard("s1", "s1-p"));
        h.post("/v1/tenants", tenant("acme", "standard"));
        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"f1\"}");

        JsonNode list = h.get("/v1/shards").json();
        assertThat(list.path("mapVersion").asLong()).isEqualTo(4);
        assertThat(list.path("shards").findValuesAsText("shardId")).containsExactly("s1", "s2");
        assertThat(list.path("shards").get(1).path("nodes")).hasSize(2);

        JsonNode one = h.get("/v1/shards/s2").json();
        assertThat(one.path("vnodes").asInt()).isEqualTo(16);
        assertThat(one.path("nodes").findValuesAsText("role")).containsExactly("primary", "replica");
        assertThat(one.path("mapVersion").asLong()).isEqualTo(4);

        JsonNode summary = h.get("/v1/shardmap").json();
        assertThat(summary.path("version").asLong()).isEqualTo(4);
        assertThat(summary.path("tenants").asInt()).isEqualTo(1);
        assertThat(summary.path("fleets").asInt()).isEqualTo(1);
        assertThat(summary.path("shards").asInt()).isEqualTo(2);
        assertThat(summary.path("nodes").asInt()).isEqualTo(3);
        assertThat(summary.path("vnodes").asInt()).isEqualTo(32);
        assertThat(summary.path("writerFenced").asBoolean()).isFalse();
    }

    @Test
    void showsEachNodesHealthAndReplicationLagFromTheLastProbeRound() throws Exception {
        h.post("/v1/shards", shard("s1", "s1-p", "s1-r", "s1-gone"));
        probeResults.put("s1-p", new ProbeResult(null, 4, false, PgLsn.parse("0/5000"), null, null, null));
        probeResults.put("s1-r", new ProbeResult(null, 6, true, PgLsn.parse("0/4000"), PgLsn.parse("0/4800"), 1500L,
                null));

        h.api.probeNow();
        h.api.probeNow();

        JsonNode nodes = h.get("/v1/shards/s1").json().path("nodes");
        JsonNode primary = nodes.get(0);
        assertThat(primary.path("health").path("status").asText()).isEqualTo("up");
        assertThat(primary.path("health").path("lastProbeAt").asText()).isEqualTo("2025-01-01T00:00:00Z");
        assertThat(primary.path("health").path("probeLatencyMs").asLong()).isEqualTo(4);
        assertThat(primary.path("replicationLagBytes").isNull()).isTrue();
        JsonNode gone = nodes.get(1);
        assertThat(gone.path("nodeId").asText()).isEqualTo("s1-gone");
        assertThat(gone.path("health").path("status").asText()).isEqualTo("down");
        assertThat(gone.path("health").path("consecutiveFailures").asInt()).isEqualTo(2);
        assertThat(gone.path("health").path("lastError").asText()).isEqualTo("connection refused");
        assertThat(gone.path("health").path("lastSuccessAt").isNull()).isTrue();
        JsonNode replica = nodes.get(2);
        assertThat(replica.path("health").path("status").asText()).isEqualTo("up");
        assertThat(replica.path("replicationLagBytes").asLong()).isEqualTo(0x1000);
        assertThat(replica.path("replicationLagMs").asLong()).isEqualTo(1500);

        String metrics = h.get("/metrics").body();
        assertThat(metrics).contains("fleetshard_node_up{node=\"s1-p\",role=\"primary\",shard=\"s1\"} 1.0")
                .contains("fleetshard_node_up{node=\"s1-gone\",role=\"replica\",shard=\"s1\"} 0.0")
                .contains("fleetshard_node_replication_lag_bytes{node=\"s1-r\",role=\"replica\",shard=\"s1\"} 4096.0")
                .contains("fleetshard_node_replication_lag_ms{node=\"s1-r\",role=\"replica\",shard=\"s1\"} 1500.0");
    }

    @Test
    void existingShardIsConflict() {
        h.post("/v1/shards", shard("s1", "s1-p"));
        h.post("/v1/shards", shard("s1", "other-p")).assertProblem(409, "shard s1 already exists");
    }

    @Test
    void nodeIdUsedByAnotherShardIsConflictAndNothingIsWritten() {
        h.post("/v1/shards", shard("s1", "s1-p", "shared"));
        long before = map.current().version();

        h.post("/v1/shards", shard("s2", "s2-p", "shared"))
                .assertProblem(409, "node shared already exists (replica of shard s1)");
        assertThat(map.current().version()).isEqualTo(before);
        assertThat(map.current().shard("s2")).isEmpty();
        assertThat(map.current().node("s2-p")).isEmpty();
    }

    @Test
    void unknownShardIsNotFound() {
        h.get("/v1/shards/s404").assertProblem(404, "shard s404 does not exist");
        h.get("/v1/shards/s%2F1").assertProblem(400, "path parameter shardId");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "missing shardId       | {\"engine\":\"postgres\",\"nodes\":[N0]}                       | shardId is required",
        "invalid shardId       | {\"shardId\":\"s 1\",\"engine\":\"postgres\",\"nodes\":[N0]}  | shardId must be 1-64 characters",
        "missing engine        | {\"shardId\":\"s1\",\"nodes\":[N0]}                            | engine is required",
        "unknown engine        | {\"shardId\":\"s1\",\"engine\":\"oracle\",\"nodes\":[N0]}     | engine must be one of postgres, mysql, mariadb, got 'oracle'",
        "negative vnodes       | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"vnodes\":-1,\"nodes\":[N0]} | vnodes must be an integer between 0 and 4096, got number -1",
        "too many vnodes       | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"vnodes\":5000,\"nodes\":[N0]} | got number 5000",
        "fractional vnodes     | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"vnodes\":1.5,\"nodes\":[N0]} | got number 1.5",
        "text vnodes           | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"vnodes\":\"many\",\"nodes\":[N0]} | got string \"many\"",
        "missing nodes         | {\"shardId\":\"s1\",\"engine\":\"postgres\"}                   | nodes is required",
        "nodes not an array    | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":{}}       | nodes must be an array of nodes, got object",
        "no nodes              | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[]}       | nodes must hold between 1 and 64 nodes, got 0",
        "node not an object    | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[N0,7]}   | nodes[1] must be an object",
        "no primary            | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[R1]}     | exactly one node with role primary, got 0",
        "two primaries         | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[N0,P1]}  | exactly one node with role primary, got 2 (n0, n1)",
        "duplicate node ids    | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[N0,N0R]} | nodes[1].nodeId 'n0' is listed twice",
        "unknown role          | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[N0,X1]}  | nodes[1].role must be one of primary, sync-replica, replica, standby, got 'leader'",
        "missing region        | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[NOREGION]} | nodes[0].region is required",
        "invalid az            | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[BADAZ]}  | nodes[0].az must be 1-64 characters",
        "jdbc url of mysql     | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[MYSQLURL]} | nodes[0].jdbcUrl must be a JDBC URL of the shard's engine postgres",
        "not a jdbc url        | {\"shardId\":\"s1\",\"engine\":\"mariadb\",\"nodes\":[N0]}      | nodes[0].jdbcUrl must be a JDBC URL of the shard's engine mariadb",
        "unknown node field    | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":[EXTRA]}  | unknown field nodes[0].host; allowed fields of nodes[0]: nodeId, role",
        "unknown shard field   | {\"shardId\":\"s1\",\"engine\":\"postgres\",\"replicas\":2,\"nodes\":[N0]} | unknown field replicas",
    })
    void rejectsBadShardBodiesNamingTheField(String name, String template, String detail) {
        String body = template
                .replace("N0R", node("n0", "replica"))
                .replace("N0", node("n0", "primary"))
                .replace("P1", node("n1", "primary"))
                .replace("R1", node("n1", "replica"))
                .replace("X1", node("n1", "leader"))
                .replace("NOREGION", node("n0", "primary").replace("\"region\":\"eu-west-1\",", ""))
                .replace("BADAZ", node("n0", "primary").replace("eu-west-1a", "eu west"))
                .replace("MYSQLURL", node("n0", "primary").replace("jdbc:postgresql:", "jdbc:mysql:"))
                .replace("EXTRA", node("n0", "primary").replace("{", "{\"host\":\"h\","));

        h.post("/v1/shards", body).assertProblem(400, detail);
        assertThat(map.current().version()).isZero();
    }

    @Test
    void mysqlShardAcceptsMariadbAndMysqlUrls() {
        String body = "{\"shardId\":\"m1\",\"engine\":\"mysql\",\"nodes\":["
                + node("m1-p", "primary").replace("jdbc:postgresql:", "jdbc:mariadb:") + ","
                + node("m1-r", "replica").replace("jdbc:postgresql:", "jdbc:mysql:") + "]}";
        assertThat(h.post("/v1/shards", body).status()).isEqualTo(201);
        assertThat(map.current().node("m1-r").orElseThrow().role()).isEqualTo(NodeRole.REPLICA);
    }

    @Test
    void passwordsInJdbcUrlsAreMaskedInAnswers() {
        String body = "{\"shardId\":\"s1\",\"engine\":\"postgres\",\"nodes\":["
                + node("s1-p", "primary").replace("/s1-p\"", "/db?user=u&password=hunter2&ssl=true\"") + "]}";

        ApiHarness.Response r = h.post("/v1/shards", body);

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.body()).doesNotContain("hunter2").contains("password=****&ssl=true");
        assertThat(h.get("/v1/shards/s1").body()).doesNotContain("hunter2");
        assertThat(ShardRoutes.maskSecrets("jdbc:mysql://app:secret@db:3306/x")).isEqualTo("jdbc:mysql://app:****@db:3306/x");
    }
}
