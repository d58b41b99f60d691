package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.InMemoryShardMap;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OperationalEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final AtomicBoolean loaded = new AtomicBoolean(false);
    private final ApiHarness h = new ApiHarness(map, map, (n, e) -> ProbeResult.up(1), () -> loaded.get() ? null : "shard map not loaded yet from fleetshard.shardmap", Map.of());

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void notReadyUntilTheMapIsLoaded() {
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        h.get("/readyz").assertProblem(503, "shard map not loaded yet from fleetshard.shardmap");

        loaded.set(true);

        ApiHarness.Response ready = h.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().path("status").asText()).isEqualTo("ready");
    }

    @Test
    void staysNotReadyWhileAnAddedReadinessCheckGivesAReason() {
        loaded.set(true);
        java.util.concurrent.atomic.AtomicReference<String> starting =
                new java.util.concurrent.atomic.AtomicReference<>("change capture does not stream yet");
        h.api.addReadinessCheck(starting::get);
        h.get("/readyz").assertProblem(503, "change capture does not stream yet");

        starting.set(null);

        assertThat(h.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    void metricsCarryRequestTimersAndTheMapVersion() {
        h.post("/v1/tenants", tenant("acme", "standard"));
        h.get("/v1/tenants/acme");
        h.get("/v1/tenants/nobody");

        String metrics = h.get("/metrics").body();

        assertThat(metrics)
                .contains("fleetshard_control_http_requests_seconds_count{method=\"POST\",route=\"/v1/tenants\","
                        + "status=\"201\"} 1")
                .contains("fleetshard_control_http_requests_seconds_count{method=\"GET\","
                        + "route=\"/v1/tenants/{tenantId}\",status=\"404\"} 1")
                .contains("fleetshard_control_http_requests_seconds_bucket")
                .contains("fleetshard_control_map_version 1.0")
                .contains("fleetshard_control_map_commits_total{outcome=\"committed\"} 1.0")
                .contains("fleetshard_control_map_writer_fenced 0.0");
    }

    @Test
    void unknownRouteIsProblemJson() {
        h.get("/v1/nothing").assertProblem(404, "GET /v1/nothing");
    }

    @Test
    void oversizeBodyIs413WithAndWithoutContentLength() {
        String big = "{\"tenantId\":\"acme\",\"tier\":\"standard\",\"pad\":\"" + "x".repeat(70_000) + "\"}";
        h.post("/v1/tenants", big).assertProblem(413, "request body of " + big.length() + " bytes exceeds the limit of 65536 bytes");

        byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
        h.send(HttpRequest.newBuilder(h.uri("/v1/shards")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))))
                .assertProblem(413, "request body exceeds the limit of 65536 bytes");
        assertThat(map.current().version()).isZero();
    }

    @Test
    void junkBodiesNeverCauseA500() {
        List<String> junk = List.of("", "null", "0", "true", "{}", "[]", "[{}]", "{\"a\":", "\u0000", "{\"tenantId\":{}}",
                "{\"fleetId\":[],\"shardId\":{}}", "{\"nodes\":[null]}", "{\"shardId\":\"s\",\"engine\":\"postgres\","
                        + "\"nodes\":[{\"nodeId\":1,\"role\":null}]}", "{\"vnodes\":1e400}", "\"\\ud800\"",
                "{\"tenantId\":\"a\",\"tier\":\"standard\"}{}", "\uFEFF{}", "{\"tier\":\"" + "\u00e9".repeat(100) + "\"}");
        for (String path : List.of("/v1/tenants", "/v1/tenants/acme/fleets", "/v1/shards")) {
            for (String body : junk) {
                ApiHarness.Response r = h.post(path, body);
                assertThat(r.status()).as("%s %s -> %s", path, body, r.body()).isBetween(400, 499);
                r.assertProblem(r.status());
            }
        }
        assertThat(map.current().version()).isZero();
    }

    @Test
    void openApiDocumentsEveryEndpointAndTheProblemShape() {
        JsonNode doc = h.get("/openapi.json").json();

        assertThat(doc.path("openapi").asText()).startsWith("3.");
        List<String> operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            path.getValue().fieldNames().forEachRemaining(m -> operations.add(m.toUpperCase() + " " + path.getKey()));
        }
        assertThat(operations).containsExactlyInAnyOrder(
                "POST /v1/tenants", "GET /v1/tenants", "GET /v1/tenants/{tenantId}",
                "POST /v1/tenants/{tenantId}/fleets", "GET /v1/tenants/{tenantId}/fleets", "GET /v1/tenants/{tenantId}/fleets/{fleetId}",
                "GET /v1/shards", "POST /v1/shards", "GET /v1/shards/{shardId}",
                "GET /v1/shards/{shardId}/standby", "GET /v1/shardmap",
                "POST /v1/reshards", "GET /v1/reshards", "GET /v1/reshards/{jobId}",
                "POST /v1/reshards/{jobId}/cancel", "POST /v1/reshards/{jobId}/pause",
                "POST /v1/reshards/{jobId}/resume", "GET /v1/hot-fleets",
                "GET /v1/orchestrations", "GET /v1/orchestrations/{orchestrationId}",
                "POST /v1/shards/{shardId}/failover", "POST /v1/shards/{shardId}/switchover", "GET /v1/audit",
                "POST /v1/shards/{shardId}/failback", "POST /v1/shards/{shardId}/rejoin",
                "POST /v1/shards/{shardId}/promote-standby",
                "GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json");
        JsonNode problem = doc.path("components").path("schemas").path("Problem");
        assertThat(problem.path("required")).extracting(JsonNode::asText)
                .containsExactly("type", "title", "status", "detail");
        for (String op : operations) {
            String[] parts = op.split(" ");
            String concrete = parts[1].replace("{tenantId}", "acme").replace("{fleetId}", "f1")
                    .replace("{shardId}", "s1").replace("{jobId}", "rs-1").replace("{orchestrationId}", "fo-1");
            ApiHarness.Response r = parts[0].equals("GET") ? h.get(concrete) : h.post(concrete, "{}");
            assertThat(r.body()).as("%s is served", op).doesNotContain("not found\"");
        }
        // every body is read through the size limit: an operation that takes one can answer 413, and says so
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            path.getValue().fields().forEachRemaining(op -> {
                if (op.getValue().has("requestBody")) {
                    assertThat(op.getValue().path("responses").has("413")).as("%s %s declares 413", op.getKey(),
                            path.getKey()).isTrue();
                }
            });
        }
        assertThat(doc.toString()).doesNotContain("\"$ref\":\"#/components/schemas/Missing");
        assertEveryRefResolves(doc, doc);
    }

    private static void assertEveryRefResolves(JsonNode doc, JsonNode node) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null) {
                assertThat(doc.at(ref.asText().substring(1)).isMissingNode()).as("target of %s is missing", ref)
                        .isFalse();
            }
            node.elements().forEachRemaining(child -> assertEveryRefResolves(doc, child));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> assertEveryRefResolves(doc, child));
        }
    }

    @Test
    void aTakenPortFailsStartNamingTheSetting() {
        ControlApi second = new ControlApi(ApiHarness.config(Map.of(ControlApiConfig.HTTP_PORT,
                Integer.toString(h.api.port()))), map, map, java.time.Clock.systemUTC());
        assertThatThrownBy(second::start).isInstanceOf(ControlApiException.class)
                .hasMessageContaining("could not listen on 127.0.0.1:" + h.api.port())
                .hasMessageContaining("control.http.port");
        second.stop();
    }
}
