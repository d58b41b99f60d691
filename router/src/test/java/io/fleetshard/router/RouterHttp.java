package io.fleetshard.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** A test client of a running router: posts JSON, returns status, headers and parsed body. */
final class RouterHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One response. */
    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String detail() {
            return body.path("detail").asText();
        }

        String role() {
            return body.path("role").asText();
        }

        String nodeId() {
            return body.path("nodeId").asText();
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;
    private final String token;

    /** A client that sends an admin token. */
    RouterHttp(int port) {
        this(port, TestTokens.admin());
    }

    /** A client that sends {@code token} (none if null). */
    RouterHttp(int port, String token) {
        this.port = port;
        this.token = token;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    Reply post(String path, Map<String, ?> body) {
        try {
            return post(path, JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    Reply post(String path, String body) {
        try {
            HttpResponse<String> r = http.send(request(path)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode node = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            return new Reply(r.statusCode(), node, r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String get(String path) {
        try {
            return http.send(request(path).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Reply query(Map<String, ?> body) {
        return post("/v1/query", body);
    }

    /** {@code POST /v1/query/batch} of {@code items}, each a {@code /v1/query} body (ADR 0031). */
    Reply batch(java.util.List<? extends Map<String, ?>> items) {
        return post("/v1/query/batch", Map.of("queries", items));
    }

    Reply scatter(Map<String, ?> body) {
        return post("/v1/query/scatter", body);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
