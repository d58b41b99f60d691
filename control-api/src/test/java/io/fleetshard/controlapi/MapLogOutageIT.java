package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The map log's broker goes away and comes back (a broker of this test's own, so other tests keep theirs): changes
 * answer 503 with Retry-After meanwhile, reads keep being served from the last map, and once the broker is back a
 * retried change lands exactly once.
 */
class MapLogOutageIT {
    @TempDir
    Path dir;

    @Test
    void changesAre503WhileTheLogIsDownAndLandOnceAfterItReturns() {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            ShardMapLogConfig log = KafkaControlApi.freshLog("outage", kafka.bootstrapServers(),
                    Duration.ofSeconds(3));
            try (KafkaControlApi api = KafkaControlApi.start(log, Map.of(ControlApiConfig.MAP_WAIT_TIMEOUT_MS,
                    "1000", ControlApiConfig.RETRY_AFTER_SECONDS, "2"))) {
                assertThat(api.http.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);

                kafka.stop();

                ApiHarness.Response refused = api.http.post("/v1/tenants", tenant("beta", "standard"))
                        .assertProblem(503, "could not create tenant beta", "unreachable", "Retrying is safe");
                assertThat(refused.header("Retry-After")).isEqualTo("2");
                assertThat(api.http.get("/v1/tenants/acme").status()).as("reads are served from the last map")
                        .isEqualTo(200);
                assertThat(api.http.get("/readyz").status()).as("an outage does not fence").isEqualTo(200);

                kafka.restart();

                Eventually.until("a retried create of beta to land once the log is back", Duration.ofSeconds(60),
                        () -> {
                            int status = api.http.post("/v1/tenants", tenant("beta", "standard")).status();
                            return status == 201 || status == 409;
                        });
                assertThat(api.http.get("/v1/tenants/beta").status()).isEqualTo(200);
            }
            try (ShardMapFollower reader = ShardMapFollower.start(log, null)) {
                assertThat(reader.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                ShardMapSnapshot map = reader.current();
                assertThat(map.tenants()).extracting(Tenant::tenantId).containsExactlyInAnyOrder("acme", "beta");
                assertThat(map.version()).isEqualTo(2);
            }
        }
    }
}
