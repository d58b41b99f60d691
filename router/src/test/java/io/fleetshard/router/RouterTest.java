package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The HTTP surface without any database: a map whose shards have no nodes, so every request either fails validation
 * or finds no node. Javalin on port 0.
 */
class RouterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final InMemoryShardMap map = new InMemoryShardMap();
    private Router router;

    @BeforeEach
    void start() {
        RouterConfig config = TestTokens.routerConfig()
                .tenantSecret("0123456789abcdef-secret").port(0).maxRequestBytes(2048).build();
        router = new Router(config, map).start();
    }

    @AfterEach
    void stop() {
        router.stop();
    }

    private void loadMap() {
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("m1", ShardStatus.ACTIVE, Engine.MYSQL, 16),
                new Fleet("acme", "f1", "s1"), new Fleet("acme", "fm", "m1")), List.of());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TestTokens.admin())
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TestTokens.admin())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + router.port() + path);
    }

    private static JsonNode problem(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/problem+json"));
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("type").asText()).startsWith("https://fleetshard.io/problems/");
        assertThat(body.get("title").asText()).isNotBlank();
        assertThat(r.body()).doesNotContain("\tat ").doesNotContain("Exception");
        return body;
    }

    @Test
    void everyAnswerOfTheMainPortNamesTheQueryPortWhenOneIsAdvertised() throws Exception {
        assertThat(get("/healthz").headers().firstValue("FleetShard-Query-Port")).as("no query port").isEmpty();
        for (String advertised : List.of("0", "-1", "18081")) {
            try (Router withPort = new Router(TestTokens.routerConfig().tenantSecret("0123456789abcdef-secret")
                    .port(0).set(RouterConfig.QUERY_PORT, "0").set(RouterConfig.QUERY_ADVERTISED_PORT, advertised)
                    .build(), map).start()) {
                String expected = advertised.equals("0") ? Integer.toString(withPort.queryPort())
                        : advertised.equals("-1") ? null : advertised;
                for (String path : List.of("/healthz", "/readyz", "/v1/query", "/v1/query/scatter")) {
                    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + withPort.port()
                            + path)).header("Authorization", "Bearer " + TestTokens.admin());
                    HttpResponse<String> answer = http.send(path.startsWith("/v1") ? r.POST(
                            HttpRequest.BodyPublishers.ofString("{}")).build() : r.build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(answer.headers().firstValue("FleetShard-Query-Port").orElse(null))
                            .as(path + " with " + RouterConfig.QUERY_ADVERTISED_PORT + "=" + advertised)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void isNotReadyUntilTheMapHasAVersion() throws Exception {
        assertThat(problem(get("/readyz"), 503).get("detail").asText()).contains("shard map is not loaded");
        assertThat(problem(post("/v1/query", "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}"),
                503).get("detail").asText()).contains("not loaded");
        loadMap();
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void staysNotReadyWhileAnAddedReadinessCheckGivesAReason() throws Exception {
        loadMap();
        java.util.concurrent.atomic.AtomicReference<String> starting =
                new java.util.concurrent.atomic.AtomicReference<>("change capture does not stream yet");
        router.addReadinessCheck(starting::get);
        assertThat(problem(get("/readyz"), 503).get("detail").asText()).isEqualTo("change capture does not stream yet");
        starting.set(null);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void servesItsOpenApiDocument() throws Exception {
        JsonNode doc = JSON.readTree(get("/openapi.json").body());
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        assertThat(doc.at("/paths/~1v1~1query/post")).isNotNull();
        assertThat(doc.at("/paths/~1v1~1query~1scatter/post").isMissingNode()).isFalse();
        assertThat(doc.at("/paths/~1v1~1query~1batch/post/x-roles").isMissingNode()).isFalse();
        assertThat(doc.at("/components/schemas/Problem/required").toString()).contains("type", "title", "status",
                "detail");
        // ADR 0042: every answer of the main port may name the query port; each documented answer says so
        assertThat(doc.at("/components/headers/FleetShard-Query-Port/schema/type").asText()).isEqualTo("integer");
        List<String> answers = new java.util.ArrayList<>();
        doc.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op ->
                op.getValue().get("responses").fields().forEachRemaining(r -> answers.add(path.getKey() + " "
                        + op.getKey() + " " + r.getKey() + " " + headerOf(doc, r.getValue())))));
        assertThat(answers).isNotEmpty().allMatch(a -> a.endsWith(" #/components/headers/FleetShard-Query-Port"));
    }

    /** The reference of a documented answer's FleetShard-Query-Port header, following a shared answer's $ref. */
    private static String headerOf(JsonNode doc, JsonNode response) {
        JsonNode r = response.has("$ref") ? doc.at(response.get("$ref").asText().substring(1)) : response;
        return r.at("/headers/FleetShard-Query-Port/$ref").asText("none");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json|400|request body is not valid JSON",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"params\":\"x\"}|400|params must be an array",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"consistency\":\"fresh\"}|400|consistency must be one of",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"consistency\":\"bounded\"}|400|needs maxStalenessMs",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"consistency\":\"bounded\",\"maxStalenessMs\":-5}|400|maxStalenessMs must be >= 0",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"afterToken\":\"nope\"}|400|is not a consistency token",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"afterToken\":\"s2@postgres:0/10\"}|400|was issued by shard s2 but fleet f1 of tenant acme lives on shard s1",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1; select 2\"}|400|single statement",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"RESET ALL\"}|400|session, transaction or access control",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select ?\"}|400|sql has 1 ? placeholder but params has 0 values",
        "{\"tenantId\":\"nobody\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}|404|tenant 'nobody' is not registered",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f9\",\"sql\":\"select 1\"}|404|fleet 'f9' of tenant 'acme' is not registered",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}|503|shard s1 has no primary",
        "{\"tenantId\":\"acme\",\"fleetId\":\"fm\",\"sql\":\"select 1\"}|503|engine mysql is not supported",
    })
    void answersBadQueriesWithProblems(String body, int status, String detail) throws Exception {
        loadMap();
        JsonNode p = problem(post("/v1/query", body), status);
        assertThat(p.get("detail").asText()).contains(detail);
    }

    @Test
    void unavailableAnswersCarryRetryAfter() throws Exception {
        loadMap();
        HttpResponse<String> r = post("/v1/query", "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}");
        problem(r, 503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void anOversizeBodyIs413() throws Exception {
        loadMap();
        String sql = "select '" + "x".repeat(4000) + "'";
        problem(post("/v1/query", "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"" + sql + "\"}"), 413);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"tenantId\":\"acme\",\"sql\":\"delete from vehicles\"}|400|scatter runs reads only",
        "{\"tenantId\":\"acme\",\"sql\":\"select 1\",\"orderBy\":\"a desc desc\"}|400|orderBy 'a desc desc'",
        "{\"tenantId\":\"acme\",\"sql\":\"select 1\",\"limit\":-3}|400|limit must be between",
        "{\"tenantId\":\"acme\",\"sql\":\"select 1\",\"afterToken\":\"s1@postgres:0/1\"}|400|unknown field 'afterToken'",
        "{\"tenantId\":\"ghost\",\"sql\":\"select 1\"}|404|tenant 'ghost' is not registered",
        "{\"tenantId\":\"acme\",\"sql\":\"select 1\"}|503|has no primary",
    })
    void answersBadScattersWithProblems(String body, int status, String detail) throws Exception {
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Fleet("acme", "f1", "s1")), List.of());
        JsonNode p = problem(post("/v1/query/scatter", body), status);
        assertThat(p.get("detail").asText()).contains(detail);
    }

    @Test
    void aTenantWithoutFleetsScattersToNothing() throws Exception {
        map.commit(0, List.of(new Tenant("lonely", DurabilityTier.STANDARD)), List.of());
        HttpResponse<String> r = post("/v1/query/scatter", "{\"tenantId\":\"lonely\",\"sql\":\"select 1\"}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("rows").size()).isZero();
        assertThat(body.get("shardCount").asInt()).isZero();
    }

    /** A body without a Content-Length (chunked) takes Javalin's route instead of the fast lane: same answers. */
    @Test
    void aChunkedBodyIsAnsweredLikeOneOfDeclaredLength() throws Exception {
        loadMap();
        String body = "{\"tenantId\":\"nobody\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}";
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(uri("/v1/query"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + TestTokens.admin())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8)))).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> sized = post("/v1/query", body);
        assertThat(problem(chunked, 404)).isEqualTo(problem(sized, 404));
        String big = "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select '" + "x".repeat(4000) + "'\"}";
        problem(http.send(HttpRequest.newBuilder(uri("/v1/query"))
                .header("Authorization", "Bearer " + TestTokens.admin()).POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(big.getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString()), 413);
    }

    @Test
    void countsResponsesByStatusInMetrics() throws Exception {
        loadMap();
        post("/v1/query", "{\"tenantId\":\"nobody\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}");
        post("/v1/query", "{");
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("fleetshard_router_responses_total{endpoint=\"query\",status=\"404\"} 1.0");
        assertThat(metrics).contains("fleetshard_router_responses_total{endpoint=\"query\",status=\"400\"} 1.0");
    }

    /** Each item of a batch gets the answer /v1/query gives its body, in order; one failing item fails alone. */
    @Test
    void aBatchAnswersEachItemAsASingleQueryWould() throws Exception {
        loadMap();
        String[] items = {
            "{\"tenantId\":\"nobody\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}",
            "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1; select 2\"}",
            "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\",\"typo\":1}",
            "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}",
            "{\"tenantId\":\"acme\",\"fleetId\":\"f9\",\"sql\":\"select 1\"}",
        };
        HttpResponse<String> r = post("/v1/query/batch", "{\"queries\":[" + String.join(",", items) + ",42]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/json"));
        JsonNode results = JSON.readTree(r.body()).get("results");
        assertThat(results).hasSize(6);
        for (int i = 0; i < items.length; i++) {
            JsonNode single = JSON.readTree(post("/v1/query", items[i]).body());
            JsonNode item = results.get(i);
            assertThat(item.get("status").asInt()).as("item %d", i).isEqualTo(single.get("status").asInt());
            assertThat(item.get("problem").get("detail").asText()).as("item %d", i)
                    .endsWith(single.get("detail").asText());
            assertThat(item.get("problem").get("type")).isEqualTo(single.get("type"));
        }
        assertThat(results.get(2).get("problem").get("detail").asText()).startsWith("queries[2]: unknown field 'typo'");
        assertThat(results.get(3).get("status").asInt()).isEqualTo(503);
        assertThat(results.get(3).get("retryAfterSeconds").asInt()).isPositive();
        assertThat(results.get(5).get("problem").get("detail").asText())
                .isEqualTo("queries[5] must be a query object, got an integer");
        assertThat(r.body()).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(get("/metrics").body())
                .contains("fleetshard_router_responses_total{endpoint=\"batch\",status=\"200\"} 1.0");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json|400|request body is not valid JSON",
        "[]|400|must be a JSON object",
        "{}|400|queries is required",
        "{\"queries\":[]}|400|at least one query object",
        "{\"queries\":{}}|400|queries must be an array",
        "{\"queries\":[{\"sql\":\"select 1\"]}|400|request body is not valid JSON",
        "{\"queries\":[],\"extra\":1}|400|unknown field 'extra'",
    })
    void aBodyThatIsNoBatchIsOneProblem(String body, int status, String detail) throws Exception {
        loadMap();
        assertThat(problem(post("/v1/query/batch", body), status).get("detail").asText()).contains(detail);
    }

    @Test
    void aBatchOverTheItemLimitIs422AndOverTheSizeLimit413() throws Exception {
        loadMap();
        String item = "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}";
        String tooMany = "{\"queries\":[" + String.join(",", java.util.Collections.nCopies(65, "{}")) + "]}";
        assertThat(problem(post("/v1/query/batch", tooMany), 422).get("detail").asText())
                .isEqualTo("a batch may hold at most 64 queries (router.batch.max.items); split it");
        String tooBig = "{\"queries\":[" + String.join(",", java.util.Collections.nCopies(60, item)) + "]}";
        assertThat(tooBig.length()).isGreaterThan(2048);
        problem(post("/v1/query/batch", tooBig), 413);
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() throws Exception {
        problem(get("/v1/nothing"), 404);
        HttpResponse<String> wrongMethod = get("/v1/query");
        assertThat(problem(wrongMethod, 405).get("detail").asText()).isEqualTo("GET is not allowed on /v1/query; use POST");
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
    }
}
