package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static io.fleetshard.client.FakeServer.Answer.problem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the router's answers become: typed results and typed exceptions. */
class ResultsAndProblemsTest {
    private final FakeServer router = new FakeServer();
    private final FleetShardClient client = FleetShardClient.builder().router(router.url())
            .sleeper(new RecordingSleeper()).build();

    @AfterEach
    void stop() {
        client.close();
        router.close();
    }

    @Test
    void readsColumnsTypesAndValuesOfEveryKind() {
        router.on("/v1/query", json(200, """
                {"shardId":"pg-1","nodeId":"pg-1-b","role":"sync-replica",
                 "columns":["id","big","avg","ok","name","at","nothing"],
                 "columnTypes":["int8","numeric","numeric","bool","text","timestamptz","text"],
                 "rows":[[7, 123456789012345678901234567890, 3.20, true, "v-1", "2026-01-01T00:00:05Z", null]]}"""));
        QueryResult r = client.query("acme", "trucks", "SELECT * FROM t");

        assertThat(r.shardId()).isEqualTo("pg-1");
        assertThat(r.nodeId()).isEqualTo("pg-1-b");
        assertThat(r.role()).isEqualTo("sync-replica");
        assertThat(r.columnTypes()).containsExactly("int8", "numeric", "numeric", "bool", "text", "timestamptz",
                "text");
        assertThat(r.rowsAffected()).isEmpty();
        assertThat(r.token()).isEmpty();
        Row row = r.singleRow().orElseThrow();
        assertThat(row.getLong("id")).isEqualTo(7L);
        assertThat(row.get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(row.getDecimal("avg")).isEqualTo(new BigDecimal("3.20"));
        assertThat(row.getDouble("avg")).isEqualTo(3.2);
        assertThat(row.getBoolean("ok")).isTrue();
        assertThat(row.getString("name")).isEqualTo("v-1");
        assertThat(Instant.parse(row.getString("at"))).isEqualTo(Instant.parse("2026-01-01T00:00:05Z"));
        assertThat(row.get(6)).isNull();
        assertThat(r.rowValues().get(0)).containsExactly(7L, new BigInteger("123456789012345678901234567890"),
                new BigDecimal("3.20"), true, "v-1", "2026-01-01T00:00:05Z", null);
        assertThatThrownBy(() -> row.get("missing")).hasMessageContaining("no column 'missing'")
                .hasMessageContaining("[id, big, avg, ok, name, at, nothing]");
        assertThatThrownBy(() -> row.getLong("name")).hasMessage("column 'name' is not an integer: it holds the"
                + " String v-1");
    }

    @Test
    void aWriteHasItsUpdateCountAndToken() {
        router.on("/v1/query", json(200, RetriesTest.WRITE_OK));
        QueryResult r = client.query("acme", "trucks", "DELETE FROM vehicles");
        assertThat(r.rowsAffected()).hasValue(1);
        assertThat(r.token()).contains("s1@postgres:0/16B3748");
        assertThat(r.rows()).isEmpty();
    }

    @Test
    void sendsParamsAsTheRouterBindsThem() {
        router.on("/v1/query", json(200, RetriesTest.READ_OK));
        UUID id = UUID.fromString("6f1c1f9e-7d7a-4c59-9a43-0c1f1f1f1f1f");
        client.query("acme", "trucks", "SELECT ?, ?, ?, ?, ?, ?, ?", "s", 42, 2.5, new BigDecimal("1.10"), true,
                null, Instant.parse("2026-01-01T00:00:00Z"));
        client.query("acme", "trucks", "SELECT ?", id);
        List<FakeServer.Request> q = router.requests("/v1/query");
        JsonNode body = q.get(0).json();
        assertThat(body.get("tenantId").asText()).isEqualTo("acme");
        assertThat(body.get("fleetId").asText()).isEqualTo("trucks");
        assertThat(body.get("consistency").asText()).isEqualTo("strong");
        assertThat(q.get(0).body()).contains("\"params\":[\"s\",42,2.5,1.10,true,null,\"2026-01-01T00:00:00Z\"]");
        assertThat(q.get(1).json().get("params").get(0).asText()).isEqualTo(id.toString());
    }

    @Test
    void refusesParamsJsonCannotCarry() {
        assertThatThrownBy(() -> client.query("acme", "trucks", "SELECT ?, ?", 1, new Object()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("params[1] has unsupported type java.lang.Object");
        assertThatThrownBy(() -> client.query("acme", "trucks", "SELECT ?", Double.NaN))
                .hasMessageStartingWith("params[0] is NaN");
        assertThat(router.requests()).isEmpty();
    }

    @Test
    void readsAMergedScatter() {
        router.on("/v1/query/scatter", json(200, """
                {"tenantId":"acme","shards":[{"shardId":"s1","nodeId":"s1-p","role":"primary","rows":2},
                  {"shardId":"s2","nodeId":"s2-p","role":"primary","rows":1}],
                 "columns":["vehicle_id"],"columnTypes":["text"],"rows":[["v1"],["v2"]],"partial":true,
                 "failedShards":[{"shardId":"s3","status":503,"detail":"no connection to node s3-p"}],
                 "shardCount":3}"""));
        ScatterResult r = client.scatter(ScatterRequest.builder("acme", "SELECT vehicle_id FROM vehicles")
                .orderBy("vehicle_id").limit(2).allowPartial(true).build());
        assertThat(r.tenantId()).isEqualTo("acme");
        assertThat(r.rowValues()).containsExactly(List.of("v1"), List.of("v2"));
        assertThat(r.shards()).containsExactly(new ScatterResult.ShardAnswer("s1", "s1-p", "primary", 2),
                new ScatterResult.ShardAnswer("s2", "s2-p", "primary", 1));
        assertThat(r.partial()).isTrue();
        assertThat(r.failedShards()).containsExactly(new ScatterResult.FailedShard("s3", 503,
                "no connection to node s3-p"));
        assertThat(r.shardCount()).isEqualTo(3);
        JsonNode body = router.requests("/v1/query/scatter").get(0).json();
        assertThat(body.get("orderBy").asText()).isEqualTo("vehicle_id");
        assertThat(body.get("limit").asInt()).isEqualTo(2);
        assertThat(body.get("allowPartial").asBoolean()).isTrue();
        assertThat(body.has("fleetId")).isFalse();
    }

    @Test
    void mapsEachProblemStatusToItsException() {
        record Case(int status, String slug, Class<? extends FleetShardException> type) {
        }
        for (Case c : List.of(new Case(400, "bad-request", InvalidQueryException.class),
                new Case(413, "payload-too-large", InvalidQueryException.class),
                new Case(404, "not-found", NotFoundException.class),
                new Case(409, "conflict", ConflictException.class),
                new Case(422, "unprocessable", QueryRejectedException.class),
                new Case(504, "timeout", QueryTimeoutException.class),
                new Case(500, "internal", FleetShardException.class))) {
            router.on("/v1/query", problem(c.status(), c.slug(), "Title " + c.status(), "detail " + c.status()));
            FleetShardException e = catchThrowableOfType(FleetShardException.class,
                    () -> client.query("acme", "trucks", "SELECT 1"));
            assertThat(e).as("status %d", c.status()).isExactlyInstanceOf(c.type());
            assertThat(e.status()).isEqualTo(c.status());
            assertThat(e.type()).isEqualTo("https://fleetshard.io/problems/" + c.slug());
            assertThat(e.title()).isEqualTo("Title " + c.status());
            assertThat(e.detail()).isEqualTo("detail " + c.status());
            assertThat(e.mayHaveExecuted()).isFalse();
        }
    }

    @Test
    void keepsTheRoutersDetailAndInstanceAndSaysWhichRequestFailed() {
        router.on("/v1/query", json(422, """
                {"type":"https://fleetshard.io/problems/unprocessable","title":"Rejected by the shard","status":422,
                 "detail":"column \\"nope\\" does not exist","instance":"/v1/query/abc"}"""));
        QueryRejectedException e = catchThrowableOfType(QueryRejectedException.class,
                () -> client.query("acme", "trucks", "SELECT nope FROM vehicles"));
        assertThat(e.detail()).isEqualTo("column \"nope\" does not exist");
        assertThat(e.instance()).isEqualTo("/v1/query/abc");
        assertThat(e).hasMessage("POST " + router.url() + "/v1/query for fleet acme/trucks (attempt 1 of 3): 422"
                + " Rejected by the shard: column \"nope\" does not exist");
    }

    @Test
    void aBodyThatIsNotAProblemBecomesTheDetail() {
        router.on("/v1/query", new FakeServer.Answer(502, "<html>Bad gateway</html>", java.util.Map.of(), false));
        FleetShardException e = catchThrowableOfType(FleetShardException.class,
                () -> client.query("acme", "trucks", "SELECT 1"));
        assertThat(e.status()).isEqualTo(502);
        assertThat(e.detail()).isEqualTo("<html>Bad gateway</html>");
        assertThat(e.type()).isNull();
    }

    @Test
    void readsRetryAfterAsSecondsOrAsAnHttpDate() {
        Instant now = Instant.parse("2026-12-05T10:00:00Z");
        assertThat(Problem.retryAfter("3", now)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Problem.retryAfter("Sat, 5 Dec 2026 10:00:07 GMT", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(Problem.retryAfter("Sat, 5 Dec 2026 09:00:00 GMT", now)).isEqualTo(Duration.ZERO);
        assertThat(Problem.retryAfter("soon", now)).isNull();
        assertThat(Problem.retryAfter(null, now)).isNull();
    }

    @Test
    void requestsAreCheckedWhenBuilt() {
        assertThatThrownBy(() -> QueryRequest.builder("acme", null, "SELECT 1").build())
                .hasMessage("fleetId is required, got null");
        assertThatThrownBy(() -> ScatterRequest.builder("acme", " ").build())
                .hasMessage("sql is required, got ' '");
        assertThatThrownBy(() -> ScatterRequest.builder("acme", "SELECT 1").limit(-1).build())
                .hasMessage("limit must be 0 or more, got -1");
        assertThatThrownBy(() -> Consistency.bounded(Duration.ofMillis(-1)))
                .hasMessage("bounded consistency needs a maxStaleness of 0 or more, got PT-0.001S");
        assertThat(Arrays.asList(Consistency.STRONG.toString(), Consistency.READ_YOUR_WRITES.toString(),
                Consistency.bounded(Duration.ofMillis(500)).toString()))
                .containsExactly("strong", "read-your-writes", "bounded(500 ms)");
    }
}
