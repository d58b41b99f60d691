package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.InMemoryShardMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TenantEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final ApiHarness h = new ApiHarness(map, map);

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void createsTenantAndAnswersItsNewMapVersion() {
        ApiHarness.Response r = h.post("/v1/tenants", tenant("acme", "enhanced"));

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Location")).isEqualTo("/v1/tenants/acme");
        JsonNode body = r.json();
        assertThat(body.path("tenantId").asText()).isEqualTo("acme");
        assertThat(body.path("tier").asText()).isEqualTo("enhanced");
        assertThat(body.path("mapVersion").asLong()).isEqualTo(1);
        assertThat(map.current().tenant("acme")).hasValueSatisfying(t ->
                assertThat(t.tier()).isEqualTo(DurabilityTier.ENHANCED));
    }

    @Test
    void readsTenantBackWithItsFleetCount() {
        h.post("/v1/tenants", tenant("acme", "platinum"));

        ApiHarness.Response r = h.get("/v1/tenants/acme");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json().path("tier").asText()).isEqualTo("platinum");
        assertThat(r.json().path("fleetCount").asInt()).isZero();
        assertThat(r.json().path("mapVersion").asLong()).isEqualTo(1);
    }

    @Test
    void creatingAnExistingTenantIsConflictEvenWithTheSameBody() {
        h.post("/v1/tenants", tenant("acme", "standard"));

        h.post("/v1/tenants", tenant("acme", "standard"))
                .assertProblem(409, "tenant acme already exists (tier standard)");
        assertThat(map.current().version()).isEqualTo(1);
    }

    @Test
    void anotherMethodOnATenantIs405WithAllowAndChangesNothing() {
        h.post("/v1/tenants", tenant("acme", "standard"));

        ApiHarness.Response delete = h.send(java.net.http.HttpRequest.newBuilder(h.uri("/v1/tenants/acme")).DELETE());
        delete.assertProblem(405, "DELETE is not allowed on /v1/tenants/acme; use GET");
        assertThat(delete.header("Allow")).isEqualTo("GET");
        ApiHarness.Response put = h.send(java.net.http.HttpRequest.newBuilder(h.uri("/v1/tenants"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(tenant("acme", "platinum"))));
        put.assertProblem(405, "PUT is not allowed on /v1/tenants");
        assertThat(put.header("Allow").split(", ")).containsExactlyInAnyOrder("GET", "POST");
        assertThat(map.current().version()).isEqualTo(1);
        assertThat(map.current().tenant("acme")).hasValueSatisfying(t ->
                assertThat(t.tier()).isEqualTo(DurabilityTier.STANDARD));
    }

    @Test
    void aPathJettyCannotDecodeIsA400ProblemNotAnHtmlPage() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", h.api.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /v1/tenants/acme%ff HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TestTokens.admin() + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Content-Type: application/problem+json")
                    .contains("\"status\":400").doesNotContain("<html");
        }
    }

    @Test
    void unknownTenantIsNotFound() {
        h.get("/v1/tenants/nobody").assertProblem(404, "tenant nobody does not exist");
    }

    @Test
    void invalidTenantIdInPathIsBadRequest() {
        h.get("/v1/tenants/bad!id").assertProblem(400, "path parameter tenantId must be 1-64 characters",
                "got 'bad!id'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "empty body                  | ``                                                | request body is empty",
        "blank body                  | `   `                                             | request body is empty",
        "malformed JSON              | {\"tenantId\":                                  | request body is not valid JSON",
        "trailing garbage            | {\"tenantId\":\"a\",\"tier\":\"standard\"} x   | request body is not valid JSON",
        "duplicate field             | {\"tenantId\":\"a\",\"tenantId\":\"b\",\"tier\":\"standard\"} | request body is not valid JSON",
        "array instead of object     | []                                                | request body must be a JSON object",
        "string instead of object    | \"acme\"                                         | request body must be a JSON object",
        "missing tenantId            | {\"tier\":\"standard\"}                          | tenantId is required",
        "null tenantId               | {\"tenantId\":null,\"tier\":\"standard\"}        | tenantId is required",
        "numeric tenantId            | {\"tenantId\":5,\"tier\":\"standard\"}           | tenantId must be a string, got number 5",
        "tenantId with space         | {\"tenantId\":\"ac me\",\"tier\":\"standard\"}   | tenantId must be 1-64 characters",
        "tenantId starting with dash | {\"tenantId\":\"-acme\",\"tier\":\"standard\"}   | got '-acme'",
        "empty tenantId              | {\"tenantId\":\"\",\"tier\":\"standard\"}        | tenantId must be 1-64 characters",
        "missing tier                | {\"tenantId\":\"acme\"}                          | tier is required",
        "unknown tier                | {\"tenantId\":\"acme\",\"tier\":\"gold\"}        | tier must be one of standard, enhanced, platinum, got 'gold'",
        "upper-case tier             | {\"tenantId\":\"acme\",\"tier\":\"STANDARD\"}    | got 'STANDARD'",
        "tier as object              | {\"tenantId\":\"acme\",\"tier\":{}}              | tier must be a string, got object",
        "misspelt field              | {\"tenantID\":\"acme\",\"tier\":\"standard\"}    | unknown field tenantID; allowed fields: tenantId, tier",
    })
    void rejectsBadTenantBodiesNamingTheFieldAndValue(String name, String body, String detail) {
        h.post("/v1/tenants", body == null ? "" : body).assertProblem(400, detail);
        assertThat(map.current().version()).isZero();
    }

    @Test
    void tooLongTenantIdIsNamedWithItsLength() {
        String id = "a".repeat(65);
        h.post("/v1/tenants", tenant(id, "standard")).assertProblem(400, "tenantId must be 1-64 characters");
        String huge = "a".repeat(5000);
        h.post("/v1/tenants", tenant(huge, "standard")).assertProblem(400, "...(5000 chars)");
    }
}
