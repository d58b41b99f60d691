package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Queries and batches go to the query port a router advertises in {@code FleetShard-Query-Port} (ADR 0042), the rest
 * to its URL; a query port that refuses connections sends the request to the main port at once, a broken one does
 * not make a write go twice.
 */
class QueryPortTest {
    static final String READ = RetriesTest.READ;
    static final String WRITE = RetriesTest.WRITE;
    static final String SCATTER_OK = """
            {"columns":["n"],"columnTypes":["int8"],"rows":[[1]],"shards":[],"partial":false}""";
    static final String BATCH_OK = "{\"results\":[{\"status\":200,\"result\":" + RetriesTest.READ_OK + "}]}";

    private final FakeServer main = new FakeServer();
    private final FakeServer queryPort = new FakeServer();
    private final RecordingSleeper sleeper = new RecordingSleeper();
    private final MutableClock clock = new MutableClock();

    @AfterEach
    void stop() {
        main.close();
        queryPort.close();
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        volatile Instant now = Instant.parse("2026-12-07T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private FleetShardClient client(FleetShardClient.Builder b) {
        return b.router(main.url()).requestTimeout(Duration.ofSeconds(5)).sleeper(sleeper).clock(clock).build();
    }

    private static FakeServer.Answer advertising(FakeServer.Answer a, int port) {
        return a.header(QueryPorts.HEADER, Integer.toString(port));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void sendsQueriesAndBatchesToTheAdvertisedPortAndEverythingElseToTheRouter() {
        main.on("/v1/query", advertising(json(200, RetriesTest.READ_OK), queryPort.port()));
        main.on("/v1/query/scatter", advertising(json(200, SCATTER_OK), queryPort.port()));
        queryPort.on("/v1/query", json(200, RetriesTest.READ_OK));
        queryPort.on("/v1/query/batch", json(200, BATCH_OK));
        try (FleetShardClient c = client(FleetShardClient.builder())) {
            c.query("acme", "trucks", READ); // learns the port from this answer
            c.query("acme", "trucks", READ);
            c.query("acme", "trucks", WRITE, "v1");
            BatchResult b = c.batch(List.of(QueryRequest.builder("acme", "trucks", READ).build()));
            c.scatter("acme", READ);

            assertThat(b.all()).hasSize(1);
        }
        assertThat(main.requests()).extracting(FakeServer.Request::path)
                .containsExactly("/v1/query", "/v1/query/scatter");
        assertThat(queryPort.requests()).extracting(FakeServer.Request::path)
                .containsExactly("/v1/query", "/v1/query", "/v1/query/batch");
        assertThat(queryPort.requests().get(1).json().get("sql").asText()).isEqualTo(WRITE);
    }

    @Test
    void aRefusedQueryPortSendsTheSameRequestToTheRouterAtOnceAndIsTriedAgainAfterTheRetryInterval()
            throws IOException {
        int closed = closedPort();
        main.on("/v1/query", advertising(json(200, RetriesTest.WRITE_OK), closed),
                advertising(json(200, RetriesTest.WRITE_OK), queryPort.port()));
        queryPort.on("/v1/query", json(200, RetriesTest.WRITE_OK));
        try (FleetShardClient c = client(FleetShardClient.builder().maxAttempts(1)
                .queryPortRetryInterval(Duration.ofSeconds(5)))) {
            c.query("acme", "trucks", READ);          // main: learns the closed port
            c.query("acme", "trucks", WRITE, "v1");   // refused there: sent to main, within its one attempt
            c.query("acme", "trucks", WRITE, "v2");   // main: the query port is not tried for a while
            clock.now = clock.now.plusSeconds(4);
            c.query("acme", "trucks", WRITE, "v3");   // main: still within queryPortRetryInterval
            assertThat(main.requests("/v1/query")).hasSize(4);
            assertThat(queryPort.requests()).isEmpty();

            clock.now = clock.now.plusSeconds(2);     // 6 s after the refusal: past the 5 s
            c.query("acme", "trucks", READ);          // main again, whose answer names the port anew
            c.query("acme", "trucks", READ);          // the newly advertised port
        }
        assertThat(main.requests("/v1/query")).hasSize(5);
        assertThat(main.requests("/v1/query")).extracting(r -> r.json().path("params").path(0).asText())
                .containsExactly("", "v1", "v2", "v3", "");
        assertThat(queryPort.requests("/v1/query")).hasSize(1);
        assertThat(sleeper.waits).as("a refused query port costs no wait").isEmpty();
    }

    @Test
    void aWriteCutOnTheQueryPortBeforeItsAnswerIsNotSentAgain() {
        main.on("/v1/query", advertising(json(200, RetriesTest.WRITE_OK), queryPort.port()));
        queryPort.on("/v1/query", FakeServer.Answer.dropped());
        TransportException e;
        try (FleetShardClient c = client(FleetShardClient.builder())) {
            c.query("acme", "trucks", READ);
            e = catchThrowableOfType(TransportException.class, () -> c.query("acme", "trucks", WRITE, "v1"));
            c.query("acme", "trucks", READ); // the router's main port for a while
        }
        assertThat(e.mayHaveExecuted()).isTrue();
        assertThat(e).hasMessageContaining("the query port of " + main.url())
                .hasMessageContaining("the write may have been applied");
        assertThat(queryPort.requests("/v1/query")).as("sent once, never again").hasSize(1);
        assertThat(main.requests("/v1/query")).extracting(r -> r.json().get("sql").asText())
                .containsExactly(READ, READ);
    }

    @Test
    void a503FromTheQueryPortIsRetriedThereAfterItsRetryAfter() {
        main.on("/v1/query", advertising(json(200, RetriesTest.READ_OK), queryPort.port()));
        queryPort.on("/v1/query", FakeServer.Answer.problem(503, "unavailable", "Service unavailable",
                "this router serves at most 256 connections on its query port (router.query.max.connections)")
                .retryAfter("1"), json(200, RetriesTest.READ_OK));
        try (FleetShardClient c = client(FleetShardClient.builder())) {
            c.query("acme", "trucks", READ);
            c.query("acme", "trucks", READ);
        }
        assertThat(queryPort.requests("/v1/query")).hasSize(2);
        assertThat(main.requests("/v1/query")).hasSize(1);
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void turnedOffEveryRequestGoesToTheRoutersUrl() {
        main.on("/v1/query", advertising(json(200, RetriesTest.READ_OK), queryPort.port()));
        try (FleetShardClient c = client(FleetShardClient.builder().queryPort(false))) {
            c.query("acme", "trucks", READ);
            c.query("acme", "trucks", READ);
            assertThat(c.config().queryPort()).isFalse();
        }
        assertThat(main.requests("/v1/query")).hasSize(2);
        assertThat(queryPort.requests()).isEmpty();
    }

    @Test
    void aRouterBehindAPathOrWithUserInfoNeverHasItsQueriesSentToAnAdvertisedPort() {
        QueryPorts ports = new QueryPorts(true, Duration.ofSeconds(30), clock);
        for (String url : List.of("http://proxy.internal/fleetshard", "https://proxy.internal/fleetshard",
                "http://user@router.internal:8080", "ftp://router.internal:8080")) {
            URI router = URI.create(url);
            ports.learn(router, "9090");
            assertThat(ports.baseFor(router)).as(url).isSameAs(router);
        }
        URI plain = URI.create("http://router.internal:8080");
        ports.learn(plain, "9090");
        assertThat(ports.baseFor(plain)).isEqualTo(URI.create("http://router.internal:9090"));
    }

    @Test
    void anHttpsRoutersQueryPortIsReachedByHttpsOnTheSameHostNeverInClear() {
        QueryPorts ports = new QueryPorts(true, Duration.ofSeconds(30), clock);
        URI secure = URI.create("https://router.internal:8443");
        ports.learn(secure, "9443");
        assertThat(ports.baseFor(secure)).isEqualTo(URI.create("https://router.internal:9443"));
        URI upper = URI.create("HTTPS://router.internal:8443/");
        ports.learn(upper, "9443");
        assertThat(ports.baseFor(upper)).isEqualTo(URI.create("https://router.internal:9443"));
    }

    @Test
    void aFailedQueryPortIsAvoidedForTheConfiguredInterval() {
        QueryPorts ports = new QueryPorts(true, Duration.ofMinutes(2), clock);
        URI router = URI.create("https://router.internal:8443");
        ports.learn(router, "9443");
        ports.failed(router);
        clock.now = clock.now.plusSeconds(119);
        ports.learn(router, "9443");
        assertThat(ports.baseFor(router)).as("within the 2 min").isSameAs(router);
        clock.now = clock.now.plusSeconds(2);
        ports.learn(router, "9443");
        assertThat(ports.baseFor(router)).isEqualTo(URI.create("https://router.internal:9443"));
    }

    @Test
    void anAnswerWithoutTheHeaderOrWithAMalformedOneMeansNoQueryPort() {
        QueryPorts ports = new QueryPorts(true, Duration.ofSeconds(30), clock);
        URI router = URI.create("http://127.0.0.1:8080");
        ports.learn(router, "9090");
        ports.learn(router, null); // the router restarted without one
        assertThat(ports.baseFor(router)).isSameAs(router);
        for (String bad : List.of("", "0", "65536", "-1", "90 90", "http://evil:80", "123456")) {
            ports.learn(router, bad);
            assertThat(ports.baseFor(router)).as(bad).isSameAs(router);
        }
    }
}
