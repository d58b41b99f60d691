package io.fleetshard.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProblemResponsesTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private Javalin app;
    private volatile String notReady = "map not loaded";

    @BeforeEach
    void start() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        app = Javalin.create(config -> {
            config.http.maxRequestSize = 100;
            ProblemResponses.install(config);
            OperationalRoutes.install(config, registry, () -> notReady, "test-openapi.json");
            config.routes.post("/echo", ctx -> ctx.result(ctx.body()));
            config.routes.get("/conflict", ctx -> {
                throw ApiProblem.conflict("tenant acme already exists");
            });
            config.routes.get("/busy", ctx -> {
                throw ApiProblem.unavailable("no node of shard s1 can serve", 2);
            });
            config.routes.get("/boom", ctx -> {
                throw new IllegalStateException("secret internals");
            });
        }).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + app.port() + path);
    }

    @Test
    void apiProblemBecomesProblemJsonWithItsStatus() throws Exception {
        HttpResponse<String> r = get("/conflict");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith(
                "application/problem+json"));
        assertThat(r.body()).contains("\"status\":409").contains("\"detail\":\"tenant acme already exists\"")
                .contains("\"type\":\"https://fleetshard.io/problems/conflict\"");
    }

    @Test
    void unavailableCarriesRetryAfter() throws Exception {
        HttpResponse<String> r = get("/busy");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("2");
    }

    @Test
    void unknownRouteIs404ProblemAndUnexpectedErrorHidesItsMessage() throws Exception {
        HttpResponse<String> missing = get("/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("GET /nope");
        HttpResponse<String> boom = get("/boom");
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(boom.body()).doesNotContain("secret internals").doesNotContain("at io.fleetshard");
    }

    @Test
    void oversizeBodyIs413() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(1000))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("\"status\":413");
    }

    @Test
    void readinessReportsTheReasonUntilReady() throws Exception {
        assertThat(get("/readyz").statusCode()).isEqualTo(503);
        assertThat(get("/readyz").body()).contains("map not loaded");
        notReady = null;
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/openapi.json").body()).contains("openapi");
        assertThat(get("/metrics").statusCode()).isEqualTo(200);
    }
}
