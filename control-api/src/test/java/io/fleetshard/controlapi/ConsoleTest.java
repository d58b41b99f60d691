package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.InMemoryShardMap;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The web console (ADR 0022): its files are served without a token, with their content types and security headers,
 * nothing else is opened by that, and the read-only endpoints it added (tenant and fleet lists, ring shares) answer.
 * Javalin on a free port over an in-memory map.
 */
class ConsoleTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final ApiHarness h = new ApiHarness(map, map);

    @AfterEach
    void stop() {
        h.close();
    }

    private ApiHarness.Response anonymous(String path) {
        return h.sendWithoutDefaultToken(HttpRequest.newBuilder(h.uri(path)));
    }

    @Test
    void servesTheConsoleFilesWithoutATokenWithTheirTypesAndSecurityHeaders() {
        Map<String, String> types = Map.of(
                "/console", "text/html; charset=utf-8",
                "/console/", "text/html; charset=utf-8",
                "/console/index.html", "text/html; charset=utf-8",
                "/console/console.js", "text/javascript; charset=utf-8",
                "/console/console.css", "text/css; charset=utf-8",
                "/console/favicon.svg", "image/svg+xml");
        types.forEach((path, type) -> {
            ApiHarness.Response r = anonymous(path).assertStatus(200);
            assertThat(r.header("Content-Type").replace(" ", "")).as(path).isEqualTo(type.replace(" ", ""));
            assertThat(r.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
            assertThat(r.header("Content-Security-Policy")).as(path).isEqualTo(ConsoleRoutes.CONTENT_SECURITY_POLICY)
                    .contains("script-src 'self'", "default-src 'none'").doesNotContain("unsafe-inline", "unsafe-eval");
            assertThat(r.header("X-Frame-Options")).as(path).isEqualTo("DENY");
        });
        String html = anonymous("/console").body();
        assertThat(html).contains("<script src=\"/console/console.js\" defer></script>",
                "<link rel=\"stylesheet\" href=\"/console/console.css\">");
        assertThat(html.replace("<script src=\"/console/console.js\" defer></script>", ""))
                .as("no inline script: the CSP would block it").doesNotContain("<script").doesNotContain(" style=")
                .doesNotContain(" onclick=");
        assertThat(anonymous("/console/console.js").body()).contains("'Authorization'", "'Bearer '",
                "sessionStorage").doesNotContain("localStorage").doesNotContain("innerHTML").doesNotContain("eval(");
    }

    @Test
    void opensOnlyTheConsoleFilesNotTheDataOrOtherPaths() {
        anonymous("/console/secrets.txt").assertProblem(401, "needs a token"); // not a console file's shape
        anonymous("/console/nothing.js").assertProblem(404, "the console has no file nothing.js");
        for (String path : List.of("/v1/shards", "/v1/tenants", "/v1/audit", "/console/../v1/shards",
                "/console/%2e%2e/v1/shards", "/console/..%2fv1%2fshards", "/console/x/../../v1/shards",
                "/console//v1/shards", "/consolev1/shards", "/console/console.js/../../v1/shards")) {
            ApiHarness.Response r = anonymous(path);
            assertThat(r.status()).as("%s without a token: %s", path, r.body()).isIn(400, 401, 404);
            assertThat(r.body()).as(path).doesNotContain("\"shards\"").doesNotContain("\"tenants\"");
        }
        assertThat(ConsoleRoutes.isAsset("/console/console.js")).isTrue();
        assertThat(ConsoleRoutes.isAsset("/console/..")).isFalse();
        assertThat(ConsoleRoutes.isAsset("/console/a/b.js")).isFalse();
        assertThat(ConsoleRoutes.isAsset("/console/%2e.js")).isFalse();
    }

    @Test
    void listsTenantsAndFleetsAndEachShardsShareOfTheRing() {
        h.post("/v1/tenants", tenant("globex", "platinum")).assertStatus(201);
        h.post("/v1/tenants", tenant("acme", "standard")).assertStatus(201);
        h.post("/v1/shards", ApiHarness.shard("s1", "s1-a")).assertStatus(201);
        h.post("/v1/shards", ApiHarness.shard("s2", "s2-a")).assertStatus(201);
        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"vans\"}").assertStatus(201);
        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\",\"shardId\":\"s2\"}").assertStatus(201);

        JsonNode tenants = h.get("/v1/tenants").assertStatus(200).json();
        assertThat(tenants.path("mapVersion").asLong()).isEqualTo(map.current().version());
        assertThat(tenants.path("tenants").toString()).isEqualTo("[{\"tenantId\":\"acme\",\"tier\":\"standard\","
                + "\"fleetCount\":2},{\"tenantId\":\"globex\",\"tier\":\"platinum\",\"fleetCount\":0}]");

        JsonNode fleets = h.get("/v1/tenants/acme/fleets").assertStatus(200).json();
        assertThat(fleets.path("tenantId").asText()).isEqualTo("acme");
        assertThat(fleets.path("fleets").get(0).toString()).isEqualTo("{\"tenantId\":\"acme\",\"fleetId\":\"trucks\","
                + "\"shardId\":\"s2\",\"pinned\":true,\"primaryRegion\":\"eu-west-1\"}");
        assertThat(fleets.path("fleets").get(1).path("fleetId").asText()).isEqualTo("vans");
        assertThat(fleets.path("fleets").get(1).path("shardId").asText())
                .isEqualTo(h.get("/v1/tenants/acme/fleets/vans").json().path("shardId").asText());
        assertThat(h.get("/v1/tenants/globex/fleets").json().path("fleets")).isEmpty();
        h.get("/v1/tenants/nobody/fleets").assertProblem(404, "tenant nobody does not exist");

        double total = 0;
        for (JsonNode shard : h.get("/v1/shards").json().path("shards")) {
            assertThat(shard.path("ringShare").asDouble()).as(shard.path("shardId").asText()).isBetween(0.3, 0.7);
            total += shard.path("ringShare").asDouble();
        }
        assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }
}
