package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.shard;
import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.Tenant;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two control-API instances on one real map log: starting the second fences the first, which answers every change
 * with 503 and goes unready, and whose refused changes never reach the map.
 */
class WriterFencingIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void secondInstanceTakesOverAndTheFencedFirstAnswers503WithoutChangingTheMap() {
        ShardMapLogConfig log = KafkaControlApi.freshLog("fencing");
        try (KafkaControlApi first = KafkaControlApi.start(log, Map.of())) {
            ApiHarness.Response created = first.http.post("/v1/tenants", tenant("acme", "standard"));
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.json().path("mapVersion").asLong()).isEqualTo(1);

            try (KafkaControlApi second = KafkaControlApi.start(log, Map.of())) {
                assertThat(second.http.get("/v1/tenants/acme").status()).as("the new instance loaded the map")
                        .isEqualTo(200);

                // the first instance tries before the second wrote anything: Kafka reports the fencing
                ApiHarness.Response refused = first.http.post("/v1/tenants", tenant("from-first", "standard"))
                        .assertProblem(503, "fenced");
                assertThat(refused.header("Retry-After")).isEqualTo("5");
                first.http.get("/readyz").assertProblem(503, "fenced");
                assertThat(first.http.get("/v1/shardmap").json().path("writerFenced").asBoolean()).isTrue();
                assertThat(first.http.get("/metrics").body()).contains("fleetshard_control_map_writer_fenced 1.0");

                ApiHarness.Response beta = second.http.post("/v1/tenants", tenant("beta", "enhanced"));
                assertThat(beta.status()).isEqualTo(201);
                assertThat(beta.json().path("mapVersion").asLong()).isEqualTo(2);
                assertThat(second.http.get("/readyz").status()).isEqualTo(200);

                // the first follows the new writer's changes and keeps answering reads, never writes
                Eventually.until("the fenced instance to follow version 2", WAIT,
                        () -> first.http.get("/v1/shardmap").json().path("version").asLong() == 2);
                assertThat(first.http.get("/v1/tenants/beta").status()).isEqualTo(200);
                first.http.post("/v1/shards", shard("s-first", "s-first-p")).assertProblem(503, "fenced");

                assertThat(second.http.post("/v1/shards", shard("s1", "s1-p", "s1-r")).status()).isEqualTo(201);
            }
        }

        ShardMapSnapshot map = readBack(log);
        assertThat(map.version()).isEqualTo(3);
        assertThat(map.tenants()).extracting(Tenant::tenantId).containsExactlyInAnyOrder("acme", "beta");
        assertThat(map.shard("s1")).isPresent();
        assertThat(map.shard("s-first")).isEmpty();
        assertThat(map.node("s-first-p")).isEmpty();
    }

    @Test
    void fencedInstanceThatFirstSeesTheNewWritersChangesStillRefuses() {
        ShardMapLogConfig log = KafkaControlApi.freshLog("fenced-behind");
        try (KafkaControlApi first = KafkaControlApi.start(log, Map.of())) {
            assertThat(first.http.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);
            try (KafkaControlApi second = KafkaControlApi.start(log, Map.of())) {
                assertThat(second.http.post("/v1/tenants", tenant("beta", "standard")).status()).isEqualTo(201);
                Eventually.until("the first instance to follow version 2", WAIT,
                        () -> first.follower.current().version() == 2);

                first.http.post("/v1/tenants", tenant("gamma", "standard")).assertProblem(503, "fenced");
                first.http.get("/readyz").assertProblem(503, "fenced");

                assertThat(second.http.post("/v1/tenants", tenant("delta", "standard")).json()
                        .path("mapVersion").asLong()).isEqualTo(3);
            }
        }
        ShardMapSnapshot map = readBack(log);
        assertThat(map.version()).isEqualTo(3);
        assertThat(map.tenants()).extracting(Tenant::tenantId).containsExactlyInAnyOrder("acme", "beta", "delta");
    }

    /** The map as a reader that starts afterwards sees it. */
    private static ShardMapSnapshot readBack(ShardMapLogConfig log) {
        try (ShardMapFollower reader = ShardMapFollower.start(log, null)) {
            assertThat(reader.awaitCaughtUp(WAIT)).as("a new reader catches up with the log").isTrue();
            return reader.current();
        }
    }
}
