package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.InMemoryShardMap;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Walks the router's own OpenAPI document (ADR 0018): every operation not marked open answers 401 without a token, and
 * each role gets through exactly where the document's {@code x-roles} says (403 elsewhere). An endpoint added without
 * a decision on who may call it fails here.
 */
class RouterAccessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Router router;

    @BeforeEach
    void start() {
        router = new Router(TestTokens.routerConfig().tenantSecret("0123456789abcdef-secret")
                .port(0).build(), new InMemoryShardMap()).start();
    }

    @AfterEach
    void stop() {
        router.stop();
    }

    private HttpResponse<String> send(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + path))
                .method(method.toUpperCase(java.util.Locale.ROOT), method.equals("get")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyOperationOfTheOpenApiDocumentNeedsATokenOfADocumentedRole() throws Exception {
        JsonNode doc = JSON.readTree(send("get", "/openapi.json", null).body());
        assertThat(doc.path("security").toString()).isEqualTo("[{\"bearer\":[]}]");
        List<String> closed = new ArrayList<>();
        Set<String> open = new HashSet<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                String name = op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey();
                JsonNode security = op.getValue().get("security");
                if (security != null && security.isEmpty()) {
                    open.add(path.getKey());
                    assertThat(send(op.getKey(), path.getKey(), null).statusCode()).as(name).isNotIn(401, 403);
                    continue;
                }
                closed.add(name);
                HttpResponse<String> anonymous = send(op.getKey(), path.getKey(), null);
                assertThat(anonymous.statusCode()).as(name + " without a token").isEqualTo(401);
                assertThat(anonymous.headers().firstValue("WWW-Authenticate")).as(name).isPresent();
                Set<String> roles = new HashSet<>();
                op.getValue().path("x-roles").forEach(r -> roles.add(r.asText()));
                assertThat(roles).as(name + " documents its roles in x-roles").isNotEmpty();
                for (Role role : Role.values()) {
                    int status = send(op.getKey(), path.getKey(),
                            TestTokens.of(role, role.isTenantRole() ? "acme" : null)).statusCode();
                    if (roles.contains(role.wireName())) {
                        assertThat(status).as(name + " as " + role).isNotIn(401, 403);
                    } else {
                        assertThat(status).as(name + " as " + role).isEqualTo(403);
                    }
                }
            }
        }
        assertThat(closed).containsExactlyInAnyOrder("POST /v1/query", "POST /v1/query/batch",
                "POST /v1/query/scatter");
        assertThat(open).containsExactlyInAnyOrder("/healthz", "/readyz", "/metrics", "/openapi.json");
    }
}
