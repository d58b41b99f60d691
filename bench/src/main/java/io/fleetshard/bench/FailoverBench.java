package io.fleetshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.controlapi.ControlApi;
import io.fleetshard.controlapi.ControlApiConfig;
import io.fleetshard.router.FleetSchema;
import io.fleetshard.router.Router;
import io.fleetshard.router.RouterConfig;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Failover recovery time (issue 9, ADR 0015): trials of "kill a PostgreSQL primary under routed writes, wait for the
 * first acknowledged write after it". Each trial gets a shard of its own (a primary with a synchronous streaming
 * replica, registered through the control API, owning no arc of the ring; one fleet pinned to it), two writers through
 * the router, then SIGKILL of the primary's postmaster. Reported per trial and as percentiles: RTO (kill to the first
 * write acknowledged by the promoted replica), detection (kill to the orchestration's start), the orchestration's steps,
 * and the acknowledged writes missing afterwards (RPO, must be 0: the replica is synchronous).
 *
 * <p>The control API probes every 1000 ms (timeout 800 ms), as {@code ./fleetshard dev} does. No change capture runs.
 *
 * <p>With {@code switchover} as the second argument, each trial runs a planned switchover instead of the kill
 * ({@code POST /v1/shards/{id}/switchover}) and reports the write pause: the longest write of the trial after the
 * switchover was asked for, and the writes refused (must be 0: the router holds them).
 *
 * <p>With {@code mariadb} as an argument, each trial's shard is a MariaDB 11.4 primary with a semi-synchronous GTID
 * replica (ADR 0024) instead: RPO 0 holds while the replica acknowledges.
 *
 * <p>Usage: {@code bench/run failover [trials] [switchover] [mariadb]} (default 20 trials of a kill, PostgreSQL).
 */
public final class FailoverBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String JWT_SECRET = "failover-bench-jwt-" + java.util.UUID.randomUUID();
    /** Admin token of the bench's router and control API (ADR 0018). */
    private static final String TOKEN = io.fleetshard.http.auth.JwtMinter.withDefaults(JWT_SECRET).mint("bench",
            io.fleetshard.http.auth.Role.ADMIN, null, Duration.ofHours(12));
    private static final String SECRET = "failover-bench-secret-0123456789abcdef";

    private FailoverBench() {
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<String> flags = List.of(args).subList(Math.min(1, args.length), args.length);
        boolean switchover = flags.contains("switchover");
        boolean mariadb = flags.contains("mariadb");
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "failover-bench");
        List<AutoCloseable> servers = new ArrayList<>();
        List<long[]> results = new ArrayList<>(); // rto, detect, orchestration, lost
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            ShardMapLogConfig log = ShardMapLogConfig.defaults(kafka.bootstrapServers());
            try (ShardMapFollower follower = ShardMapFollower.start(log, dir.resolve("map.json"));
                    ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
                ControlApi control = new ControlApi(ControlApiConfig.defaults(JWT_SECRET)
                        .with(ControlApiConfig.HTTP_PORT, "0")
                        .with(ControlApiConfig.PROBE_USER, FleetSchema.DEFAULT_APP_ROLE)
                        .with(ControlApiConfig.RESHARD_PG_USER, "postgres")
                        .with(ControlApiConfig.RESHARD_MYSQL_USER, MariaDbNode.ROOT_USER)
                        .with(ControlApiConfig.PROBE_TIMEOUT_MS, "800")
                        .with(ControlApiConfig.PROBE_INTERVAL_MS, "1000"), follower, writer, Clock.systemUTC()).start();
                control.enableFailover(kafka.bootstrapServers());
                Router router = new Router(RouterConfig.from(Map.of(RouterConfig.PORT, "0",
                        RouterConfig.TENANT_SECRET, SECRET, RouterConfig.AUTH_JWT_SECRET, JWT_SECRET)), follower).start();
                String controlUrl = "http://127.0.0.1:" + control.port();
                String routerUrl = "http://127.0.0.1:" + router.port();
                try {
                    check(post(controlUrl + "/v1/tenants", "{\"tenantId\":\"bench\",\"tier\":\"standard\"}"), 201);
                    for (int i = 1; i <= trials; i++) {
                        results.add(switchover ? switchoverTrial(i, dir, servers, controlUrl, routerUrl, mariadb)
                                : trial(i, dir, servers, controlUrl, routerUrl, mariadb));
                    }
                } finally {
                    control.stop(); // first: servers that stop now are not failed over
                    router.close();
                }
            }
        } finally {
            for (AutoCloseable server : servers) {
                server.close();
            }
        }
        if (switchover) {
            System.out.println();
            System.out.printf("%s: ", mariadb ? "MariaDB" : "PostgreSQL");
            System.out.printf("%d switchovers: write pause %s; orchestration %s; writes refused: %d; acknowledged"
                    + " writes lost: %d%n", results.size(), percentiles(results, 0), percentiles(results, 2),
                    results.stream().mapToLong(r -> r[1]).sum(), results.stream().mapToLong(r -> r[3]).sum());
        } else {
            System.out.printf("%n%s:", mariadb ? "MariaDB" : "PostgreSQL");
            report(results);
        }
    }

    private static long[] trial(int i, Path dir, List<AutoCloseable> servers, String controlUrl, String routerUrl,
            boolean mariadb) throws Exception {
        String shard = "t" + i;
        TrialShard nodes = mariadb ? mariaDbShard(i, dir, servers, controlUrl) : shard(i, dir, servers, controlUrl);
        Writers w = new Writers(routerUrl, "f" + i);
        w.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (w.acked.get() < 50 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000L);
        }
        long killedAtMs = System.currentTimeMillis();
        w.killedAtMs.set(killedAtMs);
        nodes.killPrimary().run();
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (w.firstAckAfterKillMs.get() == 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(5_000_000L);
        }
        w.stop();
        long rto = w.firstAckAfterKillMs.get() == 0 ? -1 : w.firstAckAfterKillMs.get() - killedAtMs;
        JsonNode o = orchestrationOf(controlUrl, shard);
        long detect = o == null ? -1 : o.path("startedAtMs").asLong() - killedAtMs;
        long orchestration = o == null ? -1 : o.path("durationMs").asLong(-1);
        long lost = w.ackedIds().stream().filter(id -> !exists(nodes.replicaAdminUrl(), "f" + i, id)).count();
        StringBuilder steps = new StringBuilder();
        if (o != null) {
            o.path("steps").forEach(s -> steps.append(s.path("step").asText()).append(' ')
                    .append(s.path("durationMs").asLong()).append(" ms, "));
        }
        System.out.printf("trial %2d: RTO %5d ms, detection %5d ms, orchestration %5d ms (%s), %s, acked %d, lost %d%n",
                i, rto, detect, orchestration, steps.toString().replaceAll(", $", ""),
                o == null ? "no orchestration" : o.path("state").asText(), w.acked.get(), lost);
        return new long[] {rto, detect, orchestration, lost};
    }

    /** A trial's shard: how to kill its primary, and the superuser URL of its replica (to count what it holds). */
    private record TrialShard(Runnable killPrimary, String replicaAdminUrl) {
    }

    /**
     * One MariaDB shard: a primary and a semi-synchronous GTID replica, registered, with a fleet pinned to it. The app
     * role may read replication status (the health monitor's lag probe), as on the dev platform.
     */
    private static TrialShard mariaDbShard(int i, Path dir, List<AutoCloseable> servers, String controlUrl)
            throws Exception {
        String shard = "t" + i;
        MariaDbNode primary = MariaDbNode.start(dir.resolve(shard + "-a"), FreePorts.next(), 1);
        servers.add(primary);
        primary.createDatabase("fleet");
        FleetSchema.install(primary.jdbcUrl("fleet"), SECRET);
        try (var c = java.sql.DriverManager.getConnection(primary.jdbcUrl("fleet")); var st = c.createStatement()) {
            st.execute("GRANT SLAVE MONITOR ON *.* TO '" + FleetSchema.DEFAULT_APP_ROLE + "'@'%', '"
                    + FleetSchema.DEFAULT_APP_ROLE + "'@'localhost'");
        }
        MariaDbNode replica = primary.startReplica(dir.resolve(shard + "-b"), FreePorts.next(), 2, true);
        servers.add(replica);
        register(controlUrl, shard, i, "mariadb", node(shard + "-a", "primary", "jdbc:mariadb://127.0.0.1:"
                + primary.port() + "/fleet"), node(shard + "-b", "sync-replica", "jdbc:mariadb://127.0.0.1:"
                + replica.port() + "/fleet"));
        return new TrialShard(primary::kill, replica.jdbcUrl("fleet"));
    }

    private static void register(String controlUrl, String shard, int i, String engine, ObjectNode primary,
            ObjectNode replica) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("shardId", shard).put("engine", engine).put("vnodes", 0);
        body.putArray("nodes").add(primary).add(replica);
        check(post(controlUrl + "/v1/shards", body.toString()), 201);
        check(post(controlUrl + "/v1/tenants/bench/fleets", "{\"fleetId\":\"f" + i + "\",\"shardId\":\"" + shard
                + "\"}"), 201);
    }

    /** One shard with a primary and a sync replica, registered, with a fleet pinned to it. */
    private static TrialShard shard(int i, Path dir, List<AutoCloseable> servers, String controlUrl)
            throws Exception {
        String shard = "t" + i;
        PostgresNode primary = PostgresNode.startPrimary(dir.resolve(shard + "-a"));
        servers.add(primary);
        primary.createDatabase("fleet");
        FleetSchema.install(primary.jdbcUrl("fleet"), SECRET);
        PostgresNode replica = primary.startReplica(dir.resolve(shard + "-b"), shard + "_b", true);
        servers.add(replica);
        register(controlUrl, shard, i, "postgres", node(shard + "-a", "primary", "jdbc:postgresql://127.0.0.1:"
                + primary.port() + "/fleet"), node(shard + "-b", "sync-replica", "jdbc:postgresql://127.0.0.1:"
                + replica.port() + "/fleet"));
        return new TrialShard(primary::kill, replica.jdbcUrl("fleet"));
    }

    /** A planned switchover under writes: {pause, refused, orchestration, lost}. */
    private static long[] switchoverTrial(int i, Path dir, List<AutoCloseable> servers, String controlUrl,
            String routerUrl, boolean mariadb) throws Exception {
        String replica = (mariadb ? mariaDbShard(i, dir, servers, controlUrl) : shard(i, dir, servers, controlUrl))
                .replicaAdminUrl();
        Writers w = new Writers(routerUrl, "f" + i);
        w.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (w.acked.get() < 50 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000L);
        }
        w.killedAtMs.set(System.currentTimeMillis()); // from here on: the longest write, the refusals
        check(post(controlUrl + "/v1/shards/t" + i + "/switchover", ""), 202);
        JsonNode o = orchestrationOf(controlUrl, "t" + i);
        long afterDone = w.acked.get();
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (w.acked.get() < afterDone + 20 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000L);
        }
        w.stop();
        long lost = w.ackedIds().stream().filter(id -> !exists(replica, "f" + i, id)).count();
        long orchestration = o == null ? -1 : o.path("durationMs").asLong(-1);
        System.out.printf("switchover %2d: write pause %5d ms, orchestration %5d ms, refused %d, acked %d, lost %d%n",
                i, w.longestAfterMs.get(), orchestration, w.refusedAfter.get(), w.acked.get(), lost);
        return new long[] {w.longestAfterMs.get(), w.refusedAfter.get(), orchestration, lost};
    }

    private static ObjectNode node(String id, String role, String jdbcUrl) {
        return JSON.createObjectNode().put("nodeId", id).put("role", role).put("region", "eu-west-1")
                .put("az", "eu-west-1a").put("jdbcUrl", jdbcUrl);
    }

    private static JsonNode orchestrationOf(String controlUrl, String shard) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode list = JSON.readTree(HTTP.send(authorized(URI.create(controlUrl
                    + "/v1/orchestrations")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode o : list.path("orchestrations")) {
                if (o.path("shardId").asText().equals(shard) && o.path("state").asText().equals("done")) {
                    return o;
                }
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return null;
    }

    private static boolean exists(String adminUrl, String fleet, String id) {
        try (var c = java.sql.DriverManager.getConnection(adminUrl);
                var ps = c.prepareStatement("select 1 from vehicles where tenant_id = 'bench' and fleet_id = ? and"
                        + " vehicle_id = ?")) {
            ps.setString(1, fleet);
            ps.setString(2, id);
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reading the promoted replica: " + e.getMessage(), e);
        }
    }

    private static void report(List<long[]> results) {
        System.out.println();
        System.out.printf("%d trials: RTO %s; detection %s; orchestration %s; acknowledged writes lost: %d%n",
                results.size(), percentiles(results, 0), percentiles(results, 1), percentiles(results, 2),
                results.stream().mapToLong(r -> r[3]).sum());
    }

    private static String percentiles(List<long[]> results, int column) {
        long[] v = results.stream().mapToLong(r -> r[column]).filter(x -> x >= 0).sorted().toArray();
        if (v.length == 0) {
            return "n/a";
        }
        return "p50 " + v[(int) Math.ceil(0.50 * v.length) - 1] + " / p95 " + v[(int) Math.ceil(0.95 * v.length) - 1]
                + " / max " + v[v.length - 1] + " ms";
    }

    private static HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN);
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(authorized(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void check(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException("expected " + status + ", got " + r.statusCode() + ": " + r.body());
        }
    }

    /** Two writers inserting new vehicles of one fleet through the router, as fast as answers come. */
    private static final class Writers {
        private static final String INSERT = "insert into vehicles (tenant_id, fleet_id, vehicle_id, status) values"
                + " (?, ?, ?, 'ok')";
        final AtomicLong acked = new AtomicLong();
        final AtomicLong killedAtMs = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong firstAckAfterKillMs = new AtomicLong();
        final AtomicLong longestAfterMs = new AtomicLong();
        final AtomicLong refusedAfter = new AtomicLong();
        private final List<String> ackedIds = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        Writers(String routerUrl, String fleet) {
            for (int t = 0; t < 2; t++) {
                String prefix = "w" + t + "-";
                threads.add(new Thread(() -> {
                    for (int n = 0; running.get(); n++) {
                        String id = prefix + n;
                        ObjectNode body = JSON.createObjectNode().put("tenantId", "bench").put("fleetId", fleet)
                                .put("sql", INSERT);
                        body.putArray("params").add("bench").add(fleet).add(id);
                        long sentAt = System.currentTimeMillis();
                        try {
                            HttpResponse<String> r = post(routerUrl + "/v1/query", body.toString());
                            long now = System.currentTimeMillis();
                            if (now > killedAtMs.get()) {
                                longestAfterMs.accumulateAndGet(now - Math.max(sentAt, killedAtMs.get()), Math::max);
                                if (r.statusCode() != 200) {
                                    refusedAfter.incrementAndGet();
                                }
                            }
                            if (r.statusCode() == 200) {
                                acked.incrementAndGet();
                                ackedIds.add(id);
                                // the old primary's backends can still commit for a moment after its postmaster
                                // died (the synchronous replica acknowledges): the outage ends on the new primary
                                if (JSON.readTree(r.body()).path("nodeId").asText().endsWith("-b")) {
                                    firstAckAfterKillMs.compareAndSet(0, System.currentTimeMillis());
                                }
                                continue;
                            }
                        } catch (Exception e) {
                            // not acknowledged
                        }
                        LockSupport.parkNanos(20_000_000L); // a client's back-off after a refusal
                    }
                }, "bench-writer-" + t));
            }
        }

        List<String> ackedIds() {
            return List.copyOf(ackedIds);
        }

        void start() {
            threads.forEach(Thread::start);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }
}
