package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.fleetshard.testkit.FreePorts;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Consistency modes, read-your-writes, errors and metrics against a real primary and streaming replica. */
class PostgresRoutingIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TENANT = "acme";

    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static String db;
    static Router router;
    static RouterHttp http;
    static TestTls tls;
    static TestTls other;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresCluster(dir, true);
        db = pg.newShardDatabase("routing");
        int deadPort = FreePorts.next();
        // TLS to the shard by configuration (docs/security.md): the node's JDBC URL carries sslmode and the root cert
        tls = TestTls.create(dir.resolve("tls"), "server");
        other = TestTls.create(dir.resolve("tls"), "other");
        tls.enableOn(pg.primary);
        Await.condition("the primary to accept TLS after the reload", WAIT, () -> {
            try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl(db) + "&sslmode=require")) {
                return true;
            } catch (java.sql.SQLException e) {
                return false;
            }
        });
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("dead", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)),
                new Node("s1-r", "s1", NodeRole.REPLICA, "eu-west-1", "eu-west-1b", pg.replica.jdbcUrl(db)),
                new Node("dead-p", "dead", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                        "jdbc:postgresql://127.0.0.1:" + deadPort + "/nothing"),
                Shard.withDefaultTokens("tls", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("badtls", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("tls-p", "tls", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)
                        + "&sslmode=verify-full&sslrootcert=" + tls.certPem()),
                new Node("badtls-p", "badtls", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)
                        + "&sslmode=verify-full&sslrootcert=" + other.certPem()),
                new Fleet(TENANT, "f1", "s1"), new Fleet(TENANT, "gone", "dead"), new Fleet(TENANT, "tls", "tls"),
                new Fleet(TENANT, "badtls", "badtls")), List.of());
        RouterConfig config = TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(4)
                .poolMinIdle(1).requestTimeoutMs(1500).probeIntervalMs(50).build();
        router = new Router(config, map).start();
        http = new RouterHttp(router.port());
        Await.condition("the replica to serve eventual reads", WAIT,
                () -> read("SELECT 1", "eventual", Map.of()).role().equals("replica"));
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aNodeUrlWithVerifiedTlsIsRoutedOverTlsAndAnUntrustedServerCertificateIsRefused() {
        RouterHttp.Reply ok = http.query(Map.of("tenantId", TENANT, "fleetId", "tls",
                "sql", "SELECT count(*) AS n FROM vehicles"));
        assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
        assertThat(ok.nodeId()).isEqualTo("tls-p");
        RouterHttp.Reply refused = http.query(Map.of("tenantId", TENANT, "fleetId", "badtls",
                "sql", "SELECT count(*) AS n FROM vehicles"));
        assertThat(refused.status()).as("verify-full against another CA's root: no connection").isEqualTo(503);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DriverManager.getConnection(pg.primary.jdbcUrl(db)
                + "&sslmode=verify-full&sslrootcert=" + other.certPem()).close())
                .as("the refusal is the certificate check").hasMessageContaining("SSL");
    }

    private static RouterHttp.Reply read(String sql, String consistency, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("tenantId", TENANT, "fleetId", "f1", "sql", sql,
                "consistency", consistency));
        body.putAll(extra);
        return http.query(body);
    }

    private static RouterHttp.Reply write(String sql, Object... params) {
        return http.query(Map.of("tenantId", TENANT, "fleetId", "f1", "sql", sql, "params", List.of(params)));
    }

    private static String newVehicle() {
        String id = "v-" + UUID.randomUUID();
        RouterHttp.Reply r = write("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES"
                + " (?, ?, ?, ?, 'active')", TENANT, "f1", id, "VIN" + id.substring(2, 10));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return id;
    }

    @Test
    void strongReadsAndWritesGoToThePrimaryAndWritesReturnAToken() {
        String id = "v-" + UUID.randomUUID();
        RouterHttp.Reply w = http.query(Map.of("tenantId", TENANT, "fleetId", "f1", "consistency", "eventual",
                "sql", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES (?, ?, ?, 'new')",
                "params", List.of(TENANT, "f1", id)));
        assertThat(w.status()).isEqualTo(200);
        assertThat(w.role()).isEqualTo("primary");
        assertThat(w.body().get("updateCount").asInt()).isEqualTo(1);
        assertThat(w.body().get("token").asText()).matches("s1@postgres:[0-9A-F]+/[0-9A-F]+");

        RouterHttp.Reply r = http.query(Map.of("tenantId", TENANT, "fleetId", "f1",
                "sql", "SELECT vehicle_id, status FROM vehicles WHERE vehicle_id = ?", "params", List.of(id)));
        assertThat(r.role()).isEqualTo("primary");
        assertThat(r.nodeId()).isEqualTo("s1-p");
        assertThat(r.body().get("shardId").asText()).isEqualTo("s1");
        assertThat(r.body().get("columns").toString()).isEqualTo("[\"vehicle_id\",\"status\"]");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"" + id + "\",\"new\"]]");
        assertThat(r.body().has("token")).isFalse();
    }

    @Test
    void eventualReadsAreServedByTheReplica() {
        String id = newVehicle();
        pg.waitForReplica();
        RouterHttp.Reply r = read("SELECT vin FROM vehicles WHERE vehicle_id = ?", "eventual",
                Map.of("params", List.of(id)));
        assertThat(r.role()).isEqualTo("replica");
        assertThat(r.nodeId()).isEqualTo("s1-r");
        assertThat(r.body().get("rows").size()).isEqualTo(1);
        // a region nobody is in still gets the (only) replica: nearest is same region first, then any
        assertThat(read("SELECT 1", "eventual", Map.of("region", "ap-south-1")).role()).isEqualTo("replica");
    }

    @Test
    void boundedReadsUseTheReplicaWithinTheBoundAndThePrimaryBeyondIt() {
        Await.condition("a caught-up replica to serve a 1 s bound", WAIT,
                () -> read("SELECT 1", "bounded", Map.of("maxStalenessMs", 1000)).role().equals("replica"));
        pg.pauseReplay();
        try {
            newVehicle(); // moves the primary past the paused replica
            Await.condition("the paused replica to lag more than 300 ms", WAIT,
                    () -> read("SELECT 1", "bounded", Map.of("maxStalenessMs", 300)).role().equals("primary"));
            assertThat(read("SELECT 1", "bounded", Map.of("maxStalenessMs", 600_000)).role()).isEqualTo("replica");
            assertThat(http.get("/metrics")).contains("fleetshard_router_replica_lag_ms{node=\"s1-r\",shard=\"s1\"}");
        } finally {
            pg.resumeReplay();
        }
        Await.condition("the resumed replica to be within 300 ms again", WAIT,
                () -> read("SELECT 1", "bounded", Map.of("maxStalenessMs", 300)).role().equals("replica"));
    }

    @Test
    void aReadAfterAWriteTokenIsServedByThePrimaryUntilTheReplicaReplayedTheWrite() {
        pg.pauseReplay();
        String token;
        String id = "v-" + UUID.randomUUID();
        try {
            RouterHttp.Reply w = write("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES"
                    + " (?, ?, ?, 'fresh')", TENANT, "f1", id);
            token = w.body().get("token").asText();
            RouterHttp.Reply r = read("SELECT status FROM vehicles WHERE vehicle_id = ?", "eventual",
                    Map.of("params", List.of(id), "afterToken", token));
            assertThat(r.role()).isEqualTo("primary");
            assertThat(r.body().get("rows").toString()).isEqualTo("[[\"fresh\"]]");
            // without the token, eventual reads the paused replica, which has not seen the row
            RouterHttp.Reply stale = read("SELECT status FROM vehicles WHERE vehicle_id = ?", "eventual",
                    Map.of("params", List.of(id)));
            assertThat(stale.role()).isEqualTo("replica");
            assertThat(stale.body().get("rows").size()).isZero();
        } finally {
            pg.resumeReplay();
        }
        Await.condition("the replica to serve the read-your-writes read", WAIT,
                () -> read("SELECT status FROM vehicles WHERE vehicle_id = ?", "eventual",
                        Map.of("params", List.of(id), "afterToken", token)).role().equals("replica"));
        RouterHttp.Reply r = read("SELECT status FROM vehicles WHERE vehicle_id = ?", "eventual",
                Map.of("params", List.of(id), "afterToken", token));
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"fresh\"]]");
    }

    @Test
    void theBindAndTheStatementShareOneTransactionAlsoOnceServerPreparedWithUntypedParameters() throws Exception {
        String id = newVehicle();
        // the router's driver settings: untyped strings, default prepare threshold (5). From the fifth run on the
        // statements are server-prepared and described, and pgjdbc puts a Sync before the client's statement
        try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl(db, FleetSchema.DEFAULT_APP_ROLE)
                + "&stringtype=unspecified")) {
            for (int run = 0; run < 10; run++) {
                try (PreparedStatement ps = c.prepareStatement(PostgresDialect.wrap("SELECT txid_current(),"
                        + " current_setting('fleetshard.tenant_id'), current_setting('statement_timeout'), vin"
                        + " FROM vehicles WHERE vehicle_id = ?"))) {
                    ps.setString(1, TENANT);
                    ps.setString(2, TenantSigner.sign(PostgresCluster.SECRET, TENANT));
                    ps.setString(3, "f1");
                    ps.setInt(4, 1234);
                    ps.setString(5, "");
                    ps.setString(6, id);
                    ps.execute();
                    ps.getMoreResults();
                    assertThat(ps.getMoreResults()).isTrue();
                    try (ResultSet rs = ps.getResultSet()) {
                        assertThat(rs.next()).as("run " + run + " sees the row").isTrue();
                        assertThat(rs.getString(2)).as("run " + run).isEqualTo(TENANT);
                        assertThat(rs.getString(3)).isEqualTo("1234ms");
                    }
                }
            }
            // transaction-local: gone after the transaction
            try (PreparedStatement after = c.prepareStatement("SELECT public.fleetshard_current_tenant(),"
                    + " current_setting('statement_timeout')");
                 ResultSet rs = after.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isNull();
                assertThat(rs.getString(2)).isEqualTo("0");
            }
        }
    }

    @Test
    void aRepeatedParameterizedReadKeepsSeeingItsRows() {
        String id = newVehicle();
        for (int run = 0; run < 12; run++) {
            RouterHttp.Reply r = http.query(Map.of("tenantId", TENANT, "fleetId", "f1",
                    "sql", "SELECT vehicle_id FROM vehicles WHERE vehicle_id = ?", "params", List.of(id)));
            assertThat(r.body().get("rows").size()).as("run " + run).isEqualTo(1);
            // a null parameter is untyped: pgjdbc describes this statement and syncs before it, still one transaction
            RouterHttp.Reply withNull = http.query(Map.of("tenantId", TENANT, "fleetId", "f1",
                    "sql", "SELECT vehicle_id FROM vehicles WHERE vehicle_id = ? AND (?::text IS NULL OR vin = ?)",
                    "params", java.util.Arrays.asList(id, null, null)));
            assertThat(withNull.body().get("rows").size()).as("run " + run + " with nulls").isEqualTo(1);
        }
    }

    @Test
    void opensAPoolWhenTheMapAddsANodeAndClosesItWhenTheMapRemovesIt() {
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Fleet(TENANT, "f1", "s1")), List.of());
        try (Router own = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                .poolMaxSize(1).poolMinIdle(1).build(), map).start()) {
            RouterHttp client = new RouterHttp(own.port());
            assertThat(client.get("/metrics")).doesNotContain("pool=\"router-late-p\"");
            map.commit(1, List.of(new Node("late-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                    pg.primary.jdbcUrl(db))), List.of());
            Await.condition("a pool for the added node", WAIT,
                    () -> client.get("/metrics").contains("hikaricp_connections_idle{pool=\"router-late-p\"} 1"));
            assertThat(client.query(Map.of("tenantId", TENANT, "fleetId", "f1", "sql", "SELECT 1")).nodeId())
                    .isEqualTo("late-p");
            map.commit(2, List.of(), List.of(Node.keyOf("late-p")));
            Await.condition("the removed node's pool to close", WAIT,
                    () -> !client.get("/metrics").contains("pool=\"router-late-p\""));
            assertThat(client.query(Map.of("tenantId", TENANT, "fleetId", "f1", "sql", "SELECT 1")).status())
                    .isEqualTo(503);
        }
    }

    @Test
    void aStringComparedWithATimestampNeedsACast() {
        RouterHttp.Reply plain = read("SELECT count(*) FROM vehicles WHERE updated_at > ?", "strong",
                Map.of("params", List.of("2020-01-01T00:00:00Z")));
        assertThat(plain.status()).isEqualTo(422);
        assertThat(plain.detail()).contains("operator does not exist");
        RouterHttp.Reply cast = read("SELECT count(*) FROM vehicles WHERE updated_at > ?::timestamptz", "strong",
                Map.of("params", List.of("2020-01-01T00:00:00Z")));
        assertThat(cast.status()).isEqualTo(200);
    }

    @Test
    void aRouterWithAnotherSecretGetsNoConnectionAndSaysWhy() {
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant(TENANT, DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)),
                new Fleet(TENANT, "f1", "s1")), List.of());
        try (Router wrong = new Router(TestTokens.routerConfig().tenantSecret("some-other-secret-123456").port(0)
                .poolMaxSize(1).poolMinIdle(0).requestTimeoutMs(1000).build(), map).start()) {
            RouterHttp.Reply r = new RouterHttp(wrong.port()).query(Map.of("tenantId", TENANT, "fleetId", "f1",
                    "sql", "SELECT 1"));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.detail()).contains("router.tenant.secret differs");
        }
    }

    @Test
    void answersDatabaseRejectionsWithTheirStatusAndMessage() {
        String id = newVehicle();
        RouterHttp.Reply dup = write("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES (?, ?, ?)",
                TENANT, "f1", id);
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.detail()).contains("duplicate key value violates unique constraint \"vehicles_pkey\"");

        RouterHttp.Reply syntax = read("SELEC vin FROM vehicles", "strong", Map.of());
        assertThat(syntax.status()).isEqualTo(422);
        assertThat(syntax.detail()).contains("syntax error at or near \"SELEC\"");

        RouterHttp.Reply column = read("SELECT no_such_column FROM vehicles", "strong", Map.of());
        assertThat(column.status()).isEqualTo(422);
        assertThat(column.detail()).contains("column \"no_such_column\" does not exist");

        RouterHttp.Reply denied = read("SELECT secret FROM fleetshard_private.tenant_secret", "strong", Map.of());
        assertThat(denied.status()).isEqualTo(422);
        assertThat(denied.detail()).contains("permission denied");

        RouterHttp.Reply readOnly = read("SELECT lo_create(0)", "eventual", Map.of());
        assertThat(readOnly.role()).isEmpty();
        assertThat(readOnly.status()).isEqualTo(422);
        assertThat(readOnly.detail()).contains("read-only transaction");

        for (RouterHttp.Reply r : List.of(dup, syntax, column, denied, readOnly)) {
            assertThat(r.raw().headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("application/problem+json"));
            assertThat(r.raw().body()).doesNotContain("\tat ").doesNotContain("PSQLException");
        }
    }

    @Test
    void aStatementRunningPastTheRequestTimeoutIs504() {
        long start = System.nanoTime();
        RouterHttp.Reply r = read("SELECT pg_sleep(10)", "strong", Map.of());
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.detail()).contains("within the request timeout of 1500 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void aNodeThatRefusesConnectionsIs503WithRetryAfter() {
        RouterHttp.Reply r = http.query(Map.of("tenantId", TENANT, "fleetId", "gone", "sql", "SELECT 1"));
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.raw().headers().firstValue("Retry-After")).contains("1");
        assertThat(r.detail()).contains("no connection to node dead-p");
    }

    @Test
    void writesJsonTypesAndReturnsRowsOfDataModifyingStatements() {
        String id = "v-" + UUID.randomUUID();
        RouterHttp.Reply ins = write("INSERT INTO telemetry VALUES (?, ?, ?, ?::timestamptz, ?, ?, ?) RETURNING ts,"
                + " speed_kph, lat, vehicle_id", TENANT, "f1", id, "2026-05-01T10:15:30.5Z", 52.5, -0.125, 88);
        assertThat(ins.status()).as(ins.body().toString()).isEqualTo(200);
        assertThat(ins.body().get("token").asText()).startsWith("s1@postgres:");
        JsonNode row = ins.body().get("rows").get(0);
        assertThat(row.get(0).asText()).isEqualTo("2026-05-01T10:15:30.5Z");
        assertThat(row.get(1).isNumber()).isTrue();
        assertThat(row.get(1).asDouble()).isEqualTo(88.0);
        assertThat(row.get(2).asDouble()).isEqualTo(52.5);
        assertThat(ins.body().get("columnTypes").toString()).contains("timestamptz", "float8", "text");

        RouterHttp.Reply agg = read("SELECT count(*) AS n, bool_and(speed_kph > ?) AS fast FROM telemetry WHERE"
                + " vehicle_id = ?", "strong", Map.of("params", List.of(80, id)));
        assertThat(agg.body().get("rows").toString()).isEqualTo("[[1,true]]");
        RouterHttp.Reply upd = write("UPDATE telemetry SET speed_kph = speed_kph + 1 WHERE vehicle_id = ?", id);
        assertThat(upd.body().get("updateCount").asInt()).isEqualTo(1);
    }

    @Test
    void exposesPerShardLatencyQpsAndErrorMetrics() {
        read("SELECT 1", "strong", Map.of());
        read("SELEC 1", "strong", Map.of());
        String metrics = http.get("/metrics");
        assertThat(metrics).contains("fleetshard_router_query_seconds{kind=\"read\",shard=\"s1\",quantile=\"0.99\"}")
                .contains("fleetshard_router_query_seconds_count{kind=\"read\",shard=\"s1\"}")
                .contains("fleetshard_router_responses_total{endpoint=\"query\",status=\"422\"}")
                .contains("fleetshard_router_replica_lag_ms{node=\"s1-r\",shard=\"s1\"}")
                .contains("hikaricp_connections_active{pool=\"router-s1-p\"}");
    }

    @Test
    void concurrentRequestsShareTheSmallPool() throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 12; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    statuses.add(read("SELECT count(*) FROM vehicles", "strong", Map.of()).status());
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(statuses).hasSize(240).containsOnly(200);
    }
}
