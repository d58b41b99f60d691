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
            config.routes.get("/fatal", ctx -> {
                throw new StackOverflowError("secret internals");
            });
            config.routes.get("/things/{id}", ctx -> ctx.result("a thing"));
            config.routes.delete("/things/{id}", ctx -> ctx.status(204));
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
    void aKnownPathWithAnotherMethodIs405NamingTheMethodsItHas() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/things/7"))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(r, 405, "PUT is not allowed on /things/7");
        assertThat(r.headers().firstValue("Allow").orElseThrow().split(", ")).contains("GET", "DELETE");
        assertThat(r.body()).contains("\"type\":\"https://fleetshard.io/problems/method-not-allowed\"");
        assertThat(get("/nothing/here").statusCode()).isEqualTo(404);
    }

    @Test
    void whatJettyRefusesBeforeAnyRouteIsProblemJsonNotAnHtmlPage() throws Exception {
        for (String path : new String[] {"/things/%ff", "/things/%00", "/things/%zz"}) {
            String head = raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(head).as(path).startsWith("HTTP/1.1 400 ").contains("Content-Type: application/problem+json")
                    .contains("\"status\":400").contains("the request could not be read").doesNotContain("<html");
        }
        String badLength = raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n");
        assertThat(badLength).startsWith("HTTP/1.1 400 ").contains("application/problem+json")
                .contains("Content-Length").doesNotContain("<html");
        String hugeHead = raw("GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
        assertThat(hugeHead).startsWith("HTTP/1.1 431 ").contains("application/problem+json")
                .contains("\"status\":431").doesNotContain("<html");
    }

    @Test
    void anErrorInAHandlerIsA500ProblemThatHidesItsMessage() throws Exception {
        HttpResponse<String> r = get("/fatal");
        assertProblem(r, 500, "see the server log");
        assertThat(r.body()).doesNotContain("secret internals").doesNotContain("StackOverflow");
    }

    private static void assertProblem(HttpResponse<String> r, int status, String detail) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith(
                "application/problem+json"));
        assertThat(r.body()).contains("\"status\":" + status).contains(detail);
    }

    /**
     * Sends {@code request} as raw bytes (what an HTTP client would refuse to send) and reads the answer: its head and
     * its Content-Length body.
     */
    private String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", app.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            java.io.InputStream in = s.getInputStream();
            java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
            while (!head.toString(java.nio.charset.StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            String h = head.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(h);
            byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
            return h + new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
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
