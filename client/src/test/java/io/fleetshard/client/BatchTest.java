package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Session#batch}: what goes on the wire, and what each item's answer becomes (ADR 0031). */
class BatchTest {
    private static final String WRITE = "{\"shardId\":\"s1\",\"nodeId\":\"s1-p\",\"role\":\"primary\",\"columns\":[],"
            + "\"columnTypes\":[],\"rows\":[],\"updateCount\":1,\"token\":\"s1@postgres:0/20\"}";
    private static final String READ = "{\"shardId\":\"s1\",\"nodeId\":\"s1-p\",\"role\":\"primary\","
            + "\"columns\":[\"n\"],\"columnTypes\":[\"int8\"],\"rows\":[[7]]}";

    private final FakeServer router = new FakeServer();
    private final FleetShardClient client = FleetShardClient.builder().router(router.url())
            .defaultConsistency(Consistency.READ_YOUR_WRITES).sleeper(new RecordingSleeper()).build();

    @AfterEach
    void stop() {
        client.close();
        router.close();
    }

    private static String problemItem(int status, String slug, String detail, Integer retryAfter) {
        return "{\"status\":" + status + ",\"problem\":" + FakeServer.problemBody(status, slug, "t", detail)
                + (retryAfter == null ? "" : ",\"retryAfterSeconds\":" + retryAfter) + "}";
    }

    @Test
    void sendsEveryRequestInOrderAndAnswersEachOnItsOwn() {
        router.on("/v1/query/batch", json(200, "{\"results\":[{\"status\":200,\"result\":" + WRITE + "},"
                + "{\"status\":200,\"result\":" + READ + "}," + problemItem(422, "unprocessable", "no column nope", null)
                + "," + problemItem(503, "unavailable", "pool timeout", 2) + "," + problemItem(403, "forbidden",
                "a token of tenant acme may not reach tenant evil", null) + "]}"));
        Session s = client.session();
        BatchResult r = s.batch(List.of(
                QueryRequest.builder("acme", "trucks", "UPDATE vehicles SET status = ?").params("x").build(),
                QueryRequest.builder("acme", "trucks", "SELECT count(*) AS n FROM vehicles").build(),
                QueryRequest.builder("acme", "trucks", "SELECT nope FROM vehicles").build(),
                QueryRequest.builder("acme", "trucks", "DELETE FROM vehicles").timeout(Duration.ofSeconds(20)).build(),
                QueryRequest.builder("evil", "e1", "SELECT 1").consistency(Consistency.EVENTUAL).build()));

        JsonNode sent = router.requests("/v1/query/batch").get(0).json();
        assertThat(sent.get("queries")).hasSize(5);
        assertThat(sent.at("/queries/0/params").toString()).isEqualTo("[\"x\"]");
        // the read after a write of the same fleet in the same batch cannot carry its token yet: it is sent strong
        assertThat(sent.at("/queries/1/consistency").asText()).isEqualTo("strong");
        assertThat(sent.at("/queries/4/consistency").asText()).isEqualTo("eventual");

        assertThat(r.size()).isEqualTo(5);
        assertThat(r.get(0).rowsAffected()).hasValue(1);
        assertThat(s.lastWriteToken("acme", "trucks")).contains("s1@postgres:0/20");
        assertThat(r.get(1).singleRow().orElseThrow().getLong("n")).isEqualTo(7L);
        assertThat(r.failure(2).orElseThrow()).isInstanceOf(QueryRejectedException.class)
                .hasMessageContaining("item 2").hasMessageContaining("no column nope");
        FleetShardException unavailable = r.failure(3).orElseThrow();
        assertThat(unavailable).isInstanceOf(UnavailableException.class);
        assertThat(unavailable.mayHaveExecuted()).as("a write's 503 may hide a statement that ran").isTrue();
        assertThat(r.failure(4).orElseThrow()).isInstanceOf(NotAuthorizedException.class);
        assertThat(r.items().get(1).ok()).isTrue();
        assertThatThrownBy(r::all).isInstanceOf(QueryRejectedException.class);
        assertThatThrownBy(() -> r.get(4)).isInstanceOf(NotAuthorizedException.class);

        // the next batch's read of that fleet carries the write's token
        router.on("/v1/query/batch", json(200, "{\"results\":[{\"status\":200,\"result\":" + READ + "}]}"));
        s.batch(List.of(QueryRequest.builder("acme", "trucks", "SELECT count(*) AS n FROM vehicles").build()));
        assertThat(router.requests("/v1/query/batch").get(1).json().at("/queries/0/afterToken").asText())
                .isEqualTo("s1@postgres:0/20");
    }

