package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health monitor against a real PostgreSQL primary and streaming replica: it reports the replica's lag in WAL
 * bytes and milliseconds while replay is paused, zero once it catches up, and the replica down once it stops.
 */
class ReplicaLagMonitorIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private PostgresNode primary;
    private PostgresNode replica;
    private ApiHarness h;

    @BeforeEach
    void start() {
        primary = PostgresNode.startPrimary(dir.resolve("primary"));
        replica = primary.startReplica(dir.resolve("replica"), "lag_it_replica", false);
        InMemoryShardMap map = new InMemoryShardMap();
        h = new ApiHarness(new ControlApi(ApiHarness.config(Map.of(
                ControlApiConfig.PROBE_INTERVAL_MS, "300",
                ControlApiConfig.PROBE_TIMEOUT_MS, "250",
                ControlApiConfig.PROBE_FAILURES_BEFORE_DOWN, "2")), map, map, Clock.systemUTC(),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start());
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void reportsTheLagOfARealReplicaWhileItsReplayIsPausedAndZeroOnceCaughtUp() throws Exception {
        ApiHarness.Response registered = h.post("/v1/shards", "{\"shardId\":\"pg1\",\"engine\":\"postgres\","
                + "\"nodes\":[" + node("pg1-primary", "primary", primary) + "," + node("pg1-replica", "replica",
                replica) + "]}");
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);

        execute(primary, "CREATE TABLE positions (id bigserial PRIMARY KEY, payload text)");
        execute(primary, "INSERT INTO positions (payload) VALUES ('first')");
        replica.waitForReplayOf(primary, WAIT); // the replica has replayed a transaction: it has a replay timestamp
        Eventually.until("both nodes up and the replica caught up", WAIT, () -> {
            JsonNode r = replicaView();
            return "up".equals(primaryView().path("health").path("status").asText())
                    && "up".equals(r.path("health").path("status").asText())
                    && r.path("replicationLagBytes").isNumber() && r.path("replicationLagBytes").asLong() == 0
                    && r.path("replicationLagMs").isNumber() && r.path("replicationLagMs").asLong() == 0;
        });
        assertThat(primaryView().path("replicationLagBytes").isNull()).as("a primary has no lag").isTrue();

        execute(replica, "SELECT pg_wal_replay_pause()");
        execute(primary, "INSERT INTO positions (payload) SELECT repeat('x', 200) FROM generate_series(1, 2000)");

        Eventually.until("the monitor to report the paused replica behind", WAIT, () -> {
            JsonNode r = replicaView();
            return r.path("replicationLagBytes").asLong() > 100_000 && r.path("replicationLagMs").asLong() > 0;
        });
        String metrics = h.get("/metrics").body();
        assertThat(metrics).containsPattern("fleetshard_node_replication_lag_bytes\\{node=\"pg1-replica\","
                + "role=\"replica\",shard=\"pg1\"} [1-9][0-9.E]+");
        assertThat(metrics).contains("fleetshard_node_up{node=\"pg1-replica\",role=\"replica\",shard=\"pg1\"} 1.0");

        execute(replica, "SELECT pg_wal_replay_resume()");
        Eventually.until("the monitor to report the replica caught up again", WAIT, () -> {
            JsonNode r = replicaView();
            return r.path("replicationLagBytes").asLong(-1) == 0 && r.path("replicationLagMs").asLong(-1) == 0;
        });
    }

    @Test
    void reportsAStoppedReplicaDownWithTheReasonAndItsLagUnknown() {
        h.post("/v1/shards", "{\"shardId\":\"pg2\",\"engine\":\"postgres\",\"nodes\":["
                + node("pg2-primary", "primary", primary) + "," + node("pg2-replica", "replica", replica) + "]}");
        Eventually.until("the replica up", WAIT, () -> "up".equals(view("pg2", 1).path("health").path("status")
                .asText()));

        replica.stop();

        Eventually.until("the replica reported down", WAIT, () -> "down".equals(view("pg2", 1).path("health")
                .path("status").asText()));
        JsonNode down = view("pg2", 1);
        assertThat(down.path("health").path("consecutiveFailures").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(down.path("health").path("lastError").asText()).isNotBlank();
        assertThat(down.path("health").path("lastSuccessAt").isTextual()).isTrue();
        assertThat(down.path("replicationLagBytes").isNull()).isTrue();
        assertThat(view("pg2", 0).path("health").path("status").asText()).isEqualTo("up");
    }

    private JsonNode primaryView() {
        return view("pg1", 0);
    }

    private JsonNode replicaView() {
        return view("pg1", 1);
    }

    private JsonNode view(String shardId, int index) {
        return h.get("/v1/shards/" + shardId).json().path("nodes").get(index);
    }

    private static String node(String nodeId, String role, PostgresNode pg) {
        return "{\"nodeId\":\"" + nodeId + "\",\"role\":\"" + role + "\",\"region\":\"eu-west-1\",\"az\":\"eu-west-1"
                + (role.equals("primary") ? "a" : "b") + "\",\"jdbcUrl\":\"" + pg.jdbcUrl("postgres") + "\"}";
    }

    private static void execute(PostgresNode pg, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres")); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
