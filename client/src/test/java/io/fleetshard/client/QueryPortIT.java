package io.fleetshard.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import io.fleetshard.router.FleetSchema;
import io.fleetshard.router.Router;
import io.fleetshard.router.RouterConfig;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SelfSignedKeyStore;
import io.micrometer.core.instrument.Counter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client and a real router with its blocking query port on (router ADR 0039, client ADR 0042), over a real
 * PostgreSQL shard: queries, writes and batches travel through the port the router advertises, scatters through its
 * main port; a router advertising a port nobody listens on is still served, through its main port. With TLS on the
 * router (ADR 0044) the client reaches the query port by https, and a port that does not speak TLS gets no request.
 */
class QueryPortIT {
    private static final String SECRET = "query-port-it-secret-0123456789";
    private static final String JWT_SECRET = "query-port-it-jwt-secret-0123456789abcdef";
    private static final String TENANT = "acme";
    private static final String INSERT = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status)"
            + " VALUES (?, ?, ?, ?)";
    private static final String SELECT = "SELECT vehicle_id, status FROM vehicles WHERE vehicle_id = ?";

    @TempDir
    static Path dir;
    static PostgresNode primary;
    static Router withQueryPort;
    static Router advertisingAClosedPort;
    static int closedPort;
    static String token;
    static SelfSignedKeyStore keys;
    static Router withTls;
    static Router withTlsAdvertisingAPlainPort;

    @BeforeAll
    static void start() throws Exception {
        primary = PostgresNode.startPrimary(dir.resolve("primary"));
        String db = "client_qp_" + ProcessHandle.current().pid();
        primary.createDatabase(db);
        FleetSchema.install(primary.jdbcUrl(db), SECRET);
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primary.jdbcUrl(db)),
                new Fleet(TENANT, "trucks", "s1")), List.of());
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        withQueryPort = router(map, "0");
        advertisingAClosedPort = router(map, Integer.toString(closedPort));
        keys = SelfSignedKeyStore.create(dir.resolve("tls"));
        withTls = tlsRouter(map, "0");
        // names the plain query port of another router: what an https URL must never send a request to in clear
        withTlsAdvertisingAPlainPort = tlsRouter(map, Integer.toString(withQueryPort.queryPort()));
        token = JwtMinter.withDefaults(JWT_SECRET).mint("query-port-it", Role.TENANT_WRITER, TENANT,
                Duration.ofHours(1));
    }

    private static Router router(InMemoryShardMap map, String advertisedPort) {
        return new Router(RouterConfig.builder().tenantSecret(SECRET).jwtSecret(JWT_SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(3000).set(RouterConfig.QUERY_PORT, "0")
                .set(RouterConfig.QUERY_ADVERTISED_PORT, advertisedPort).build(), map).start();
    }

    private static Router tlsRouter(InMemoryShardMap map, String advertisedPort) {
        return new Router(RouterConfig.builder().tenantSecret(SECRET).jwtSecret(JWT_SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(3000).set(RouterConfig.QUERY_PORT, "0")
                .set(RouterConfig.QUERY_ADVERTISED_PORT, advertisedPort)
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, keys.password()).build(), map).start();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {withQueryPort, advertisingAClosedPort, withTls,
                withTlsAdvertisingAPlainPort, primary}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
    }

    private static FleetShardClient client(Router router) {
        return FleetShardClient.builder().token(token).router("http://127.0.0.1:" + router.port()).build();
    }

    /** Requests the router answered on its query port (the listener's own counter). */
    private static double viaQueryPort(Router router) {
        return router.registry().get("fleetshard.router.query.port.requests").counter().count();
    }

    private static double responses(Router router, String endpoint) {
        return router.registry().find("fleetshard.router.responses").tag("endpoint", endpoint).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void queriesWritesAndBatchesGoThroughTheAdvertisedQueryPortAndScattersThroughTheMainPort() {
        String id = "v-" + UUID.randomUUID();
        try (FleetShardClient client = client(withQueryPort)) {
            double before = viaQueryPort(withQueryPort);
            client.query(TENANT, "trucks", "SELECT 1 AS one"); // the main port: its answer names the query port
            assertThat(viaQueryPort(withQueryPort)).isEqualTo(before);

            writeReadAndBatch(client, id);
            assertThat(viaQueryPort(withQueryPort)).as("the write, the read and the batch").isEqualTo(before + 3);
            assertThat(withQueryPort.registry().get("fleetshard.router.query.connections").gauge().value())
                    .as("the client's kept-alive connection to the query port").isGreaterThanOrEqualTo(1);

            double scatters = responses(withQueryPort, "scatter");
            ScatterResult all = client.scatter(TENANT, "SELECT vehicle_id FROM vehicles WHERE vehicle_id = ?", id);
            assertThat(all.rows()).hasSize(1);
            assertThat(responses(withQueryPort, "scatter")).isEqualTo(scatters + 1);
            assertThat(viaQueryPort(withQueryPort)).as("a scatter is not sent to the query port").isEqualTo(before + 3);
        }
    }

    /** A write of vehicle {@code id}, a read of it and a batch holding that read, each answered as expected. */
    private static void writeReadAndBatch(FleetShardClient client, String id) {
        QueryResult write = client.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "new");
        QueryResult read = client.query(TENANT, "trucks", SELECT, id);
        BatchResult batch = client.batch(List.of(QueryRequest.builder(TENANT, "trucks", SELECT).params(id).build(),
                QueryRequest.builder(TENANT, "trucks", "SELECT count(*) AS n FROM vehicles").build()));

        assertThat(write.rowsAffected()).hasValue(1);
        assertThat(read.rowValues()).containsExactly(List.of(id, "new"));
        assertThat(batch.all().get(0).rowValues()).containsExactly(List.of(id, "new"));
    }

    @Test
    void aRouterAdvertisingAPortThatRefusesConnectionsIsServedThroughItsMainPort() {
        String id = "v-" + UUID.randomUUID();
        double before = responses(advertisingAClosedPort, "query");
        try (FleetShardClient client = FleetShardClient.builder().token(token).maxAttempts(1)
                .router("http://127.0.0.1:" + advertisingAClosedPort.port()).build()) {
            client.query(TENANT, "trucks", "SELECT 1 AS one");                     // learns the closed port
            client.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "new");   // refused there: the main port
            QueryResult read = client.query(TENANT, "trucks", SELECT, id);         // the main port for a while

            assertThat(read.rowValues()).containsExactly(List.of(id, "new"));
        }
        assertThat(responses(advertisingAClosedPort, "query")).as("each request answered once, by the main port")
                .isEqualTo(before + 3);
        assertThat(viaQueryPort(advertisingAClosedPort)).isZero();
    }

    @Test
    void overHttpsQueriesWritesAndBatchesGoThroughTheQueryPortByHttps() {
        String id = "v-" + UUID.randomUUID();
        try (FleetShardClient client = FleetShardClient.builder().token(token).sslContext(keys.trustingContext())
                .router("https://localhost:" + withTls.port()).build()) {
            double before = viaQueryPort(withTls);
            client.query(TENANT, "trucks", "SELECT 1 AS one"); // the main port: its answer names the query port

            writeReadAndBatch(client, id);
            // fleetshard_router_query_port_requests_total: the write, the read and the batch came in on the query port
            assertThat(viaQueryPort(withTls)).isEqualTo(before + 3);
        }
    }

    @Test
    void overHttpsAnAdvertisedPortThatDoesNotSpeakTlsGetsNoRequestAndTheMainPortServes() {
        String id = "v-" + UUID.randomUUID();
        double plainBefore = viaQueryPort(withQueryPort);
        double mainBefore = responses(withTlsAdvertisingAPlainPort, "query");
        try (FleetShardClient client = FleetShardClient.builder().token(token).sslContext(keys.trustingContext())
                .maxAttempts(1).router("https://localhost:" + withTlsAdvertisingAPlainPort.port()).build()) {
            client.query(TENANT, "trucks", "SELECT 1 AS one");                   // learns the (plain) port
            client.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "new"); // its handshake fails: the main port
            QueryResult read = client.query(TENANT, "trucks", SELECT, id);       // the main port for a while

            assertThat(read.rowValues()).containsExactly(List.of(id, "new"));
        }
        assertThat(responses(withTlsAdvertisingAPlainPort, "query")).as("each request answered by the main port")
                .isEqualTo(mainBefore + 3);
        assertThat(viaQueryPort(withQueryPort)).as("the plain port answered no request (no token went in clear)")
                .isEqualTo(plainBefore);
    }

    @Test
    void everyAnswerOfTheMainPortNamesTheQueryPort() throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + withQueryPort.port() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.headers().firstValue("FleetShard-Query-Port"))
                .contains(Integer.toString(withQueryPort.queryPort()));
    }
}
