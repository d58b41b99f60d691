package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.InMemoryShardMap;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every change made through the control API leaves one audit event; {@code GET /v1/audit} reads them back. */
class AuditTrailTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final InMemoryAuditLog audit = new InMemoryAuditLog();
    private final ApiHarness h = new ApiHarness(map, map);

    @AfterEach
    void stop() {
        h.close();
    }

    private ApiHarness.Response as(String token, String path, String body, String requestId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body));
        if (requestId != null) {
            b.header(AuditTrail.REQUEST_ID, requestId);
        }
        return h.sendWithoutDefaultToken(b);
    }

    @Test
    void eachChangeIsOneEventNamingTheCallerTheRouteAndTheAnswer() {
        h.api.enableAudit(audit);
        ApiHarness.Response created = as(TestTokens.admin(), "/v1/tenants", tenant("acme", "standard"), "req-42");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header(AuditTrail.REQUEST_ID)).isEqualTo("req-42");
        ApiHarness.Response shard = as(TestTokens.of(Role.OPERATOR, null), "/v1/shards", ApiHarness.shard("s1", "s1-a"),
                "bad id with spaces");
        assertThat(shard.status()).isEqualTo(201);

        as(TestTokens.of(Role.OPERATOR, null), "/v1/tenants", tenant("refused", "standard"), null)
                .assertProblem(403);
        as(TestTokens.admin(), "/v1/tenants", tenant("acme", "standard"), null).assertProblem(409);
        h.get("/v1/tenants/acme");

        assertThat(audit.events).hasSize(2);
        AuditEvent first = audit.events.get(0);
        assertThat(first.requestId()).isEqualTo("req-42");
        assertThat(first.actor()).isEqualTo("control-api-tests");
        assertThat(first.role()).isEqualTo("admin");
        assertThat(first.action()).isEqualTo("POST /v1/tenants");
        assertThat(first.path()).isEqualTo("/v1/tenants");
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.timeMs()).isEqualTo(ApiHarness.NOW.toEpochMilli());
        assertThat(first.before()).isNull();
        assertThat(first.after().path("tenantId").asText()).isEqualTo("acme");
        AuditEvent second = audit.events.get(1);
        assertThat(second.role()).isEqualTo("operator");
        assertThat(second.requestId()).as("a made-up id replaces one that is not sane")
                .isEqualTo(shard.header(AuditTrail.REQUEST_ID)).isNotEqualTo("bad id with spaces");
        assertThat(second.after().path("shardId").asText()).isEqualTo("s1");
        assertThat(AuditEvent.parse(second.toJson().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isEqualTo(second);
    }

    @Test
    void adminsReadTheTrailByTimeAndActor() {
        h.api.enableAudit(audit);
        as(TestTokens.admin(), "/v1/tenants", tenant("acme", "standard"), null);
        as(TestTokens.of(Role.OPERATOR, null), "/v1/shards", ApiHarness.shard("s1", "s1-a"), null);

        JsonNode all = h.get("/v1/audit").json();
        assertThat(all.path("events")).extracting(e -> e.path("action").asText())
                .containsExactly("POST /v1/tenants", "POST /v1/shards");
        assertThat(all.path("truncated").asBoolean()).isFalse();
        JsonNode byActor = h.get("/v1/audit?actor=control-api-tests&limit=1").json();
        assertThat(byActor.path("events")).hasSize(1);
        assertThat(byActor.path("truncated").asBoolean()).isTrue();
        assertThat(h.get("/v1/audit?actor=nobody").json().path("events")).isEmpty();
        assertThat(h.get("/v1/audit?to=2024-01-01T00:00:00Z").json().path("events")).isEmpty();
        h.get("/v1/audit?from=yesterday").assertProblem(400, "ISO-8601");
        h.get("/v1/audit?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z").assertProblem(400, "is before");
        h.get("/v1/audit?limit=0").assertProblem(400, "limit must be between 1 and 10000");
        h.sendWithoutDefaultToken(HttpRequest.newBuilder(h.uri("/v1/audit")).header("Authorization", "Bearer "
                + TestTokens.of(Role.OPERATOR, null))).assertProblem(403, "it needs admin");
    }

    @Test
    void withoutAuditingChangesStillWorkAndTheTrailIs503() {
        assertThat(h.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);
        h.get("/v1/audit").assertProblem(503, "auditing is not enabled");
    }

    @Test
    void aLostEventIsCountedAndTheChangeStands() {
        h.api.enableAudit(audit);
        audit.failWith = new ControlApiException("audit topic unreachable");
        assertThat(h.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);
        assertThat(map.current().tenant("acme")).isPresent();
        assertThat(h.get("/metrics").body()).contains("fleetshard_control_audit_failures_total 1.0");
    }
}
