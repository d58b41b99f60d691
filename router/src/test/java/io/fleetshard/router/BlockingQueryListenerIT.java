package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.SelfSignedKeyStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The blocking query listener ({@code router.query.port}, ADR 0039) against a real PostgreSQL shard: it answers
 * exactly what Jetty's path answers, keeps connections alive, bounds them, closes idle ones, and refuses what it does
 * not serve with a problem+json; and with TLS (ADR 0044) the same over HTTPS, with the handshake under the idle timeout.
 */
class BlockingQueryListenerIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TENANT = "acme";
    private static final String READ = "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":"
            + "\"select vehicle_id, vin from vehicles where vehicle_id = ?\",\"params\":[\"v1\"]}";

    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static Router router;
    static SelfSignedKeyStore keys;
    static Router tlsRouter;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresCluster(dir, false);
        String db = pg.newShardDatabase("blocking");
        pg.execute(pg.primary.jdbcUrl(db), "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status,"
                + " updated_at) VALUES ('acme', 'f1', 'v1', 'VIN-1', 'active', now()),"
                + " ('globex', 'g1', 'v1', 'VIN-G', 'active', now())");
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                new Tenant("globex", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)),
                new Fleet(TENANT, "f1", "s1"), new Fleet("globex", "g1", "s1")), List.of());
        RouterConfig config = TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(4)
                .poolMinIdle(1).maxRequestBytes(4096).set(RouterConfig.QUERY_PORT, "0")
                .set(RouterConfig.QUERY_MAX_CONNECTIONS, "3").set(RouterConfig.QUERY_IDLE_TIMEOUT_MS, "1500").build();
        router = new Router(config, map).start();
        keys = SelfSignedKeyStore.create(dir.resolve("tls"));
        tlsRouter = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).maxRequestBytes(4096).set(RouterConfig.QUERY_PORT, "0")
                .set(RouterConfig.QUERY_MAX_CONNECTIONS, "3").set(RouterConfig.QUERY_IDLE_TIMEOUT_MS, "1500")
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, keys.password()).build(), map).start();
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (tlsRouter != null) {
            tlsRouter.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void answersTheSameStatusHeadersAndBytesAsJettysPath() throws Exception {
        String writer = TestTokens.of(Role.TENANT_WRITER, TENANT);
        String reader = TestTokens.of(Role.TENANT_READER, TENANT);
        String batch = "{\"queries\":[" + READ + "," + READ.replace("acme", "globex").replace("f1", "g1") + "]}";
        List<String[]> cases = List.of(
                new String[] {"/v1/query", writer, READ},
                new String[] {"/v1/query", TestTokens.of(Role.TENANT_WRITER, "globex"), READ},
                new String[] {"/v1/query", null, READ},
                new String[] {"/v1/query", "not-a-jwt", READ},
                new String[] {"/v1/query", reader, READ.replace("select vehicle_id, vin from vehicles",
                        "delete from vehicles")},
                new String[] {"/v1/query", writer, "{\"tenantId\": \"acme\""},
                new String[] {"/v1/query", writer, READ.replace("f1", "nope")},
                new String[] {"/v1/query", writer, READ.replace("vehicles", "no_such_table")},
                new String[] {"/v1/query/batch", writer, batch});
        try (RawConnection jetty = new RawConnection(router.port());
                RawConnection blocking = new RawConnection(router.queryPort())) {
            for (String[] c : cases) {
                Response viaJetty = jetty.post(c[0], c[1], c[2]);
                Response viaBlocking = blocking.post(c[0], c[1], c[2]);
                assertThat(viaBlocking.status()).as(c[0] + " " + c[2]).isEqualTo(viaJetty.status());
                assertThat(viaBlocking.body()).as(c[0] + " " + c[2]).isEqualTo(viaJetty.body());
                assertThat(viaBlocking.headers().keySet()).as("headers of " + c[2])
                        .containsExactlyElementsOf(viaJetty.headers().keySet());
                assertThat(viaBlocking.headers().get("date")).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4}"
                        + " \\d{2}:\\d{2}:\\d{2} GMT");
                for (String header : List.of("content-type", "content-length", "www-authenticate", "retry-after",
                        "fleetshard-query-port")) {
                    assertThat(viaBlocking.headers().get(header)).as(header + " of " + c[2])
                            .isEqualTo(viaJetty.headers().get(header));
                }
                assertThat(viaJetty.headers().get("fleetshard-query-port")).as("ADR 0042")
                        .isEqualTo(Integer.toString(router.queryPort()));
            }
        }
        try (RawConnection blocking = new RawConnection(router.queryPort())) {
            JsonNode ok = RouterHttp.JSON.readTree(blocking.post("/v1/query", writer, READ).body());
            assertThat(ok.get("rows").toString()).isEqualTo("[[\"v1\",\"VIN-1\"]]");
            JsonNode items = RouterHttp.JSON.readTree(blocking.post("/v1/query/batch", writer, batch).body())
                    .get("results");
            assertThat(items.get(0).get("status").asInt()).isEqualTo(200);
            assertThat(items.get(1).get("status").asInt()).as("another tenant's item").isEqualTo(403);
        }
        assertThat(router.registry().find("fleetshard.router.responses").tags("endpoint", "query", "status", "200")
                .counter().count()).isGreaterThanOrEqualTo(2);
    }

    /** A few of {@code PostgresTenantIsolationIT}'s crafted reads, sent by another tenant on this port. */
    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM vehicles",
        "SELECT * FROM vehicles WHERE tenant_id = 'acme' OR 1=1",
        "SELECT (SELECT string_agg(vin, ',') FROM vehicles v2 WHERE v2.tenant_id = 'acme') AS leak",
        "WITH everything AS (SELECT * FROM vehicles) SELECT * FROM everything WHERE tenant_id <> 'globex'",
        "SELECT count(*) AS n FROM vehicles WHERE tenant_id = 'acme'",
    })
    void anotherTenantsCraftedReadsSeeOnlyItsOwnRowsHereToo(String sql) throws Exception {
        String body = "{\"tenantId\":\"globex\",\"fleetId\":\"g1\",\"sql\":" + RouterHttp.JSON.writeValueAsString(sql)
                + "}";
        try (RawConnection c = new RawConnection(router.queryPort())) {
            Response r = c.post("/v1/query", TestTokens.of(Role.TENANT_WRITER, "globex"), body);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).doesNotContain("VIN-1").doesNotContain("\"acme\"");
            if (sql.contains("count(*)")) {
                assertThat(RouterHttp.JSON.readTree(r.body()).get("rows").toString()).isEqualTo("[[0]]");
            }
        }
    }

    @Test
    void theJdksHttpClientIsServedThoughItOffersAnUpgradeToHttp2() {
        // java.net.http sends a plain-HTTP request with "Upgrade: h2c"; the listener answers it in HTTP/1.1
        RouterHttp viaJdk = new RouterHttp(router.queryPort(), TestTokens.of(Role.TENANT_READER, TENANT));
        for (int i = 0; i < 3; i++) {
            RouterHttp.Reply r = viaJdk.post("/v1/query", READ);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            assertThat(r.body().get("rows").toString()).isEqualTo("[[\"v1\",\"VIN-1\"]]");
        }
        assertThat(viaJdk.post("/v1/query/scatter", "{}").status()).as("scatter is on the main port").isEqualTo(404);
    }

    @Test
    void servesManyRequestsAndPipelinedOnesOnOneConnection() throws Exception {
        String token = TestTokens.of(Role.TENANT_READER, TENANT);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            for (int i = 0; i < 50; i++) {
                assertThat(c.post("/v1/query", token, READ).status()).isEqualTo(200);
            }
            c.write(RawConnection.request("/v1/query", token, READ) + RawConnection.request("/v1/query", token,
                    READ.replace("f1", "nope")) + RawConnection.request("/v1/query", token, READ));
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(404);
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void refusesWhatItDoesNotServeWithAProblemAndKeepsTheConnectionWhenItCan() throws Exception {
        String token = TestTokens.of(Role.TENANT_READER, TENANT);
        // the router serves 3 connections; a refused one stays open while the listener drains it, so each block waits
        // for the listener to have closed the ones before (else the next would be answered 503)
        Await.condition("connections of other tests to be closed", WAIT, () -> openConnections() == 0);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            Response notHere = c.read();
            assertThat(notHere.status()).isEqualTo(404);
            assertThat(notHere.headers().get("content-type")).isEqualTo("application/problem+json");
            assertThat(RouterHttp.JSON.readTree(notHere.body()).get("detail").asText())
                    .contains("POST /v1/query").contains("main port");
            c.write("PUT /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
            Response put = c.read();
            assertThat(put.status()).isEqualTo(405);
            assertThat(put.headers().get("allow")).isEqualTo("POST");
            c.write("HEAD /v1/query HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readHead().status()).as("no body after a HEAD's answer").isEqualTo(405);
            assertThat(c.post("/v1/query", token, READ).status()).as("the connection stays usable").isEqualTo(200);
        }
        Await.condition("earlier connections to be closed", WAIT, () -> openConnections() == 0);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("POST /v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
            Response chunked = c.read();
            assertThat(chunked.status()).isEqualTo(411);
            assertThat(chunked.headers().get("connection")).isEqualTo("close");
            assertThat(c.atEnd()).as("closed after a request it cannot frame").isTrue();
        }
        Await.condition("earlier connections to be closed", WAIT, () -> openConnections() == 0);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(413);
            assertThat(c.atEnd()).isTrue();
        }
        Await.condition("earlier connections to be closed", WAIT, () -> openConnections() == 0);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("\u0001\u0002 nonsense\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.atEnd()).isTrue();
        }
    }

    @Test
    void aClientStillSendingARefusedRequestsBodyIsNotResetBeforeItReadsTheAnswer() throws Exception {
        // more than the reader takes in with the head (16 KiB): closing the socket over that unread input would make
        // the kernel reset the connection, so a client still sending its body would fail on its next write (and across
        // a network a reset can drop the answer in flight); the listener half-closes and drains instead
        String half = "x".repeat(20_000);
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n" + half);
            assertThat(c.read().status()).isEqualTo(413);
            assertThat(c.closesCleanly()).isTrue();
            c.write(half); // the rest of the body: no "broken pipe" or "connection reset"
            c.write(half);
        }
        try (RawConnection c = new RawConnection(router.queryPort())) {
            c.write("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n"
                    + half);
            assertThat(c.read().status()).isEqualTo(400);
            assertThat(c.closesCleanly()).isTrue();
            c.write(half);
            c.write(half);
        }
        try (RawConnection c = RawConnection.tls(tlsRouter.queryPort(), keys.trustingContext())) {
            c.write("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n" + half);
            assertThat(c.read().status()).isEqualTo(413);
            assertThat(c.closesCleanly()).isTrue();
            c.write(half);
            c.write(half);
        }
    }

    @Test
    void boundsItsConnectionsClosesIdleOnesAndCountsThem() throws Exception {
        String token = TestTokens.of(Role.TENANT_READER, TENANT);
        Await.condition("connections of other tests to be closed", WAIT, () -> openConnections() == 0);
        List<RawConnection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawConnection c = new RawConnection(router.queryPort());
                held.add(c);
                assertThat(c.post("/v1/query", token, READ).status()).isEqualTo(200);
            }
            assertThat(openConnections()).isEqualTo(3);
            try (RawConnection over = new RawConnection(router.queryPort())) {
                Response refused = over.read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.headers().get("retry-after")).isEqualTo("1");
                assertThat(RouterHttp.JSON.readTree(refused.body()).get("detail").asText())
                        .contains("router.query.max.connections");
                assertThat(over.atEnd()).isTrue();
            }
            // idle for router.query.idle.timeout.ms (1.5 s): the listener closes them
            for (RawConnection c : held) {
                assertThat(c.atEnd()).as("an idle connection is closed").isTrue();
            }
            Await.condition("the gauge to count no connection", WAIT, () -> openConnections() == 0);
            try (RawConnection again = new RawConnection(router.queryPort())) {
                assertThat(again.post("/v1/query", token, READ).status()).isEqualTo(200);
            }
        } finally {
            for (RawConnection c : held) {
                c.close();
            }
        }
    }

    @Test
    void stopClosesItsConnectionsAndEndsItsThreads() throws Exception {
        RouterConfig config = TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                .set(RouterConfig.QUERY_PORT, "0").build();
        Router other = new Router(config, new InMemoryShardMap()).start();
        try (RawConnection c = new RawConnection(other.queryPort())) {
            assertThat(c.post("/v1/query", TestTokens.of(Role.TENANT_READER, TENANT), READ).status())
                    .as("no map loaded yet").isEqualTo(503);
            long started = System.nanoTime();
            other.stop();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(c.atEnd()).isTrue();
            int port = other.queryPort();
            assertThat(Thread.getAllStackTraces().keySet()).as("the listener's threads")
                    .noneMatch(t -> t.getName().startsWith("fleetshard-router-query-acceptor-" + port)
                            || t.getName().startsWith("fleetshard-router-query-" + port + "-"));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                throw new AssertionError("still accepting on " + port);
            } catch (IOException expected) {
                // refused: nothing listens any more
            }
        } finally {
            other.stop();
        }
    }

    @Test
    void withTlsStopAlsoEndsARefusalWaitingForAHandshake() throws Exception {
        Router other = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                .set(RouterConfig.QUERY_PORT, "0").set(RouterConfig.QUERY_MAX_CONNECTIONS, "1")
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, keys.password()).build(), new InMemoryShardMap()).start();
        int port = other.queryPort();
        String refusal = "fleetshard-router-query-refusal-" + port;
        try (RawConnection held = RawConnection.tls(port, keys.trustingContext());
                RawConnection silent = new RawConnection(port)) { // over the bound, and never says hello
            Await.condition("the refusal's thread waiting for the handshake", WAIT, () -> Thread.getAllStackTraces()
                    .keySet().stream().anyMatch(t -> t.getName().equals(refusal)));
            other.stop();
            assertThat(Thread.getAllStackTraces().keySet()).as("threads after stop")
                    .noneMatch(t -> t.getName().equals(refusal) && t.isAlive());
            assertThat(silent.atEnd()).isTrue();
        } finally {
            other.stop();
        }
    }

    @Test
    void withTlsTheQueryPortServesHttpsAndAnswersWhatTheMainPortAnswers() throws Exception {
        String writer = TestTokens.of(Role.TENANT_WRITER, TENANT);
        String batch = "{\"queries\":[" + READ + "," + READ.replace("acme", "globex").replace("f1", "g1") + "]}";
        double before = requestsOnQueryPort(tlsRouter);
        try (RawConnection main = RawConnection.tls(tlsRouter.port(), keys.trustingContext());
                RawConnection query = RawConnection.tls(tlsRouter.queryPort(), keys.trustingContext())) {
            for (String[] c : List.of(new String[] {"/v1/query", writer, READ},
                    new String[] {"/v1/query", null, READ},
                    new String[] {"/v1/query/batch", writer, batch})) {
                Response viaJetty = main.post(c[0], c[1], c[2]);
                Response viaBlocking = query.post(c[0], c[1], c[2]);
                assertThat(viaBlocking.status()).as(c[0] + " " + c[2]).isEqualTo(viaJetty.status());
                assertThat(viaBlocking.body()).as(c[0] + " " + c[2]).isEqualTo(viaJetty.body());
                assertThat(viaBlocking.headers().keySet()).containsExactlyElementsOf(viaJetty.headers().keySet());
                assertThat(viaJetty.headers().get("fleetshard-query-port")).as("advertised with TLS too")
                        .isEqualTo(Integer.toString(tlsRouter.queryPort()));
            }
            assertThat(RouterHttp.JSON.readTree(query.post("/v1/query", writer, READ).body()).get("rows").toString())
                    .isEqualTo("[[\"v1\",\"VIN-1\"]]");
            JsonNode items = RouterHttp.JSON.readTree(query.post("/v1/query/batch", writer, batch).body())
                    .get("results");
            assertThat(items.get(0).get("status").asInt()).isEqualTo(200);
            assertThat(items.get(1).get("status").asInt()).as("another tenant's item").isEqualTo(403);
            assertThat(query.socket.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        }
        assertThat(requestsOnQueryPort(tlsRouter)).isEqualTo(before + 5);
    }

    @Test
    void withTlsPlainHttpToTheQueryPortGetsAPlain400AndIsClosed() throws Exception {
        try (RawConnection plain = new RawConnection(tlsRouter.queryPort())) {
            plain.write(RawConnection.request("/v1/query", TestTokens.of(Role.TENANT_READER, TENANT), READ));
            Response refused = plain.read();
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.headers().get("content-type")).isEqualTo("application/problem+json");
            assertThat(RouterHttp.JSON.readTree(refused.body()).get("detail").asText())
                    .contains("this port speaks HTTPS only").contains("https://");
            assertThat(plain.atEnd()).as("closed, not left hanging").isTrue();
        }
    }

    @Test
    void withTlsAClientThatNeverFinishesItsHandshakeIsClosedByTheIdleTimeout() throws Exception {
        try (RawConnection silent = new RawConnection(tlsRouter.queryPort());
                RawConnection halfHello = new RawConnection(tlsRouter.queryPort())) {
            // a TLS record header announcing a 512-byte handshake message, and nothing more
            halfHello.out.write(new byte[] {22, 3, 1, 2, 0, 1});
            halfHello.out.flush();
            long started = System.nanoTime();
            assertThat(silent.atEnd()).as("a connection that sends nothing").isTrue();
            assertThat(halfHello.atEnd()).as("a handshake that stops half-way").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the idle timeout (1.5 s) and its sweep")
                    .isLessThan(WAIT);
        }
        Await.condition("the slots of the stalled handshakes to be freed", WAIT,
                () -> tlsRouter.registry().get("fleetshard.router.query.connections").gauge().value() == 0);
        try (RawConnection again = RawConnection.tls(tlsRouter.queryPort(), keys.trustingContext())) {
            assertThat(again.post("/v1/query", TestTokens.of(Role.TENANT_READER, TENANT), READ).status())
                    .isEqualTo(200);
        }
    }

    @Test
    void withTlsOneConnectionOverTheBoundIsAnswered503OverTls() throws Exception {
        String token = TestTokens.of(Role.TENANT_READER, TENANT);
        Await.condition("connections of other tests to be closed", WAIT,
                () -> tlsRouter.registry().get("fleetshard.router.query.connections").gauge().value() == 0);
        List<RawConnection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawConnection c = RawConnection.tls(tlsRouter.queryPort(), keys.trustingContext());
                held.add(c);
                assertThat(c.post("/v1/query", token, READ).status()).isEqualTo(200);
            }
            try (RawConnection over = RawConnection.tls(tlsRouter.queryPort(), keys.trustingContext())) {
                Response refused = over.read();
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.headers().get("retry-after")).isEqualTo("1");
                assertThat(over.atEnd()).isTrue();
            }
        } finally {
            for (RawConnection c : held) {
                c.close();
            }
        }
    }

    private static double requestsOnQueryPort(Router r) {
        return r.registry().get("fleetshard.router.query.port.requests").counter().count();
    }

    private static double openConnections() {
        return router.registry().get("fleetshard.router.query.connections").gauge().value();
    }

    record Response(int status, Map<String, String> headers, String body) {
    }

    /** One raw HTTP/1.1 connection (over TLS or not): what a client writes and reads, byte for byte. */
    static final class RawConnection implements AutoCloseable {
        private final Socket raw = new Socket();
        private final SSLSocket socket;
        private final OutputStream out;
        private final InputStream in;

        RawConnection(int port) throws IOException {
            this(port, null);
        }

        private RawConnection(int port, SSLContext tls) throws IOException {
            raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            raw.setSoTimeout((int) WAIT.toMillis());
            if (tls == null) {
                socket = null;
                out = raw.getOutputStream();
                in = new java.io.BufferedInputStream(raw.getInputStream());
            } else {
                socket = (SSLSocket) tls.getSocketFactory().createSocket(raw, "127.0.0.1", port, true);
                SSLParameters p = socket.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name 127.0.0.1
                socket.setSSLParameters(p);
                socket.startHandshake();
                out = socket.getOutputStream();
                in = new java.io.BufferedInputStream(socket.getInputStream());
            }
        }

        /** An HTTPS connection that trusts what {@code tls} trusts and checks the certificate's name. */
        static RawConnection tls(int port, SSLContext tls) throws IOException {
            return new RawConnection(port, tls);
        }

        static String request(String path, String token, String body) {
            return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Content-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
        }

        Response post(String path, String token, String body) throws IOException {
            write(request(path, token, body));
            return read();
        }

        void write(String raw) throws IOException {
            out.write(raw.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        Response read() throws IOException {
            Response head = readHead();
            byte[] body = in.readNBytes(Integer.parseInt(head.headers().get("content-length")));
            return new Response(head.status(), head.headers(), new String(body, StandardCharsets.UTF_8));
        }

        /** The status line and headers of a response, without reading a body. */
        Response readHead() throws IOException {
            String status = line();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String l = line(); !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
            }
            return new Response(Integer.parseInt(status.substring(9, 12)), headers, "");
        }

        /** True when the server closed the connection (within the socket's read timeout). */
        boolean atEnd() throws IOException {
            try {
                return in.read() < 0;
            } catch (java.net.SocketException | javax.net.ssl.SSLException e) {
                return true; // reset
            }
        }

        /** True when the server closed the connection in order (end of stream); a reset fails with its exception. */
        boolean closesCleanly() throws IOException {
            return in.read() < 0;
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
