package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static io.fleetshard.client.FakeServer.Answer.problem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetriesTest {
    static final String READ_OK = """
            {"shardId":"s1","nodeId":"s1-p","role":"primary","columns":["n"],"columnTypes":["int8"],"rows":[[1]]}""";
    static final String WRITE_OK = """
            {"shardId":"s1","nodeId":"s1-p","role":"primary","columns":[],"columnTypes":[],"rows":[],
             "updateCount":1,"token":"s1@postgres:0/16B3748"}""";
    static final String READ = "SELECT count(*) AS n FROM vehicles";
    static final String WRITE = "UPDATE vehicles SET status = 'parked' WHERE vehicle_id = ?";

    private final FakeServer router = new FakeServer();
    private final RecordingSleeper sleeper = new RecordingSleeper();

    @AfterEach
    void stop() {
        router.close();
    }

    private FleetShardClient client(int maxAttempts, Duration maxRetryWait) {
        return FleetShardClient.builder().router(router.url()).maxAttempts(maxAttempts).maxRetryWait(maxRetryWait)
                .requestTimeout(Duration.ofSeconds(5)).sleeper(sleeper).build();
    }

    private static FakeServer.Answer unavailable(String slug, String detail, String retryAfter) {
        return problem(503, slug, "Service unavailable", detail).retryAfter(retryAfter);
    }

    @Test
    void retriesAReadAnswered503AfterTheRetryAfterItNames() {
        router.on("/v1/query", unavailable("unavailable", "no connection to node s1-p became available in time", "2"),
                json(200, READ_OK));
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            QueryResult r = c.query("acme", "trucks", READ);
            assertThat(r.rows().get(0).getLong("n")).isEqualTo(1L);
        }
        assertThat(router.requests("/v1/query")).hasSize(2);
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(2));
    }

    @Test
    void backsOffWhenA503HasNoRetryAfter() {
        router.on("/v1/query", problem(503, "unavailable", "Service unavailable", "busy"),
                problem(503, "unavailable", "Service unavailable", "busy"), json(200, READ_OK));
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            c.query("acme", "trucks", READ);
        }
        assertThat(sleeper.waits).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastAnswer() {
        router.on("/v1/query", unavailable("unavailable", "shard s1 has no primary in shard map version 7", "1"));
        UnavailableException e;
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            e = catchThrowableOfType(UnavailableException.class, () -> c.query("acme", "trucks", READ));
        }
        assertThat(router.requests("/v1/query")).hasSize(3);
        assertThat(sleeper.waits).hasSize(2);
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.detail()).isEqualTo("shard s1 has no primary in shard map version 7");
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(e.mayHaveExecuted()).isFalse();
        assertThat(e).hasMessageContaining("attempt 3 of 3, the last").hasMessageContaining("for fleet acme/trucks");
    }

    @Test
    void doesNotWaitARetryAfterLongerThanTheRetryBudget() {
        router.on("/v1/query", unavailable("unavailable", "the shard map is not loaded yet", "30"));
        UnavailableException e;
        try (FleetShardClient c = client(5, Duration.ofSeconds(10))) {
            e = catchThrowableOfType(UnavailableException.class, () -> c.query("acme", "trucks", READ));
        }
        assertThat(router.requests("/v1/query")).hasSize(1);
        assertThat(sleeper.waits).isEmpty();
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
        assertThat(e).hasMessageContaining("not retried: waiting 30000 ms more would pass the retry budget of 10000 ms");
    }

    @Test
    void doesNotRetryAWriteThatA503LeavesInDoubt() {
        router.on("/v1/query", unavailable("unavailable", "node s1-p cannot serve: An I/O error occurred", "1"),
                json(200, WRITE_OK));
        UnavailableException e;
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            e = catchThrowableOfType(UnavailableException.class, () -> c.query("acme", "trucks", WRITE, "v1"));
        }
        assertThat(router.requests("/v1/query")).hasSize(1);
        assertThat(e.mayHaveExecuted()).isTrue();
        assertThat(e.nothingWritten()).isFalse();
    }

    @Test
    void retriesAWriteTheRouterSaysWasNotWrittenBecauseItsFleetIsMoving() {
        router.on("/v1/query", unavailable("fleet-moving", "fleet trucks of tenant acme is being moved", "1"),
                json(200, WRITE_OK));
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            QueryResult r = c.query("acme", "trucks", WRITE, "v1");
            assertThat(r.rowsAffected()).hasValue(1);
        }
        assertThat(router.requests("/v1/query")).hasSize(2);
    }

    @Test
    void doesNotRetryOtherErrors() {
        router.on("/v1/query", problem(504, "timeout", "Timed out", "statement did not finish"), json(200, READ_OK));
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            QueryTimeoutException e = catchThrowableOfType(QueryTimeoutException.class,
                    () -> c.query("acme", "trucks", READ));
            assertThat(e.detail()).isEqualTo("statement did not finish");
        }
        assertThat(router.requests("/v1/query")).hasSize(1);
    }

    @Test
    void retriesReadsAndWritesThatCouldNotConnectThenReportsTheTransportFailure() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (FleetShardClient c = FleetShardClient.builder().router("http://127.0.0.1:" + closedPort)
                .maxAttempts(3).sleeper(sleeper).build()) {
            TransportException read = catchThrowableOfType(TransportException.class,
                    () -> c.query("acme", "trucks", READ));
            assertThat(read.status()).isZero();
            assertThat(read.mayHaveExecuted()).isFalse();
            assertThat(read).hasMessageContaining("ConnectException");
            TransportException write = catchThrowableOfType(TransportException.class,
                    () -> c.query("acme", "trucks", WRITE, "v1"));
            assertThat(write.mayHaveExecuted()).isFalse();
        }
        assertThat(sleeper.waits).hasSize(4); // two retries each
    }

    @Test
    void aWriteThatTimesOutAfterItWasSentIsNotRetriedAndMayHaveExecuted() {
        router.on("/v1/query", FakeServer.Answer.hanging());
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            TransportException e = catchThrowableOfType(TransportException.class, () -> c.query(
                    QueryRequest.builder("acme", "trucks", WRITE).params("v1").timeout(Duration.ofMillis(300))
                            .build()));
            assertThat(e.mayHaveExecuted()).isTrue();
            assertThat(e).hasMessageContaining("no answer within the request timeout")
                    .hasMessageContaining("the write may have been applied");
        }
        assertThat(router.requests("/v1/query")).hasSize(1);
        assertThat(sleeper.waits).isEmpty();
    }

    @Test
    void aReadThatTimesOutIsNotRetriedEither() {
        router.on("/v1/query", FakeServer.Answer.hanging());
        try (FleetShardClient c = client(3, Duration.ofSeconds(10))) {
            TransportException e = catchThrowableOfType(TransportException.class, () -> c.query(
                    QueryRequest.builder("acme", "trucks", READ).timeout(Duration.ofMillis(300)).build()));
            assertThat(e.mayHaveExecuted()).isFalse();
        }
        assertThat(router.requests("/v1/query")).hasSize(1);
    }

    @Test
    void retriesAScatterAnswered503() {
        router.on("/v1/query/scatter", unavailable("unavailable", "1 of 2 shards failed", "1"), json(200, """
                {"tenantId":"acme","shards":[],"columns":["n"],"columnTypes":["int8"],"rows":[[3]],"partial":false,
                 "shardCount":2}"""));
        try (FleetShardClient c = client(2, Duration.ofSeconds(10))) {
            assertThat(c.scatter("acme", "SELECT count(*) AS n FROM vehicles").rowValues())
                    .containsExactly(java.util.List.of(3L));
        }
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(1));
    }
}
