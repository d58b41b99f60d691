package io.fleetshard.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.PostgresNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

/**
 * Point reads by primary key, through the router and directly over JDBC to the same PostgreSQL primary, at the
 * same concurrency, in one run: the router's added p50/p99 and its throughput ratio. The load driver runs in the
 * same JVM as the router and the database on the same 2 cores, as the goal assumes.
 *
 * <p>Args: {@code [threads=4] [seconds=10] [rows=10000] [warmupSeconds=8]}. Each kind of load is warmed up for
 * {@code warmupSeconds} before any phase is measured (the router's JIT needs several seconds on two busy cores; with
 * 3 s its first measured phase ran at half the speed of its second). The router and direct JDBC phases alternate
 * twice; the ratio is reported per pair and for both.
 *
 * <p>A fifth argument {@code jwt} runs only the authentication comparison (issue 12: at most 10 % loss): the same
 * point read through a router that verifies a tenant-writer token on every request (HS256, ADR 0018) and through a
 * second router, on the same database, with {@code router.auth.enabled=false}, phases alternating
 * {@code on, off, on, off} (or {@code off, on, off, on} with {@code jwt-off-first}).
 *
 * <p>A fifth argument {@code batch} compares the ways of sending many point reads (ADR 0031): one request each,
 * {@code POST /v1/query/batch} with 8, 16 and 32 reads per request, and HTTP/1.1 pipelining, beside direct JDBC
 * (one read per statement, and 16 reads in one composite statement).
 *
 * <p>A fifth argument {@code client} drives the router through the Java client ({@code fleetshard-client}): one
 * {@code query} per read on the router's main port ({@code queryPort(false)}) and on the query port it advertises (ADR
 * 0042), then with auto-batching (ADR 0034; {@link #AUTO_BATCHES}, on the query port), beside direct JDBC and the
 * bench's own raw HTTP/1.1 client on the main port.
 *
 * <p>A fifth argument {@code tls} runs a router with HTTPS on both ports (a {@code keytool} key store, ADR 0020 and
 * 0044) and compares its blocking query port with Jetty's main port, both over TLS with kept-alive connections
 * (phases {@code JDBC, Jetty, blocking, JDBC, blocking, Jetty}): the router's CPU per request on each, beside direct
 * JDBC. The default run is unchanged.
 */
public final class RouterVsJdbcLoad {
    private static final String TENANT = "bench";
    private static final String FLEET = "f1";
    private static final String SQL =
            "select vin, status, updated_at from vehicles where tenant_id = ? and fleet_id = ? and vehicle_id = ?";

    private RouterVsJdbcLoad() {
    }

