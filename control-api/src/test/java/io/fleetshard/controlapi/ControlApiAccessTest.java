package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.InMemoryShardMap;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tokens and roles on a running control API (ADR 0018): every 401 and 403 case, and a walk of the OpenAPI document
 * that checks each operation against its {@code x-roles}, so an endpoint added without a decision on who may call it
 * fails here. Javalin on a free port over an in-memory map.
 */
class ControlApiAccessTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private ApiHarness h;

    @BeforeEach
    void start() {
        h = new ApiHarness(map, map);
        h.post("/v1/tenants", tenant("acme", "standard")).assertStatus(201);
        h.post("/v1/tenants", tenant("globex", "standard")).assertStatus(201);
        h.post("/v1/shards", ApiHarness.shard("s1", "s1-a")).assertStatus(201);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private ApiHarness.Response as(String token, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).header("Content-Type", "application/json")
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return h.sendWithoutDefaultToken(b);
    }

    private static String token(Role role, String tenant) {
        return TestTokens.of(role, tenant);
    }

    @Test
    void everyOperationOfTheOpenApiDocumentNeedsATokenOfADocumentedRole() {
        JsonNode doc = h.get("/openapi.json").json();
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                String method = op.getKey().toUpperCase(Locale.ROOT);
                String concrete = path.getKey().replace("{tenantId}", "acme").replace("{fleetId}", "f1")
                        .replace("{shardId}", "s1").replace("{jobId}", "rs-1").replace("{orchestrationId}", "fo-1");
                String name = method + " " + path.getKey();
                JsonNode security = op.getValue().get("security");
                if (security != null && security.isEmpty()) {
                    assertThat(as(null, method, concrete, "{}").status()).as(name + " is open").isNotIn(401, 403);
                    continue;
                }
                ApiHarness.Response anonymous = as(null, method, concrete, "{}");
                anonymous.assertProblem(401, "needs a token");
                assertThat(anonymous.header("WWW-Authenticate")).as(name).isEqualTo("Bearer realm=\"fleetshard\"");
                Set<String> roles = new HashSet<>();
                op.getValue().path("x-roles").forEach(r -> roles.add(r.asText()));
                assertThat(roles).as(name + " documents its roles in x-roles").isNotEmpty();
                for (Role role : Role.values()) {
                    ApiHarness.Response r = as(token(role, role.isTenantRole() ? "acme" : null), method, concrete,
                            "{}");
                    if (roles.contains(role.wireName())) {
                        assertThat(r.status()).as(name + " as " + role + ": " + r.body()).isNotIn(401, 403);
                    } else {
                        r.assertProblem(403, "role " + role + " may not call " + method);
                    }
                }
                checked.add(name);
            }
        }
        assertThat(checked).hasSize(26);
        assertThat(map.current().version()).as("no call with a body of {} changed the map").isEqualTo(3);
    }

    @Test
    void tokensThatProveNothingAre401AndChangeNothing() {
        String body = tenant("initech", "standard");
        Duration hour = Duration.ofHours(1);
        List<String> tokens = List.of(
                JwtMinter.withDefaults("another-secret-that-is-long-enough!!").mint("x", Role.ADMIN, null, hour),
                new JwtMinter(TestTokens.SECRET, "fleetshard", "fleetshard",
                        Clock.offset(Clock.systemUTC(), Duration.ofHours(-3))).mint("x", Role.ADMIN, null, hour),
                new JwtMinter(TestTokens.SECRET, "fleetshard", "fleetshard",
                        Clock.offset(Clock.systemUTC(), Duration.ofHours(3))).mint("x", Role.ADMIN, null, hour),
                new JwtMinter(TestTokens.SECRET, "fleetshard", "router-only", Clock.systemUTC())
                        .mint("x", Role.ADMIN, null, hour),
                new JwtMinter(TestTokens.SECRET, "evil-idp", "fleetshard", Clock.systemUTC())
                        .mint("x", Role.ADMIN, null, hour),
                "eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.",
                "garbage");
        List<String> reasons = List.of("signature does not verify", "expired at", "not valid before", "audience",
                "issuer", "alg none", "not a JWT");
        for (int i = 0; i < tokens.size(); i++) {
            ApiHarness.Response r = as(tokens.get(i), "POST", "/v1/tenants", body).assertProblem(401,
                    reasons.get(i));
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"fleetshard\", error=\"invalid_token\"");
        }
        ApiHarness.Response basic = h.sendWithoutDefaultToken(HttpRequest.newBuilder(h.uri("/v1/shards"))
                .header("Authorization", "Basic YWRtaW46YWRtaW4="));
        basic.assertProblem(401, "must be Bearer");
        assertThat(map.current().tenant("initech")).isEmpty();
    }

    @Test
    void aTenantRoleReadsOnlyItsOwnTenantAndFleets() {
        as(TestTokens.admin(), "POST", "/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}").assertStatus(201);
        as(TestTokens.admin(), "POST", "/v1/tenants/globex/fleets", "{\"fleetId\":\"vans\"}").assertStatus(201);
        for (Role role : List.of(Role.TENANT_READER, Role.TENANT_WRITER)) {
            String t = token(role, "acme");
            assertThat(as(t, "GET", "/v1/tenants/acme", null).status()).isEqualTo(200);
            assertThat(as(t, "GET", "/v1/tenants/acme/fleets/trucks", null).status()).isEqualTo(200);
            as(t, "GET", "/v1/tenants/globex", null).assertProblem(403,
                    "a " + role + " token of tenant acme may not reach tenant globex");
            as(t, "GET", "/v1/tenants/globex/fleets/vans", null).assertProblem(403, "may not reach tenant globex");
            assertThat(as(t, "GET", "/v1/tenants/acme/fleets", null).body()).contains("\"fleetId\":\"trucks\"")
                    .doesNotContain("vans");
            as(t, "GET", "/v1/tenants/globex/fleets", null).assertProblem(403, "may not reach tenant globex");
            as(t, "GET", "/v1/tenants", null).assertProblem(403, "it needs admin or operator");
            as(t, "GET", "/v1/tenants/nobody", null).assertProblem(403, "may not reach tenant nobody");
            as(t, "POST", "/v1/tenants/acme/fleets", "{\"fleetId\":\"more\"}").assertProblem(403,
                    "role " + role + " may not call POST /v1/tenants/acme/fleets; it needs admin");
            as(t, "GET", "/v1/shardmap", null).assertProblem(403, "it needs admin or operator");
        }
        assertThat(map.current().fleet("acme", "more")).isEmpty();
    }

    @Test
    void anOperatorRunsTheTopologyButOnboardsNobody() {
        String ops = token(Role.OPERATOR, null);
        as(ops, "POST", "/v1/tenants", tenant("initech", "standard")).assertProblem(403,
                "role operator may not call POST /v1/tenants; it needs admin");
        as(ops, "POST", "/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}").assertProblem(403, "needs admin");
        as(ops, "POST", "/v1/shards", ApiHarness.shard("s9", "s9-a")).assertStatus(201);
        assertThat(as(ops, "GET", "/v1/tenants/globex", null).status()).isEqualTo(200);
        assertThat(map.current().tenant("initech")).isEmpty();
        assertThat(map.current().shard("s9")).isPresent();
    }
}