    @Test
    void autoBatchingSendsQueriesMadeWhileOneIsInFlightAsOneBatchCarryingTheSessionsToken() throws Exception {
        try (FleetShardClient auto = FleetShardClient.builder().router(router.url())
                .defaultConsistency(Consistency.READ_YOUR_WRITES).autoBatch(8, Duration.ofSeconds(5), 1)
                .sleeper(new RecordingSleeper()).build()) {
            Session s = auto.session();
            router.on("/v1/query", json(200, WRITE), json(200, READ));
            s.query("acme", "trucks", "UPDATE vehicles SET status = ?", "x");
            java.util.concurrent.CountDownLatch release = router.hold("/v1/query");
            router.on("/v1/query/batch", json(200, "{\"results\":[{\"status\":200,\"result\":" + READ + "},"
                    + problemItem(422, "unprocessable", "no column nope", null) + "]}"));
            java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(3);
            try {
                var first = callers.submit(() -> s.query("acme", "trucks", "SELECT count(*) AS n FROM vehicles"));
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                while (router.requests("/v1/query").size() < 2) {
                    assertThat(System.nanoTime()).as("the first read reaches the router").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                var second = callers.submit(() -> s.query("acme", "trucks", "SELECT count(*) AS n FROM vehicles"));
                while (s.waitingToBeBatched() < 1) {
                    assertThat(System.nanoTime()).as("the second read waits").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                var third = callers.submit(() -> s.query("acme", "trucks", "SELECT nope FROM vehicles"));
                while (s.waitingToBeBatched() < 2) {
                    assertThat(System.nanoTime()).as("the third read waits").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                release.countDown();
                assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS).singleRow().orElseThrow()
                        .getLong("n")).isEqualTo(7L);
                assertThat(second.get(10, java.util.concurrent.TimeUnit.SECONDS).singleRow().orElseThrow()
                        .getLong("n")).isEqualTo(7L);
                assertThatThrownBy(() -> third.get(10, java.util.concurrent.TimeUnit.SECONDS))
                        .hasCauseInstanceOf(QueryRejectedException.class).hasMessageContaining("no column nope");
            } finally {
                callers.shutdownNow();
            }
            List<FakeServer.Request> batches = router.requests("/v1/query/batch");
            assertThat(batches).hasSize(1);
            JsonNode sent = batches.get(0).json();
            assertThat(sent.get("queries")).hasSize(2);
            assertThat(sent.at("/queries/0/afterToken").asText()).isEqualTo("s1@postgres:0/20");
            assertThat(sent.at("/queries/1/afterToken").asText()).isEqualTo("s1@postgres:0/20");
            assertThat(sent.at("/queries/1/sql").asText()).isEqualTo("SELECT nope FROM vehicles");
            assertThat(router.requests("/v1/query").get(1).json().at("/afterToken").asText())
                    .isEqualTo("s1@postgres:0/20");
        }
    }

    @Test
    void aWholeBatchRefusedByTheRouterIsOneTypedException() {
        router.on("/v1/query/batch", FakeServer.Answer.problem(422, "too-many-statements", "Too many statements",
                "a batch may hold at most 64 queries (router.batch.max.items); split it"));
        assertThatThrownBy(() -> client.batch(List.of(QueryRequest.builder("acme", "trucks", "SELECT 1").build())))
                .isInstanceOf(QueryRejectedException.class).hasMessageContaining("at most 64 queries");
        assertThatThrownBy(() -> client.batch(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAnswerWithTheWrongNumberOfResultsIsAnError() {
        router.on("/v1/query/batch", json(200, "{\"results\":[]}"));
        assertThatThrownBy(() -> client.batch(List.of(QueryRequest.builder("acme", "trucks", "SELECT 1").build())))
                .isInstanceOf(FleetShardException.class).hasMessageContaining("0 results for 1 queries");
    }
}