    private static String sha256Hex(String s) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Replaces the tenant policies' check by the one before ADR 0041 (a {@code SECURITY DEFINER} PL/pgSQL function per
     * statement); {@code FleetSchema.install} puts the view-based policies back. The function now
     * returns what the view yields (the test is written once), so this phase measures the function call per
     * statement; before, the function read the secret and hashed itself (the twelfth session's figures).
     */
    private static void policiesCheckingByFunction(String admin) throws Exception {
        try (Connection c = DriverManager.getConnection(admin); java.sql.Statement st = c.createStatement()) {
            for (String table : List.of("vehicles", "telemetry")) {
                st.execute("ALTER POLICY fleetshard_tenant_isolation ON public." + table
                        + " USING (tenant_id = (SELECT public.fleetshard_current_tenant()))"
                        + " WITH CHECK (tenant_id = (SELECT public.fleetshard_current_tenant())"
                        + " AND fleet_id = (SELECT nullif(current_setting('fleetshard.fleet_id', true), '')))");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        long warmupMs = (args.length > 3 ? Integer.parseInt(args[3]) : 8) * 1000L;
        String phases = args.length > 4 ? args[4] : "all";
        if (!List.of("all", "jwt", "jwt-off-first", "batch", "client", "tls", "blocking").contains(phases)) {
            throw new IllegalArgumentException("the fifth argument is all, jwt, jwt-off-first, batch, client, tls or"
                    + " blocking, got '" + phases + "'");
        }
        Path dir = Files.createTempDirectory("fleetshard-bench-router");
        String secret = "bench-secret-0123456789";
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"))) {
            pg.createDatabase("fleet");
            String admin = pg.jdbcUrl("fleet");
            FleetSchema.install(admin, secret);
            try (Connection c = DriverManager.getConnection(admin); PreparedStatement ps = c.prepareStatement(
                    "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                            + " values (?, ?, ?, ?, 'active', now())")) {
                for (int i = 0; i < rows; i++) {
                    ps.setString(1, TENANT);
                    ps.setString(2, FLEET);
                    ps.setString(3, "v" + i);
                    ps.setString(4, "VIN" + i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            ShardMapSnapshot map = ShardMapSnapshot.of(1, List.of(
                    Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 256),
                    new Node("s1-a", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.jdbcUrl("fleet")
                            .replaceAll("\\?.*$", "")),
                    new Tenant(TENANT, DurabilityTier.STANDARD), new Fleet(TENANT, FLEET, null)));
            String jwtSecret = "bench-jwt-secret-" + java.util.UUID.randomUUID();
            // the blocking listener of ADR 0039 on a free port, measured beside Jetty's path in the default run
            RouterConfig config = RouterConfig.from(Map.of(RouterConfig.PORT, "0", RouterConfig.TENANT_SECRET, secret,
                    RouterConfig.POOL_MAX_SIZE, Integer.toString(Math.max(2, threads)),
                    RouterConfig.AUTH_JWT_SECRET, jwtSecret, RouterConfig.QUERY_PORT, "0"));
            // as an application sends them: a tenant-writer token of the benchmark's tenant on every request
            String token = io.fleetshard.http.auth.JwtMinter.withDefaults(jwtSecret).mint("bench",
                    io.fleetshard.http.auth.Role.TENANT_WRITER, TENANT, java.time.Duration.ofHours(6));
            // The router's own database work, without HTTP: the same one-round-trip statement it sends
            // (BEGIN; tenant bind; query; COMMIT) as its role, under row-level security. Separates the shard-side
            // cost of tenant isolation from the router's.
            HikariConfig bound = new HikariConfig();
            bound.setJdbcUrl(pg.jdbcUrl("fleet", FleetSchema.DEFAULT_APP_ROLE));
            bound.setMaximumPoolSize(threads);
            bound.setMinimumIdle(threads);
            String signature = sha256Hex(secret + ":" + TENANT);
            // The shard-side cost of a connection bound to its tenant once (ADR 0016): the statement alone, as the
            // router's role under row-level security; skipped on a schema without fleetshard_bind_connection.
            boolean connectionBinding;
            try (Connection c = DriverManager.getConnection(admin); java.sql.Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_proc WHERE proname ="
                            + " 'fleetshard_bind_connection'")) {
                rs.next();
                connectionBinding = rs.getLong(1) > 0;
            }
            HikariConfig sessionBound = new HikariConfig();
            sessionBound.setJdbcUrl(pg.jdbcUrl("fleet", FleetSchema.DEFAULT_APP_ROLE));
            sessionBound.setMaximumPoolSize(threads);
            sessionBound.setMinimumIdle(threads);
            if (connectionBinding) {
                sessionBound.setConnectionInitSql("CALL public.fleetshard_bind_connection('" + TENANT + "', '"
                        + signature + "', '" + FLEET + "', 5000)");
            }
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(admin);
            hc.setMaximumPoolSize(threads);
            hc.setMinimumIdle(threads);
            if (phases.equals("batch")) {
                try (Router router = new Router(config, new InMemoryShardMap(map)).start();
                        HikariDataSource direct = new HikariDataSource(hc)) {
                    batches(router, token, pointRead(direct, rows), compositePointReads(direct, rows), threads,
                            seconds, rows, warmupMs);
                }
                System.exit(0);
            }
            if (phases.equals("client")) {
                try (Router router = new Router(config, new InMemoryShardMap(map)).start();
                        HikariDataSource direct = new HikariDataSource(hc)) {
                    viaJavaClient(router, token, pointRead(direct, rows), threads, seconds, rows, warmupMs);
                }
                System.exit(0);
            }
            if (phases.equals("tls")) {
                io.fleetshard.testkit.SelfSignedKeyStore keys = io.fleetshard.testkit.SelfSignedKeyStore.create(
                        dir.resolve("tls"));
                RouterConfig https = RouterConfig.from(Map.of(RouterConfig.PORT, "0", RouterConfig.TENANT_SECRET,
                        secret, RouterConfig.POOL_MAX_SIZE, Integer.toString(Math.max(2, threads)),
                        RouterConfig.AUTH_JWT_SECRET, jwtSecret, RouterConfig.QUERY_PORT, "0",
                        RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString(), RouterConfig.TLS_KEYSTORE_PASSWORD,
                        keys.password()));
                try (Router router = new Router(https, new InMemoryShardMap(map)).start();
                        HikariDataSource direct = new HikariDataSource(hc)) {
                    overTls(router, token, keys.trustingContext(), pointRead(direct, rows), new CpuMeter(pg.dataDir()),
                            threads, seconds, rows, warmupMs);
                }
                System.exit(0);
            }
            if (!phases.equals("all") && !phases.equals("blocking")) {
                RouterConfig open = RouterConfig.from(Map.of(RouterConfig.PORT, "0", RouterConfig.TENANT_SECRET,
                        secret, RouterConfig.POOL_MAX_SIZE, Integer.toString(Math.max(2, threads)),
                        RouterConfig.AUTH_ENABLED, "false"));
                try (Router withJwt = new Router(config, new InMemoryShardMap(map)).start();
                        Router withoutJwt = new Router(open, new InMemoryShardMap(map)).start()) {
                    jwtOnOff(withJwt, withoutJwt, token, threads, seconds, rows, warmupMs,
                            phases.equals("jwt-off-first"));
                }
                System.exit(0);
            }
            try (Router router = new Router(config, new InMemoryShardMap(map)).start();
                    HikariDataSource direct = new HikariDataSource(hc);
                    HikariDataSource boundDs = new HikariDataSource(bound);
                    HikariDataSource sessionDs = new HikariDataSource(sessionBound)) {
                RawHttpClient[] clients = new RawHttpClient[threads];
                RawHttpClient[] blockingClients = new RawHttpClient[threads];
                for (int t = 0; t < threads; t++) {
                    clients[t] = new RawHttpClient("127.0.0.1", router.port(), token);
                    blockingClients[t] = new RawHttpClient("127.0.0.1", router.queryPort(), token);
                }
                LoadRun.Operation viaJdbc = pointRead(direct, rows);
                // the same request on the blocking thread-per-connection listener (ADR 0039)
                LoadRun.Operation viaBlocking = viaRouter(blockingClients, rows);
                LoadRun.Operation viaBoundJdbc = (t, seq) -> {
                    try (Connection c = boundDs.getConnection(); PreparedStatement ps = c.prepareStatement(
                            "BEGIN;\nCALL public.fleetshard_bind(?, ?, ?, ?, ?);\n" + SQL + "\n;\nCOMMIT")) {
                        ps.setString(1, TENANT);
                        ps.setString(2, signature);
                        ps.setString(3, FLEET);
                        ps.setInt(4, 5000);
                        ps.setString(5, ""); // the fleets a scatter leg hides (ADR 0051): none
                        ps.setString(6, TENANT);
                        ps.setString(7, FLEET);
                        ps.setString(8, "v" + ((seq * 7919 + t) % rows));
                        ps.execute(); // BEGIN
                        ps.getMoreResults(); // CALL
                        if (!ps.getMoreResults()) {
                            throw new IllegalStateException("no result set");
                        }
                        try (ResultSet rs = ps.getResultSet()) {
                            if (!rs.next()) {
                                throw new IllegalStateException("row missing");
                            }
                        }
                    }
                };
                LoadRun.Operation viaSessionBoundJdbc = pointRead(sessionDs, rows);
                if (phases.equals("blocking")) {
                    blockingPairs(pg.dataDir(), blockingClients, router.queryPort(), token, viaJdbc, viaBlocking,
                            threads, seconds, rows, warmupMs);
                    System.exit(0);
                }
                LoadRun.Operation viaRouter = (t, seq) -> {
                    byte[] body = ("{\"tenantId\":\"" + TENANT + "\",\"fleetId\":\"" + FLEET + "\",\"sql\":\"" + SQL
                            + "\",\"params\":[\"" + TENANT + "\",\"" + FLEET + "\",\"v" + ((seq * 7919 + t) % rows)
                            + "\"],\"consistency\":\"strong\"}").getBytes(StandardCharsets.UTF_8);
                    int status = clients[t].postJson("/v1/query", body);
                    if (status != 200) {
                        throw new IllegalStateException("router answered " + status + ": " + clients[t].lastBody());
                    }
                };
                // The router's HTTP path and front half (parse, map lookup), no database: a tenant the map lacks
                byte[] unknownTenant = ("{\"tenantId\":\"nobody\",\"fleetId\":\"" + FLEET + "\",\"sql\":\"" + SQL
                        + "\",\"params\":[\"a\",\"b\",\"c\"]}").getBytes(StandardCharsets.UTF_8);
                // since ADR 0018 the token's tenant is checked against the body's: another tenant gets 403 after the
                // HTTP path, the token check and the JSON parse, before any map lookup or database work
                LoadRun.Operation routerNoDb = (t, seq) -> {
                    if (clients[t].postJson("/v1/query", unknownTenant) != 403) {
                        throw new IllegalStateException("expected 403: " + clients[t].lastBody());
                    }
                };
                // The HTTP hop alone: the router's /healthz does no work, so this bounds what any HTTP service on
                // this machine can reach with this driver.
                LoadRun.Operation httpOnly = (t, seq) -> {
                    if (clients[t].get("/healthz") != 200) {
                        throw new IllegalStateException("healthz answered " + clients[t].lastBody());
                    }
                };
                System.out.printf("point reads by primary key, %d threads, %d s each, %d rows, after warm-up%n",
                        threads, seconds, rows);
                LoadRun.run("warm-bound", threads, 0, warmupMs / 4, viaBoundJdbc);
                if (connectionBinding) {
                    LoadRun.run("warm-session", threads, 0, warmupMs / 4, viaSessionBoundJdbc);
                }
                LoadRun.run("warm-no-db", threads, 0, warmupMs / 4, routerNoDb);
                LoadRun.run("warm-no-op", threads, 0, warmupMs / 4, httpOnly);
                LoadRun.run("warm-jdbc", threads, 0, warmupMs / 2, viaJdbc);
                LoadRun.run("warm-router", threads, 0, warmupMs, viaRouter);
                LoadRun.run("warm-blocking", threads, 0, warmupMs, viaBlocking);
                CpuMeter cpu = new CpuMeter(pg.dataDir());
                List<LoadRun.Result> results = new java.util.ArrayList<>();
                String policyCheck = null;
                // the HTTP phases follow each other: Jetty closes a keep-alive connection idle for 30 s (and the
                // blocking listener too, router.query.idle.timeout.ms)
                // so each HTTP phase opens its connections again (in its unmeasured first 500 ms)
                LoadRun.Result jdbc1 = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc, cpu);
                reconnect(clients, router.port(), token);
                LoadRun.Result router1 = LoadRun.run("router", threads, 500, seconds * 1000L, viaRouter, cpu);
                reconnect(blockingClients, router.queryPort(), token);
                LoadRun.Result blocking1 = LoadRun.run("router blocking", threads, 500, seconds * 1000L, viaBlocking,
                        cpu);
                LoadRun.Result jdbc2 = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc, cpu);
                reconnect(blockingClients, router.queryPort(), token);
                LoadRun.Result blocking2 = LoadRun.run("router blocking", threads, 500, seconds * 1000L, viaBlocking,
                        cpu);
                reconnect(clients, router.port(), token);
                LoadRun.Result router2 = LoadRun.run("router", threads, 500, seconds * 1000L, viaRouter, cpu);
                results.addAll(List.of(jdbc1, router1, blocking1, jdbc2, blocking2, router2));
                results.add(LoadRun.run("router no DB", threads, 500, seconds * 1000L, routerNoDb, cpu));
                results.add(LoadRun.run("HTTP no-op", threads, 500, seconds * 1000L, httpOnly, cpu));
                results.add(LoadRun.run("JDBC+bind+RLS", threads, 500, seconds * 1000L, viaBoundJdbc, cpu));
                if (connectionBinding) {
                    results.add(LoadRun.run("JDBC+RLS conn", threads, 500, seconds * 1000L, viaSessionBoundJdbc, cpu));
                    // ADR 0041 side by side: the same statement under the policies' former check, a PL/pgSQL call
                    // per statement, then the installed view-based policies again
                    LoadRun.Result view1 = results.get(results.size() - 1);
                    policiesCheckingByFunction(admin);
                    LoadRun.Result function = LoadRun.run("JDBC+RLS conn fn", threads, 500, seconds * 1000L,
                            viaSessionBoundJdbc, cpu);
                    FleetSchema.install(admin, secret);
                    LoadRun.Result view2 = LoadRun.run("JDBC+RLS conn", threads, 500, seconds * 1000L,
                            viaSessionBoundJdbc, cpu);
                    results.addAll(List.of(function, view2));
                    policyCheck = String.format("policy check (ADR 0041): PostgreSQL CPU per request %.1f µs with the"
                                    + " view vs %.1f µs with the function; throughput view/function %.2f",
                            (view1.cpu().postgresUs() + view2.cpu().postgresUs()) / 2, function.cpu().postgresUs(),
                            (view1.throughput() + view2.throughput()) / 2 / function.throughput());
                }
                for (LoadRun.Result r : results) {
                    System.out.println(r);
                }
                if (policyCheck != null) {
                    System.out.println(policyCheck);
                }
                double jdbcTput = (jdbc1.throughput() + jdbc2.throughput()) / 2;
                double routerTput = (router1.throughput() + router2.throughput()) / 2;
                System.out.printf("added latency: p50 %+.3f ms, p99 %+.3f ms; throughput ratio router/JDBC %.2f"
                                + " (pairs: %.2f, %.2f)%n",
                        ((router1.p50Ns() + router2.p50Ns()) - (jdbc1.p50Ns() + jdbc2.p50Ns())) / 2e6,
                        ((router1.p99Ns() + router2.p99Ns()) - (jdbc1.p99Ns() + jdbc2.p99Ns())) / 2e6,
                        routerTput / jdbcTput, router1.throughput() / jdbc1.throughput(),
                        router2.throughput() / jdbc2.throughput());
                System.out.printf("blocking listener (ADR 0039): added latency p50 %+.3f ms, p99 %+.3f ms; throughput"
                                + " ratio to JDBC %.2f (pairs: %.2f, %.2f), to Jetty's path %.2f; CPU per request: router's"
                                + " JVM threads %.1f µs (+ GC/JIT %.1f) vs %.1f µs (+ %.1f) on Jetty's path, PostgreSQL %.1f"
                                + " µs, driver %.1f µs%n",
                        ((blocking1.p50Ns() + blocking2.p50Ns()) - (jdbc1.p50Ns() + jdbc2.p50Ns())) / 2e6,
                        ((blocking1.p99Ns() + blocking2.p99Ns()) - (jdbc1.p99Ns() + jdbc2.p99Ns())) / 2e6,
                        (blocking1.throughput() + blocking2.throughput()) / 2 / jdbcTput,
                        blocking1.throughput() / jdbc1.throughput(), blocking2.throughput() / jdbc2.throughput(),
                        (blocking1.throughput() + blocking2.throughput()) / 2 / routerTput,
                        (blocking1.cpu().serverUs() + blocking2.cpu().serverUs()) / 2,
                        (blocking1.cpu().jvmUs() + blocking2.cpu().jvmUs()) / 2,
                        (router1.cpu().serverUs() + router2.cpu().serverUs()) / 2,
                        (router1.cpu().jvmUs() + router2.cpu().jvmUs()) / 2,
                        (blocking1.cpu().postgresUs() + blocking2.cpu().postgresUs()) / 2,
                        (blocking1.cpu().driverUs() + blocking2.cpu().driverUs()) / 2);
                System.out.printf("CPU per request, mean of the two pairs: router's JVM threads %.1f µs (+ GC/JIT %.1f)"
                                + ", PostgreSQL %.1f µs through the router vs %.1f µs direct; driver %.1f µs vs %.1f%n",
                        (router1.cpu().serverUs() + router2.cpu().serverUs()) / 2,
                        (router1.cpu().jvmUs() + router2.cpu().jvmUs()) / 2,
                        (router1.cpu().postgresUs() + router2.cpu().postgresUs()) / 2,
                        (jdbc1.cpu().postgresUs() + jdbc2.cpu().postgresUs()) / 2,
                        (router1.cpu().driverUs() + router2.cpu().driverUs()) / 2,
                        (jdbc1.cpu().driverUs() + jdbc2.cpu().driverUs()) / 2);
                for (RawHttpClient c : clients) {
                    c.close();
                }
                for (RawHttpClient c : blockingClients) {
                    c.close();
                }
            }
        }
        System.exit(0);
    }

    /** Closes {@code clients}' connections and opens new ones to {@code port}. */
    private static void reconnect(RawHttpClient[] clients, int port, String token) throws java.io.IOException {
        for (int t = 0; t < clients.length; t++) {
            clients[t].close();
            clients[t] = new RawHttpClient("127.0.0.1", port, token);
        }
    }

    /** One point read as a {@code /v1/query} body (also a batch item). */
    private static String pointReadBody(int t, long seq, int rows) {
        return "{\"tenantId\":\"" + TENANT + "\",\"fleetId\":\"" + FLEET + "\",\"sql\":\"" + SQL
                + "\",\"params\":[\"" + TENANT + "\",\"" + FLEET + "\",\"v" + ((seq * 7919 + t) % rows)
                + "\"],\"consistency\":\"strong\"}";
    }

    private static final int[] BATCH_SIZES = {8, 16, 32};
    private static final int PIPELINE_DEPTH = 16;
    /** Point reads per statement of the direct JDBC phase that uses the router's grouping trick itself. */
    private static final int COMPOSITE = 16;
    private static final byte[] ITEM_OK = "{\"status\":200,".getBytes(StandardCharsets.US_ASCII);

    /**
     * ADR 0031: point reads through {@code POST /v1/query/batch} in batches of 8, 16 and 32, through HTTP/1.1
     * pipelining ({@value #PIPELINE_DEPTH} {@code /v1/query} requests written before the first response is read), and
     * one at a time, each round beside a direct JDBC phase; twice. Throughput is counted in point reads (queries), the
     * latency percentiles are per HTTP request (a batch's queries all finish with its response).
     */
    private static void batches(Router router, String token, LoadRun.Operation viaJdbc,
            LoadRun.Operation viaJdbcComposite, int threads, int seconds, int rows, long warmupMs) throws Exception {
        RawHttpClient[] clients = new RawHttpClient[threads];
        for (int t = 0; t < threads; t++) {
            clients[t] = new RawHttpClient("127.0.0.1", router.port(), token);
        }
        LoadRun.Operation single = viaRouter(clients, rows);
        java.util.Map<Integer, LoadRun.Operation> batch = new java.util.LinkedHashMap<>();
        for (int k : BATCH_SIZES) {
            batch.put(k, (t, seq) -> {
                StringBuilder b = new StringBuilder(k * 220).append("{\"queries\":[");
                for (int i = 0; i < k; i++) {
                    b.append(i == 0 ? "" : ",").append(pointReadBody(t, seq * k + i, rows));
                }
                int status = clients[t].postJson("/v1/query/batch", b.append("]}").toString()
                        .getBytes(StandardCharsets.UTF_8));
                if (status != 200 || clients[t].countInLastBody(ITEM_OK) != k) {
                    throw new IllegalStateException("batch answered " + status + ": " + clients[t].lastBody());
                }
            });
        }
        LoadRun.Operation pipelined = (t, seq) -> {
            byte[][] bodies = new byte[PIPELINE_DEPTH][];
            for (int i = 0; i < PIPELINE_DEPTH; i++) {
                bodies[i] = pointReadBody(t, seq * PIPELINE_DEPTH + i, rows).getBytes(StandardCharsets.UTF_8);
            }
            int ok = clients[t].postJsonPipelined("/v1/query", bodies);
            if (ok != PIPELINE_DEPTH) {
                throw new IllegalStateException(ok + " of " + PIPELINE_DEPTH + " pipelined requests answered 200: "
                        + clients[t].lastBody());
            }
        };
        System.out.printf("point reads: single, batched (%s per request) and pipelined (%d deep) through the router vs"
                + " direct JDBC, %d threads, %d s each, %d rows, after warm-up%n",
                java.util.Arrays.toString(BATCH_SIZES), PIPELINE_DEPTH, threads, seconds, rows);
        LoadRun.run("warm-jdbc", threads, 0, warmupMs / 2, viaJdbc);
        LoadRun.run("warm-router", threads, 0, warmupMs / 2, single);
        for (LoadRun.Operation op : batch.values()) {
            LoadRun.run("warm-batch", threads, 0, warmupMs / 4, op);
        }
        LoadRun.run("warm-pipelined", threads, 0, warmupMs / 4, pipelined);
        LoadRun.run("warm-jdbc-composite", threads, 0, warmupMs / 4, viaJdbcComposite);
        List<String> lines = new java.util.ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            // the HTTP phases follow each other on the same connections: Jetty closes one idle for 30 s
            LoadRun.Result jdbc = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc);
            lines.add(queries(jdbc, 1, jdbc));
            lines.add(queries(LoadRun.run("router", threads, 500, seconds * 1000L, single), 1, jdbc));
            for (java.util.Map.Entry<Integer, LoadRun.Operation> e : batch.entrySet()) {
                lines.add(queries(LoadRun.run("batch " + e.getKey(), threads, 500, seconds * 1000L, e.getValue()),
                        e.getKey(), jdbc));
            }
            lines.add(queries(LoadRun.run("pipelined " + PIPELINE_DEPTH, threads, 500, seconds * 1000L, pipelined),
                    PIPELINE_DEPTH, jdbc));
            lines.add(queries(LoadRun.run("JDBC composite " + COMPOSITE, threads, 500, seconds * 1000L,
                    viaJdbcComposite), COMPOSITE, jdbc));
        }
        System.out.println("phase           queries/s   ratio to the round's JDBC   per request p50 / p99 (ms)"
                + "   per query p50 / p99 (ms, request / k)");
        lines.forEach(System.out::println);
        for (RawHttpClient c : clients) {
            c.close();
        }
    }

    private static String queries(LoadRun.Result r, int perRequest, LoadRun.Result jdbc) {
        double qps = r.throughput() * perRequest;
        return String.format("%-20s %10.0f   %6.2f   %7.3f / %7.3f   %7.4f / %7.4f   (%d requests, %d errors)",
                r.name(), qps, qps / jdbc.throughput(), r.p50Ns() / 1e6, r.p99Ns() / 1e6,
                r.p50Ns() / 1e6 / perRequest, r.p99Ns() / 1e6 / perRequest, r.requests(), r.errors());
    }

    /** The point read through {@code clients}' router. */
    private static LoadRun.Operation viaRouter(RawHttpClient[] clients, int rows) {
        return (t, seq) -> {
            byte[] body = ("{\"tenantId\":\"" + TENANT + "\",\"fleetId\":\"" + FLEET + "\",\"sql\":\"" + SQL
                    + "\",\"params\":[\"" + TENANT + "\",\"" + FLEET + "\",\"v" + ((seq * 7919 + t) % rows)
                    + "\"],\"consistency\":\"strong\"}").getBytes(StandardCharsets.UTF_8);
            int status = clients[t].postJson("/v1/query", body);
            if (status != 200) {
                throw new IllegalStateException("router answered " + status + ": " + clients[t].lastBody());
            }
        };
    }

    /**
     * ADR 0044: the same point read over HTTPS on Jetty's main port and on the blocking query port of one router, with
     * kept-alive connections (one handshake per connection, in each phase's unmeasured first 500 ms), beside direct
     * JDBC; phases {@code JDBC, Jetty, blocking, JDBC, blocking, Jetty}.
     */
    private static void overTls(Router router, String token, javax.net.ssl.SSLContext trust, LoadRun.Operation viaJdbc,
            CpuMeter cpu, int threads, int seconds, int rows, long warmupMs) throws Exception {
        RawHttpClient[] main = new RawHttpClient[threads];
        RawHttpClient[] query = new RawHttpClient[threads];
        for (int t = 0; t < threads; t++) {
            main[t] = new RawHttpClient("127.0.0.1", router.port(), token, trust);
            query[t] = new RawHttpClient("127.0.0.1", router.queryPort(), token, trust);
        }
        LoadRun.Operation viaJetty = viaRouter(main, rows);
        LoadRun.Operation viaBlocking = viaRouter(query, rows);
        System.out.printf("point reads by primary key over HTTPS, %d threads, %d s each, %d rows, after warm-up%n",
                threads, seconds, rows);
        LoadRun.run("warm-jdbc", threads, 0, warmupMs / 2, viaJdbc);
        LoadRun.run("warm-jetty-tls", threads, 0, warmupMs, viaJetty);
        LoadRun.run("warm-blocking-tls", threads, 0, warmupMs, viaBlocking);
        LoadRun.Result jdbc1 = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc, cpu);
        reconnect(main, router.port(), token, trust);
        LoadRun.Result jetty1 = LoadRun.run("Jetty TLS", threads, 500, seconds * 1000L, viaJetty, cpu);
        reconnect(query, router.queryPort(), token, trust);
        LoadRun.Result blocking1 = LoadRun.run("blocking TLS", threads, 500, seconds * 1000L, viaBlocking, cpu);
        LoadRun.Result jdbc2 = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc, cpu);
        reconnect(query, router.queryPort(), token, trust);
        LoadRun.Result blocking2 = LoadRun.run("blocking TLS", threads, 500, seconds * 1000L, viaBlocking, cpu);
        reconnect(main, router.port(), token, trust);
        LoadRun.Result jetty2 = LoadRun.run("Jetty TLS", threads, 500, seconds * 1000L, viaJetty, cpu);
        for (LoadRun.Result r : List.of(jdbc1, jetty1, blocking1, jdbc2, blocking2, jetty2)) {
            System.out.println(r);
        }
        double jdbc = (jdbc1.throughput() + jdbc2.throughput()) / 2;
        double jetty = (jetty1.throughput() + jetty2.throughput()) / 2;
        double blocking = (blocking1.throughput() + blocking2.throughput()) / 2;
        System.out.printf("over TLS: router CPU per request (its JVM threads) blocking %.1f µs (+ GC/JIT %.1f) vs"
                        + " Jetty %.1f µs (+ %.1f): %.2fx; throughput blocking/Jetty %.2f; ratio to JDBC blocking %.2f,"
                        + " Jetty %.2f; added p50 blocking %+.3f ms, Jetty %+.3f ms; p99 blocking %+.3f ms, Jetty"
                        + " %+.3f ms%n",
                (blocking1.cpu().serverUs() + blocking2.cpu().serverUs()) / 2,
                (blocking1.cpu().jvmUs() + blocking2.cpu().jvmUs()) / 2,
                (jetty1.cpu().serverUs() + jetty2.cpu().serverUs()) / 2,
                (jetty1.cpu().jvmUs() + jetty2.cpu().jvmUs()) / 2,
                (blocking1.cpu().serverUs() + blocking2.cpu().serverUs())
                        / (jetty1.cpu().serverUs() + jetty2.cpu().serverUs()),
                blocking / jetty, blocking / jdbc, jetty / jdbc,
                ((blocking1.p50Ns() + blocking2.p50Ns()) - (jdbc1.p50Ns() + jdbc2.p50Ns())) / 2e6,
                ((jetty1.p50Ns() + jetty2.p50Ns()) - (jdbc1.p50Ns() + jdbc2.p50Ns())) / 2e6,
                ((blocking1.p99Ns() + blocking2.p99Ns()) - (jdbc1.p99Ns() + jdbc2.p99Ns())) / 2e6,
                ((jetty1.p99Ns() + jetty2.p99Ns()) - (jdbc1.p99Ns() + jdbc2.p99Ns())) / 2e6);
        for (RawHttpClient c : main) {
            c.close();
        }
        for (RawHttpClient c : query) {
            c.close();
        }
    }

    private static void reconnect(RawHttpClient[] clients, int port, String token, javax.net.ssl.SSLContext tls)
            throws java.io.IOException {
        for (int t = 0; t < clients.length; t++) {
            clients[t].close();
            clients[t] = new RawHttpClient("127.0.0.1", port, token, tls);
        }
    }

    /** Auto-batching settings compared by {@code client}: maxItems, maxWait (ms), maxInFlight. */
    private static final int[][] AUTO_BATCHES = {{32, 2, 1}, {32, 2, 2}};

    /**
     * ADR 0034: each worker thread calls {@code FleetShardClient.query} for one point read at a time, as an application
     * would; the client's shared session coalesces them when auto-batching is on. Beside direct JDBC and the raw
     * HTTP/1.1 client of the other phases (which shows what {@code java.net.http} itself costs); twice.
     */
    private static void viaJavaClient(Router router, String token, LoadRun.Operation viaJdbc, int threads,
            int seconds, int rows, long warmupMs) throws Exception {
        RawHttpClient[] raw = new RawHttpClient[threads];
        for (int t = 0; t < threads; t++) {
            raw[t] = new RawHttpClient("127.0.0.1", router.port(), token);
        }
        String url = "http://127.0.0.1:" + router.port();
        java.util.Map<String, io.fleetshard.client.FleetShardClient> clients = new java.util.LinkedHashMap<>();
        // the router advertises its query port (ADR 0042): the client follows it unless told not to
        clients.put("client main port", io.fleetshard.client.FleetShardClient.builder().router(url).token(token)
                .queryPort(false).build());
        clients.put("client query port", io.fleetshard.client.FleetShardClient.builder().router(url).token(token)
                .build());
        for (int[] a : AUTO_BATCHES) {
            clients.put("client auto " + a[0] + "/" + a[1] + "ms/" + a[2], io.fleetshard.client.FleetShardClient
                    .builder().router(url).token(token).autoBatch(a[0], java.time.Duration.ofMillis(a[1]), a[2])
                    .build());
        }
        java.util.Map<String, LoadRun.Operation> ops = new java.util.LinkedHashMap<>();
        ops.put("router raw", viaRouter(raw, rows));
        clients.forEach((name, c) -> ops.put(name, (t, seq) -> {
            io.fleetshard.client.QueryResult r = c.query(TENANT, FLEET, SQL, TENANT, FLEET,
                    "v" + ((seq * 7919 + t) % rows));
            if (r.rows().isEmpty()) {
                throw new IllegalStateException("row missing");
            }
        }));
        System.out.printf("point reads: through the Java client, without and with auto-batching, vs direct JDBC, %d"
                + " threads, %d s each, %d rows, after warm-up%n", threads, seconds, rows);
        LoadRun.run("warm-jdbc", threads, 0, warmupMs / 2, viaJdbc);
        for (LoadRun.Operation op : ops.values()) {
            LoadRun.run("warm", threads, 0, warmupMs / 2, op);
        }
        List<String> lines = new java.util.ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            LoadRun.Result jdbc = LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc);
            lines.add(queries(jdbc, 1, jdbc));
            for (java.util.Map.Entry<String, LoadRun.Operation> e : ops.entrySet()) {
                if (e.getKey().equals("router raw")) { // Jetty has closed connections idle for 30 s meanwhile
                    for (int t = 0; t < threads; t++) {
                        raw[t].close();
                        raw[t] = new RawHttpClient("127.0.0.1", router.port(), token);
                    }
                }
                lines.add(queries(LoadRun.run(e.getKey(), threads, 500, seconds * 1000L, e.getValue()), 1, jdbc));
            }
        }
        System.out.println("phase           queries/s   ratio to the round's JDBC   per call p50 / p99 (ms)");
        lines.forEach(System.out::println);
        clients.values().forEach(io.fleetshard.client.FleetShardClient::close);
        for (RawHttpClient c : raw) {
            c.close();
        }
    }

    /**
     * The same point read through a router that verifies each request's token and one that does not, warmed up
     * alike, in alternating phases; prints both and the ratio per pair.
     */
    private static void jwtOnOff(Router withJwt, Router withoutJwt, String token, int threads, int seconds, int rows,
            long warmupMs, boolean offFirst) throws Exception {
        RawHttpClient[] on = new RawHttpClient[threads];
        RawHttpClient[] off = new RawHttpClient[threads];
        for (int t = 0; t < threads; t++) {
            on[t] = new RawHttpClient("127.0.0.1", withJwt.port(), token);
            off[t] = new RawHttpClient("127.0.0.1", withoutJwt.port(), null);
        }
        LoadRun.Operation jwt = viaRouter(on, rows);
        LoadRun.Operation noJwt = viaRouter(off, rows);
        System.out.printf("point reads through the router, JWT verified (HS256) vs auth disabled, %d threads, %d s"
                + " each, %d rows, after warm-up%n", threads, seconds, rows);
        LoadRun.run("warm-jwt-on", threads, 0, warmupMs, jwt);
        LoadRun.run("warm-jwt-off", threads, 0, warmupMs, noJwt);
        List<LoadRun.Result> onResults = new java.util.ArrayList<>();
        List<LoadRun.Result> offResults = new java.util.ArrayList<>();
        for (int round = 0; round < 2; round++) {
            if (offFirst) {
                offResults.add(LoadRun.run("router JWT off", threads, 500, seconds * 1000L, noJwt));
                onResults.add(LoadRun.run("router JWT on", threads, 500, seconds * 1000L, jwt));
            } else {
                onResults.add(LoadRun.run("router JWT on", threads, 500, seconds * 1000L, jwt));
                offResults.add(LoadRun.run("router JWT off", threads, 500, seconds * 1000L, noJwt));
            }
        }
        for (int i = 0; i < 2; i++) {
            System.out.println(onResults.get(i));
            System.out.println(offResults.get(i));
        }
        double onTput = (onResults.get(0).throughput() + onResults.get(1).throughput()) / 2;
        double offTput = (offResults.get(0).throughput() + offResults.get(1).throughput()) / 2;
        System.out.printf("JWT on/off throughput ratio %.3f (pairs: %.3f, %.3f); added p50 %+.3f ms, p99 %+.3f ms%n",
                onTput / offTput, onResults.get(0).throughput() / offResults.get(0).throughput(),
                onResults.get(1).throughput() / offResults.get(1).throughput(),
                ((onResults.get(0).p50Ns() + onResults.get(1).p50Ns())
                        - (offResults.get(0).p50Ns() + offResults.get(1).p50Ns())) / 2e6,
                ((onResults.get(0).p99Ns() + onResults.get(1).p99Ns())
                        - (offResults.get(0).p99Ns() + offResults.get(1).p99Ns())) / 2e6);
        for (int t = 0; t < threads; t++) {
            on[t].close();
            off[t].close();
        }
    }

    /**
     * {@value #COMPOSITE} point reads as one composite statement over plain JDBC ({@code s1 ; s2 ; ...}, one round
     * trip): what a JDBC application could do itself, to compare the router's batches with (ADR 0031).
     */
    private static LoadRun.Operation compositePointReads(javax.sql.DataSource ds, int rows) {
        String composite = String.join("\n;\n", java.util.Collections.nCopies(COMPOSITE, SQL));
        return (t, seq) -> {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(composite)) {
                for (int i = 0; i < COMPOSITE; i++) {
                    ps.setString(3 * i + 1, TENANT);
                    ps.setString(3 * i + 2, FLEET);
                    ps.setString(3 * i + 3, "v" + (((seq * COMPOSITE + i) * 7919 + t) % rows));
                }
                ps.execute();
                for (int i = 0; i < COMPOSITE; i++) {
                    if (i > 0 && !ps.getMoreResults()) {
                        throw new IllegalStateException("no result set " + i);
                    }
                    try (ResultSet rs = ps.getResultSet()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("row missing");
                        }
                    }
                }
            }
        };
    }

    /** The point read by primary key as plain JDBC on {@code ds}: the statement alone, no binding of its own. */
    /**
     * Mode {@code blocking}: only direct JDBC and the blocking listener (ADR 0039), in three mirrored pairs (JDBC,
     * blocking, blocking, JDBC, JDBC, blocking), for a quicker side-by-side of the router's request path and a window
     * in which a profiler sees nothing else of the router.
     */
    private static void blockingPairs(Path pgData, RawHttpClient[] clients, int port, String token,
            LoadRun.Operation viaJdbc, LoadRun.Operation viaBlocking, int threads, int seconds, int rows, long warmupMs)
            throws Exception {
        System.out.printf("point reads by primary key, %d threads, %d s each, %d rows: direct JDBC vs the blocking"
                + " listener, three pairs%n", threads, seconds, rows);
        LoadRun.run("warm-jdbc", threads, 0, warmupMs / 2, viaJdbc);
        LoadRun.run("warm-blocking", threads, 0, warmupMs, viaBlocking);
        CpuMeter cpu = new CpuMeter(pgData);
        List<LoadRun.Result> jdbc = new java.util.ArrayList<>();
        List<LoadRun.Result> blocking = new java.util.ArrayList<>();
        for (int pair = 0; pair < 3; pair++) {
            boolean jdbcFirst = pair != 1;
            for (int k = 0; k < 2; k++) {
                if ((k == 0) == jdbcFirst) {
                    jdbc.add(LoadRun.run("direct JDBC", threads, 500, seconds * 1000L, viaJdbc, cpu));
                } else {
                    reconnect(clients, port, token);
                    blocking.add(LoadRun.run("router blocking", threads, 500, seconds * 1000L, viaBlocking, cpu));
                }
            }
        }
        for (int pair = 0; pair < 3; pair++) {
            System.out.println(jdbc.get(pair));
            System.out.println(blocking.get(pair));
        }
        double ratio = blocking.stream().mapToDouble(LoadRun.Result::throughput).sum()
                / jdbc.stream().mapToDouble(LoadRun.Result::throughput).sum();
        System.out.printf("blocking listener / direct JDBC: %.2f (pairs: %.2f, %.2f, %.2f); added p50 %+.3f ms, p99"
                        + " %+.3f ms%n", ratio,
                blocking.get(0).throughput() / jdbc.get(0).throughput(),
                blocking.get(1).throughput() / jdbc.get(1).throughput(),
                blocking.get(2).throughput() / jdbc.get(2).throughput(),
                (blocking.stream().mapToLong(LoadRun.Result::p50Ns).sum()
                        - jdbc.stream().mapToLong(LoadRun.Result::p50Ns).sum()) / 3e6,
                (blocking.stream().mapToLong(LoadRun.Result::p99Ns).sum()
                        - jdbc.stream().mapToLong(LoadRun.Result::p99Ns).sum()) / 3e6);
        System.out.printf("CPU per request, mean of three: router's threads %.1f µs (+ GC/JIT %.1f), PostgreSQL"
                        + " %.1f µs vs %.1f µs direct, driver %.1f µs vs %.1f µs%n",
                blocking.stream().mapToDouble(r -> r.cpu().serverUs()).average().orElse(0),
                blocking.stream().mapToDouble(r -> r.cpu().jvmUs()).average().orElse(0),
                blocking.stream().mapToDouble(r -> r.cpu().postgresUs()).average().orElse(0),
                jdbc.stream().mapToDouble(r -> r.cpu().postgresUs()).average().orElse(0),
                blocking.stream().mapToDouble(r -> r.cpu().driverUs()).average().orElse(0),
                jdbc.stream().mapToDouble(r -> r.cpu().driverUs()).average().orElse(0));
    }

    private static LoadRun.Operation pointRead(javax.sql.DataSource ds, int rows) {
        return (t, seq) -> {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(SQL)) {
                ps.setString(1, TENANT);
                ps.setString(2, FLEET);
                ps.setString(3, "v" + ((seq * 7919 + t) % rows));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("row missing");
                    }
                }
            }
        };
    }
}
