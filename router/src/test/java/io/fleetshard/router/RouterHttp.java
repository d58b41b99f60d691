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

    RouterHttp(int port) {
        this.port = port;
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
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path))
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
            return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString()).body();
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

    Reply scatter(Map<String, ?> body) {
        return post("/v1/query/scatter", body);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
