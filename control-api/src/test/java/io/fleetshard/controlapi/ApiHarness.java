package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.shardmap.ShardMapCommitter;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.function.Supplier;

/** A control API on a free port over the given map ports, and a small HTTP client for it. */
final class ApiHarness implements AutoCloseable {
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final ControlApi api;
    final PrometheusMeterRegistry registry;

    /**
     * Wraps a started control API once its scheduled start-up probe round is over, so that round cannot land in the
     * middle of a test (tests run further rounds with {@code api.probeNow()}).
     */
    ApiHarness(ControlApi api) {
        this.api = api;
        this.registry = api.registry();
        io.fleetshard.testkit.Await.condition("the control API's start-up probe round", java.time.Duration.ofSeconds(30),
                () -> api.probeRounds() >= 1);
    }

    ApiHarness(ShardMapSource source, ShardMapCommitter committer, NodeProbe probe, Supplier<String> mapNotReady,
            Map<String, String> settings) {
        this(source, committer, probe, new InMemoryStandbyPositionReader(), mapNotReady, settings);
    }

    ApiHarness(ShardMapSource source, ShardMapCommitter committer, NodeProbe probe,
            StandbyPositionReader standbyReader, Supplier<String> mapNotReady, Map<String, String> settings) {
        this(new ControlApi(config(settings), source, committer, Clock.fixed(NOW, ZoneOffset.UTC),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), probe, standbyReader, mapNotReady).start());
    }

    ApiHarness(ShardMapSource source, ShardMapCommitter committer) {
        this(source, committer, (node, engine) -> ProbeResult.up(1), () -> null, Map.of());
    }

    /** Test settings: a free port, no probe rounds unless asked, the tests' token secret, then {@code settings}. */
    static ControlApiConfig config(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of(
                ControlApiConfig.AUTH_JWT_SECRET, TestTokens.SECRET,
                ControlApiConfig.HTTP_PORT, "0",
                ControlApiConfig.PROBE_INTERVAL_MS, "3600000",
                ControlApiConfig.MAP_WAIT_TIMEOUT_MS, "2000"));
        all.putAll(settings);
        return ControlApiConfig.from(all);
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Response post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Sends {@code request} with an admin token, unless it carries an Authorization header of its own. */
    Response send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        return built.headers().firstValue("Authorization").isPresent() ? exchange(built)
                : exchange(HttpRequest.newBuilder(built, (name, value) -> true)
                        .header("Authorization", "Bearer " + TestTokens.admin()).build());
    }

    /** Sends {@code request} as is: no token unless it carries one. */
    Response sendWithoutDefaultToken(HttpRequest.Builder request) {
        return exchange(request.build());
    }

    private Response exchange(HttpRequest built) {
        try {
            HttpResponse<String> r = HTTP.send(built, HttpResponse.BodyHandlers.ofString());
            return new Response(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + api.port() + path);
    }

    @Override
    public void close() {
        api.stop();
    }

    static String tenant(String id, String tier) {
        return "{\"tenantId\":\"" + id + "\",\"tier\":\"" + tier + "\"}";
    }

    static String shard(String shardId, String... nodeIds) {
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < nodeIds.length; i++) {
            nodes.append(i == 0 ? "" : ",").append(node(nodeIds[i], i == 0 ? "primary" : "replica"));
        }
        return "{\"shardId\":\"" + shardId + "\",\"engine\":\"postgres\",\"vnodes\":16,\"nodes\":[" + nodes + "]}";
    }

    static String node(String nodeId, String role) {
        return "{\"nodeId\":\"" + nodeId + "\",\"role\":\"" + role + "\",\"region\":\"eu-west-1\",\"az\":\"eu-west-1a\","
                + "\"jdbcUrl\":\"jdbc:postgresql://127.0.0.1:5432/" + nodeId + "\"}";
    }

    /** A response with its body parsed as JSON where it is JSON. */
    record Response(HttpResponse<String> raw) {
        int status() {
            return raw.statusCode();
        }

        String body() {
            return raw.body();
        }

        JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + raw.body(), e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        Response assertStatus(int status) {
            assertThat(status()).as("status of %s", body()).isEqualTo(status);
            return this;
        }

        /** Asserts a problem+json answer with this status whose detail contains every fragment. */
        Response assertProblem(int status, String... detailFragments) {
            assertThat(status()).as("status of %s", body()).isEqualTo(status);
            assertThat(header("Content-Type")).startsWith("application/problem+json");
            JsonNode p = json();
            assertThat(p.path("status").asInt()).isEqualTo(status);
            assertThat(p.path("type").asText()).startsWith("https://fleetshard.io/problems/");
            assertThat(p.path("title").asText()).isNotBlank();
            assertThat(p.path("detail").asText()).isNotBlank();
            for (String fragment : detailFragments) {
                assertThat(p.path("detail").asText()).contains(fragment);
            }
            assertThat(body()).doesNotContain("\tat ").doesNotContain("Exception");
            return this;
        }
    }
}
