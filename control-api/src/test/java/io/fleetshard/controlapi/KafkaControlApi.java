package io.fleetshard.controlapi;

import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * One control-API instance as the launcher wires it: its own map follower, its own map writer (opening it fences any
 * earlier writer of the same log) and its HTTP server on a free port.
 */
final class KafkaControlApi implements AutoCloseable {
    final ShardMapFollower follower;
    final ShardMapWriter writer;
    final ApiHarness http;

    private KafkaControlApi(ShardMapFollower follower, ShardMapWriter writer, ApiHarness http) {
        this.follower = follower;
        this.writer = writer;
        this.http = http;
    }

    /** A map log of its own on the shared broker: a unique topic and transactional id per test. */
    static ShardMapLogConfig freshLog(String testName) {
        return freshLog(testName, SharedKafka.get().bootstrapServers(), Duration.ofSeconds(15));
    }

    static ShardMapLogConfig freshLog(String testName, String bootstrapServers, Duration requestTimeout) {
        String suffix = testName + "-" + UUID.randomUUID();
        return new ShardMapLogConfig(bootstrapServers, "fleetshard.shardmap.it-" + suffix, "control-api-it-" + suffix,
                requestTimeout);
    }

    static KafkaControlApi start(ShardMapLogConfig log, Map<String, String> settings) {
        ShardMapFollower follower = ShardMapFollower.start(log, null);
        ShardMapWriter writer = null;
        try {
            writer = ShardMapWriter.open(log, follower);
            ControlApi api = new ControlApi(ApiHarness.config(settings), follower, writer, Clock.systemUTC(),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start();
            KafkaControlApi instance = new KafkaControlApi(follower, writer, new ApiHarness(api));
            Eventually.until("control API on port " + api.port() + " to be ready", Duration.ofSeconds(30),
                    () -> instance.http.get("/readyz").status() == 200);
            return instance;
        } catch (RuntimeException | AssertionError e) {
            if (writer != null) {
                writer.close();
            }
            follower.close();
            throw e;
        }
    }

    @Override
    public void close() {
        http.close();
        writer.close();
        follower.close();
    }
}
