package io.fleetshard.client;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/** JSON over the JDK's HTTP client: one exchange, no retries, no interpretation of the status. */
final class JsonHttp {
    /** An answer: status, {@code Retry-After} header (or null), body, {@value QueryPorts#HEADER} header (or null). */
    record Response(int status, String retryAfter, byte[] body, String queryPort) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient client;
    private final Supplier<String> token;

    /** @param token the bearer token of each request (asked each time, so it may be renewed); null: none */
    JsonHttp(HttpClient client, Supplier<String> token) {
        this.client = client;
        this.token = token;
    }

    Response post(URI uri, byte[] body, Duration timeout) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    Response get(URI uri, Duration timeout) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build());
    }

    private Response send(HttpRequest request) throws IOException, InterruptedException {
        String t = token == null ? null : token.get();
        if (t != null) {
            request = HttpRequest.newBuilder(request, (name, value) -> true).header("Authorization", "Bearer " + t)
                    .build();
        }
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        return new Response(r.statusCode(), r.headers().firstValue("Retry-After").orElse(null), r.body(),
                r.headers().firstValue(QueryPorts.HEADER).orElse(null));
    }
}
