package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/shards/{shardId}/standby} over scripted probes and standby positions. */
class StandbyEndpointTest {
    private static final long NOW_MS = ApiHarness.NOW.toEpochMilli();

    private final InMemoryShardMap map = new InMemoryShardMap();
    private final Map<String, ProbeResult> probes = new ConcurrentHashMap<>();
    private final InMemoryStandbyPositionReader positions = new InMemoryStandbyPositionReader();
    private final ApiHarness h = new ApiHarness(map, map,
            (n, engine) -> probes.getOrDefault(n.nodeId(), ProbeResult.failed("connection refused", 3)), positions,
            () -> null, Map.of());

    @AfterEach
    void stop() {
        h.close();
    }

    private void shard(String shardId, Engine engine, NodeRole... roles) {
        List<io.fleetshard.shardmap.MapEntity> puts = new java.util.ArrayList<>();
        puts.add(Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, engine, 4));
        String scheme = engine == Engine.POSTGRES ? "jdbc:postgresql://h/" : "jdbc:mariadb://h/";
        for (int i = 0; i < roles.length; i++) {
            String id = shardId + "-" + i;
            puts.add(new Node(id, shardId, roles[i], i == 0 ? "eu-west-1" : "us-east-1", "az" + i, scheme + id));
        }
        map.commit(map.current().version(), puts, List.of());
    }

    @Test
    void reportsEachStandbysAppliedPositionAndLag() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.REPLICA, NodeRole.STANDBY);
        probes.put("s1-0", new ProbeResult(null, 1, false, PgLsn.parse("1/2000"), null, null, null));
        positions.put("s1-2", StandbyReading.of(new StandbyPosition("s1", 12, "0f".repeat(32), 9000, "1/1800",
                NOW_MS - 4200, NOW_MS - 4100)));
        h.api.probeNow();

        ApiHarness.Response r = h.get("/v1/shards/s1/standby");

        assertThat(r.status()).isEqualTo(200);
        JsonNode body = r.json();
        assertThat(body.path("shardId").asText()).isEqualTo("s1");
        assertThat(body.path("engine").asText()).isEqualTo("postgres");
        assertThat(body.path("standbys")).hasSize(1);
        JsonNode sb = body.path("standbys").get(0);
        assertThat(sb.path("nodeId").asText()).isEqualTo("s1-2");
        assertThat(sb.path("region").asText()).isEqualTo("us-east-1");
        assertThat(sb.path("appliedManifestSeq").asLong()).isEqualTo(12);
        assertThat(sb.path("nextOffset").asLong()).isEqualTo(9000);
        assertThat(sb.path("lastPosition").asText()).isEqualTo("1/1800");
        assertThat(sb.path("lastCommitTsMs").asLong()).isEqualTo(NOW_MS - 4200);
        assertThat(sb.path("appliedAtMs").asLong()).isEqualTo(NOW_MS - 4100);
        assertThat(sb.path("appliedLagMs").asLong()).isEqualTo(4200);
        assertThat(sb.path("behindBytes").asLong()).isEqualTo(0x800);
        assertThat(sb.path("readAt").asText()).isEqualTo(ApiHarness.NOW.toString());
        assertThat(sb.has("error")).isFalse();
        assertThat(h.get("/metrics").body())
                .contains("fleetshard_standby_applied_lag_ms{node=\"s1-2\",shard=\"s1\"} 4200.0");
    }

    @Test
    void behindBytesIsNullWhileThePrimaryCannotBeProbed() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        positions.put("s1-1", StandbyReading.of(new StandbyPosition("s1", 1, "0f".repeat(32), 10, "0/10", NOW_MS,
                NOW_MS)));
        h.api.probeNow();

        JsonNode sb = h.get("/v1/shards/s1/standby").json().path("standbys").get(0);

        assertThat(sb.path("appliedLagMs").asLong()).isZero();
        assertThat(sb.path("behindBytes").isNull()).isTrue();
    }

    @Test
    void aStandbyThatCannotBeReadHasAnErrorInsteadOfFigures() throws Exception {
        shard("m1", Engine.MARIADB, NodeRole.PRIMARY, NodeRole.STANDBY, NodeRole.STANDBY);
        positions.put("m1-1", StandbyReading.nothingApplied("m1"));
        ApiHarness.Response before = h.get("/v1/shards/m1/standby");
        assertThat(before.json().path("standbys").get(0).path("error").asText()).startsWith("not read yet");

        h.api.probeNow();
        ApiHarness.Response r = h.get("/v1/shards/m1/standby");

        assertThat(r.status()).isEqualTo(200);
        JsonNode standbys = r.json().path("standbys");
        assertThat(standbys.findValuesAsText("nodeId")).containsExactly("m1-1", "m1-2");
        assertThat(standbys.get(0).path("error").asText())
                .isEqualTo("standby has not applied anything yet: no row for shard m1 in fleetshard_standby_position");
        assertThat(standbys.get(1).path("error").asText()).contains("m1-2 refused");
        assertThat(standbys.get(0).has("appliedLagMs")).isFalse();
    }

    @Test
    void aShardWithoutStandbyHasAnEmptyList() {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.SYNC_REPLICA);

        ApiHarness.Response r = h.get("/v1/shards/s1/standby");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("standbys").isArray()).isTrue();
        assertThat(r.json().path("standbys")).isEmpty();
    }

    @Test
    void anUnknownShardIsNotFound() {
        h.get("/v1/shards/nope/standby").assertProblem(404, "shard nope does not exist");
        h.get("/v1/shards/Bad%20Id/standby").assertProblem(400);
    }
}
