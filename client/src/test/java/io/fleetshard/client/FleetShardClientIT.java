package io.fleetshard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleetshard.controlapi.ControlApi;
import io.fleetshard.controlapi.ControlApiConfig;
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
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the real thing: two routers (regions eu-west-1 and us-east-1) and the control API over one shard
 * map, shard s1 (primary in eu-west-1, with an asynchronous streaming replica) and shard s2 (primary in us-east-1),
 * both databases of one PostgreSQL primary.
 */
class FleetShardClientIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "client-it-secret-0123456789";
    private static final String JWT_SECRET = "client-it-jwt-secret-0123456789abcdef";
    private static final JwtMinter TOKENS = JwtMinter.withDefaults(JWT_SECRET);
    private static final String TENANT = "acme";
    private static final String INSERT = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status)"
            + " VALUES (?, ?, ?, ?)";
    private static final String SELECT = "SELECT vehicle_id, status FROM vehicles WHERE vehicle_id = ?";

    @TempDir
    static Path dir;
    static PostgresNode primary;
    static PostgresNode replica;
    static Router eu;
    static Router us;
    static ControlApi control;
    static FleetShardClient client;

    @BeforeAll
    static void start() {
        primary = PostgresNode.startPrimary(dir.resolve("primary"));
        String db1 = "client_s1_" + ProcessHandle.current().pid();
        String db2 = "client_s2_" + ProcessHandle.current().pid();
        for (String db : List.of(db1, db2)) {
            primary.createDatabase(db);
            FleetSchema.install(primary.jdbcUrl(db), SECRET);
        }
        replica = primary.startReplica(dir.resolve("replica"), "client_it", false);
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("s2", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primary.jdbcUrl(db1)),
                new Node("s1-r", "s1", NodeRole.REPLICA, "eu-west-1", "eu-west-1b", replica.jdbcUrl(db1)),
                new Node("s2-p", "s2", NodeRole.PRIMARY, "us-east-1", "us-east-1a", primary.jdbcUrl(db2)),
                new Fleet(TENANT, "trucks", "s1"), new Fleet(TENANT, "ships", "s2")), List.of());
        eu = router(map, "eu-west-1");
        us = router(map, "us-east-1");
        control = new ControlApi(ControlApiConfig.from(Map.of(ControlApiConfig.HTTP_PORT, "0",
                ControlApiConfig.PROBE_INTERVAL_MS, "5000", ControlApiConfig.AUTH_JWT_SECRET, JWT_SECRET)), map, map,
                Clock.systemUTC()).start();
        // an application's own tenant token: region routing reads only what it may (its tenant, its fleets)
        client = FleetShardClient.builder()
                .token(TOKENS.mint("client-it", Role.TENANT_WRITER, TENANT, Duration.ofHours(1)))
                .router("http://127.0.0.1:" + eu.port())
                .router("eu-west-1", "http://127.0.0.1:" + eu.port())
                .router("us-east-1", "http://127.0.0.1:" + us.port())
                .controlApi("http://127.0.0.1:" + control.port())
                .defaultConsistency(Consistency.READ_YOUR_WRITES)
                .build();
        Await.condition("the replica to serve eventual reads of trucks", WAIT, () -> client.query(
                QueryRequest.builder(TENANT, "trucks", "SELECT 1").consistency(Consistency.EVENTUAL).build())
                .role().equals("replica"));
    }

    private static Router router(InMemoryShardMap map, String region) {
        return new Router(RouterConfig.builder().tenantSecret(SECRET).jwtSecret(JWT_SECRET).port(0).region(region).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(3000).probeIntervalMs(50).build(), map).start();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {control, eu, us, replica, primary}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
    }

    private static String vehicle() {
        return "v-" + UUID.randomUUID();
    }

    private static void onReplica(String sql) {
        try (Connection c = DriverManager.getConnection(replica.jdbcUrl("postgres")); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private static double responses(Router router) {
        return router.registry().find("fleetshard.router.responses").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void aSessionReadsItsOwnWriteWhileTheReplicaLagsWithoutHandlingTokens() {
        Session session = client.session();
        String id = vehicle();
        onReplica("SELECT pg_wal_replay_pause()");
        try {
            QueryResult write = session.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "new");
            assertThat(write.rowsAffected()).hasValue(1);
            assertThat(write.token()).hasValueSatisfying(t -> assertThat(t).startsWith("s1@postgres:"));

            QueryResult read = session.query(TENANT, "trucks", SELECT, id);
            assertThat(read.rowValues()).containsExactly(List.of(id, "new"));
            assertThat(read.role()).isEqualTo("primary"); // the paused replica has not replayed the write

            // without the token, the replica answers, and it has not seen the write
            QueryResult eventual = session.query(QueryRequest.builder(TENANT, "trucks", SELECT).params(id)
                    .consistency(Consistency.EVENTUAL).build());
            assertThat(eventual.role()).isEqualTo("replica");
            assertThat(eventual.rows()).isEmpty();
        } finally {
            onReplica("SELECT pg_wal_replay_resume()");
        }
        // once the replica has replayed the write, the session's reads go back to it, still seeing the write
        Await.condition("the replica to serve the session's read of its write", WAIT, () -> {
            QueryResult r = session.query(TENANT, "trucks", SELECT, id);
            return r.role().equals("replica") && r.rows().size() == 1;
        });
    }

    @Test
    void sendsEachFleetToTheRouterInTheRegionOfItsPrimary() {
        double euBefore = responses(eu);
        double usBefore = responses(us);
        String id = vehicle();
        client.query(TENANT, "ships", INSERT, TENANT, "ships", id, "docked");
        QueryResult r = client.query(TENANT, "ships", SELECT, id);
        assertThat(r.shardId()).isEqualTo("s2");
        assertThat(r.rowValues()).containsExactly(List.of(id, "docked"));
        Await.condition("the us-east-1 router to count both requests", WAIT, () -> responses(us) - usBefore == 2);
        assertThat(responses(eu) - euBefore).isZero();
    }

    @Test
    void errorsOfTheRouterBecomeTypedExceptionsWithItsDetail() {
        QueryRejectedException rejected = catchThrowableOfType(QueryRejectedException.class,
                () -> client.query(TENANT, "trucks", "SELECT nope FROM vehicles"));
        assertThat(rejected.status()).isEqualTo(422);
        assertThat(rejected.detail()).startsWith("column \"nope\" does not exist");

        InvalidQueryException invalid = catchThrowableOfType(InvalidQueryException.class,
                () -> client.query(TENANT, "trucks", "SELECT vehicle_id FROM vehicles WHERE vehicle_id = ?"));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.detail()).isEqualTo("sql has 1 ? placeholder but params has 0 values");

        NotFoundException notFound = catchThrowableOfType(NotFoundException.class,
                () -> client.query(TENANT, "planes", "SELECT 1"));
        assertThat(notFound.detail()).startsWith("fleet 'planes' of tenant 'acme' is not registered");

        String id = vehicle();
        client.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "new");
        ConflictException conflict = catchThrowableOfType(ConflictException.class,
                () -> client.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "again"));
        assertThat(conflict.detail()).contains("duplicate key");
        assertThat(conflict.mayHaveExecuted()).isFalse();
    }

    @Test
    void aTenantTokenReachesOnlyItsTenantAndAReaderCannotWrite() {
        try (FleetShardClient reader = FleetShardClient.builder().router("http://127.0.0.1:" + eu.port())
                .token(TOKENS.mint("app", Role.TENANT_READER, TENANT, Duration.ofHours(1))).build();
                FleetShardClient stranger = FleetShardClient.builder().router("http://127.0.0.1:" + eu.port())
                        .token(TOKENS.mint("app", Role.TENANT_WRITER, "globex", Duration.ofHours(1))).build();
                FleetShardClient anonymous = FleetShardClient.builder().router("http://127.0.0.1:" + eu.port())
                        .build()) {
            assertThat(reader.query(TENANT, "trucks", "SELECT 1 AS one").rowValues()).hasSize(1);
            NotAuthorizedException write = catchThrowableOfType(NotAuthorizedException.class,
                    () -> reader.query(TENANT, "trucks", INSERT, TENANT, "trucks", vehicle(), "x"));
            assertThat(write.status()).isEqualTo(403);
            assertThat(write.mayHaveExecuted()).isFalse();
            assertThat(catchThrowableOfType(NotAuthorizedException.class,
                    () -> stranger.query(TENANT, "trucks", "SELECT 1")).detail())
                    .contains("token of tenant globex may not reach tenant acme");
            assertThat(catchThrowableOfType(NotAuthorizedException.class,
                    () -> anonymous.query(TENANT, "trucks", "SELECT 1")).status()).isEqualTo(401);
        }
    }

    @Test
    void scatterReturnsRowsOfEveryShardMerged() {
        String prefix = "sc-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        client.query(TENANT, "trucks", INSERT, TENANT, "trucks", prefix + "a", "active");
        client.query(TENANT, "ships", INSERT, TENANT, "ships", prefix + "b", "active");
        client.query(TENANT, "trucks", INSERT, TENANT, "trucks", prefix + "c", "parked");

        ScatterResult r = client.scatter(ScatterRequest.builder(TENANT,
                "SELECT vehicle_id, fleet_id FROM vehicles WHERE vehicle_id LIKE ? ORDER BY vehicle_id")
                .params(prefix + "%").orderBy("vehicle_id").build());
        assertThat(r.rowValues()).containsExactly(List.of(prefix + "a", "trucks"), List.of(prefix + "b", "ships"),
                List.of(prefix + "c", "trucks"));
        assertThat(r.shards()).extracting(ScatterResult.ShardAnswer::shardId).containsExactlyInAnyOrder("s1", "s2");
        assertThat(r.partial()).isFalse();

        ScatterResult counts = client.scatter(TENANT, "SELECT status, count(*) AS n FROM vehicles"
                + " WHERE vehicle_id LIKE ? GROUP BY status ORDER BY status", prefix + "%");
        assertThat(counts.rowValues()).containsExactly(List.of("active", 2L), List.of("parked", 1L));
    }

    /** {@code POST /v1/query/batch} through the client, against both routers' real endpoint (ADR 0031). */
    @Test
    void aBatchRunsEachRequestInOrderAndAnswersEachOnItsOwn() {
        Session s = client.session();
        String v = "batch-" + UUID.randomUUID();
        BatchResult r = s.batch(List.of(
                QueryRequest.builder(TENANT, "trucks", INSERT).params(TENANT, "trucks", v, "new").build(),
                QueryRequest.builder(TENANT, "trucks", SELECT).params(v).build(),
                QueryRequest.builder(TENANT, "ships", SELECT).params(v).build(),
                QueryRequest.builder(TENANT, "trucks", "SELECT nope FROM vehicles").build(),
                QueryRequest.builder(TENANT, "trucks", INSERT).params(TENANT, "trucks", v, "again").build(),
                QueryRequest.builder("nobody", "trucks", SELECT).params(v).build()));
        assertThat(r.get(0).rowsAffected()).hasValue(1);
        assertThat(s.lastWriteToken(TENANT, "trucks")).isEqualTo(r.get(0).token());
        assertThat(r.get(1).rowValues()).containsExactly(List.of(v, "new"));
        assertThat(r.get(1).role()).as("sent strong: the write of the same batch").isEqualTo("primary");
        assertThat(r.get(2).shardId()).isEqualTo("s2");
        assertThat(r.get(2).rows()).isEmpty();
        assertThat(r.failure(3).orElseThrow()).isInstanceOf(QueryRejectedException.class)
                .hasMessageContaining("nope");
        assertThat(r.failure(4).orElseThrow()).isInstanceOf(ConflictException.class);
        assertThat(r.failure(5).orElseThrow()).as("the client's tenant token reaches its tenant only")
                .isInstanceOf(NotAuthorizedException.class).hasMessageContaining("may not reach tenant nobody");
        // the session's token rides along in a later batch: whichever node serves the read has the write
        for (int i = 0; i < 5; i++) {
            assertThat(s.batch(List.of(QueryRequest.builder(TENANT, "trucks", SELECT).params(v).build())).get(0)
                    .rowValues()).containsExactly(List.of(v, "new"));
        }
    }

    /**
     * Auto-batching (ADR 0034) against the real router: concurrent callers of one session, readers, a writer reading
     * its own writes and a caller with a bad statement, each get their own answer; some of the calls travel together.
     */
    @Test
    void autoBatchedCallersOfOneSessionEachGetTheirOwnAnswer() throws Exception {
        String prefix = "auto-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 20; i++) {
            client.query(TENANT, "trucks", INSERT, TENANT, "trucks", prefix + i, "s" + i);
        }
        double batchesBefore = eu.registry().find("fleetshard.router.responses").tag("endpoint", "batch").counters()
                .stream().mapToDouble(Counter::count).sum();
        try (FleetShardClient auto = FleetShardClient.builder()
                .token(TOKENS.mint("client-it", Role.ADMIN, null, Duration.ofHours(1)))
                .router("http://127.0.0.1:" + eu.port()).defaultConsistency(Consistency.READ_YOUR_WRITES)
                .autoBatch(16, Duration.ofMillis(50), 1).build()) {
            Session s = auto.session();
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(7);
            try {
                List<java.util.concurrent.Future<?>> work = new java.util.ArrayList<>();
                for (int t = 0; t < 5; t++) {
                    int seed = t;
                    work.add(threads.submit(() -> {
                        for (int n = 0; n < 40; n++) {
                            int i = (seed * 7 + n) % 20;
                            assertThat(s.query(TENANT, "trucks", SELECT, prefix + i).rowValues())
                                    .containsExactly(List.of(prefix + i, "s" + i));
                        }
                        return null;
                    }));
                }
                work.add(threads.submit(() -> {
                    for (int n = 0; n < 10; n++) {
                        String id = prefix + "w" + n;
                        s.query(TENANT, "trucks", INSERT, TENANT, "trucks", id, "w");
                        assertThat(s.query(TENANT, "trucks", SELECT, id).rowValues())
                                .containsExactly(List.of(id, "w"));
                    }
                    return null;
                }));
                work.add(threads.submit(() -> {
                    for (int n = 0; n < 10; n++) {
                        assertThat(catchThrowableOfType(QueryRejectedException.class,
                                () -> s.query(TENANT, "trucks", "SELECT nope FROM vehicles")).detail())
                                .startsWith("column \"nope\" does not exist");
                    }
                    return null;
                }));
                for (java.util.concurrent.Future<?> f : work) {
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }
        }
        double batches = eu.registry().find("fleetshard.router.responses").tag("endpoint", "batch").counters()
                .stream().mapToDouble(Counter::count).sum() - batchesBefore;
        assertThat(batches).as("calls made while one was in flight travelled as batches").isPositive();
    }
}
