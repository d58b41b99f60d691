package io.fleetshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.launcher.DevOptions;
import io.fleetshard.launcher.DevPlatform;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Online resharding on the dev platform (ADR 0013), measured as an operator sees it through {@code /v1/reshards}:
 * <ol>
 *   <li>if asked for, first a warm-up move of {@code warmUpRows} rows (its figures are printed too, labelled);</li>
 *   <li>a fleet of {@code rows} telemetry rows moves from pg-1 to pg-2: bulk copy + catch-up rows/s, validation rows/s
 *       and how far the ETA shown at a quarter of each phase was from the real end;</li>
 *   <li>under a write load through the router (writers of the moving fleet and of three other fleets), a small fleet
 *       moves back and forth {@code cutovers} times: the write freeze of each cutover (fence committed until the new
 *       placement is in the map) and the writes' latency, and the other fleets' write p99 during the moves against a
 *       baseline of the same length without moves.</li>
 * </ol>
 * Usage: {@code bench/run reshard [rows] [cutovers] [warmUpRows]} (defaults 200000, 20, 0: no warm-up move).
 */
public final class ReshardBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Admin token of the dev platform under test (ADR 0018), set once it started. */
    private static volatile String token;

    /** The map step's parts in the job's {@code progress.writeFreeze}, and what they are. */
    private static final Map<String, String> MAP_PARTS = new LinkedHashMap<>();

    static {
        MAP_PARTS.put("snapshotMs", "validation's snapshot of the target");
        MAP_PARTS.put("mapLockWaitMs", "waiting for the map write lock");
        MAP_PARTS.put("mapBaseWaitMs", "waiting for the base version");
        MAP_PARTS.put("mapTransactionMs", "Kafka transaction + the writer's follower applied it");
        MAP_PARTS.put("mapSeenMs", "then seen by the control API");
        MAP_PARTS.put("mapStagedMs", "(before it, while the fence was on its way: written ahead; -1 = not)");
    }

    private ReshardBench() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int cutovers = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        // optionally a first, smaller move to warm the platform's JIT up (its compiler took a seventh of the two cores
        // during a bulk move right after start-up); off by default: in the one run with 40,000 rows its own capture,
        // cleanup and standby work still ran beside the measured copy, which was no faster (docs/benchmarks.md, tenth
        // session)
        int warmUpRows = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        // optionally the bulk move's targets, comma-separated, each a fleet of its own moved from pg-1 in turn: e.g.
        // pg-2,maria-2 measures a move between engines (ADR 0047) beside a same-engine one in the same run
        List<String> targets = args.length > 3 ? List.of(args[3].split(",")) : List.of("pg-2");
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "reshard-bench");
        try (DevPlatform platform = new DevPlatform(new DevOptions(dir, true, 0, 0))) {
            platform.start();
            token = platform.adminToken();
            if (warmUpRows > 0) {
                bulkMove(platform, "warmup", warmUpRows, "pg-2");
            }
            for (String target : targets) {
                bulkMove(platform, targets.size() == 1 ? "bulk" : "bulk-" + target, rows, target);
            }
            if (cutovers > 0) {
                cutovers(platform, cutovers);
            }
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ bulk move

    private static void bulkMove(DevPlatform p, String fleet, int rows, String target) throws Exception {
        post(p.controlUrl() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"" + fleet + "\",\"shardId\":\"pg-1\"}");
        long t0 = System.nanoTime();
        try (Connection c = DriverManager.getConnection(p.adminJdbcUrl("pg-1-a"))) {
            c.setAutoCommit(false);
            int batch = 1000;
            for (int done = 0; done < rows; done += batch) {
                StringBuilder sql = new StringBuilder("insert into telemetry (tenant_id, fleet_id, vehicle_id, ts, lat,"
                        + " lon, speed_kph) values ");
                for (int i = 0; i < batch && done + i < rows; i++) {
                    int n = done + i;
                    sql.append(i == 0 ? "" : ",").append("('acme','").append(fleet).append("','v").append(n % 500).append("',")
                            .append("timestamptz '2026-01-01 00:00:00+00' + interval '").append(n / 500)
                            .append(" seconds',").append(48 + (n % 1000) / 1000.0).append(',')
                            .append(2 + (n % 777) / 1000.0).append(',').append(n % 130).append(')');
                }
                try (Statement st = c.createStatement()) {
                    st.execute(sql.toString());
                }
                c.commit();
            }
        }
        System.out.printf(Locale.ROOT, "seeded %,d telemetry rows of acme/%s on pg-1 in %.1f s%n", rows, fleet,
                (System.nanoTime() - t0) / 1e9);
        awaitShardLogQuiet(p, "pg-1");

        Map<String, Long> phaseStart = new LinkedHashMap<>();
        long[] etaSeen = {-1, -1};
        long[] etaAt = {0, 0};
        String jobId = startJob(p, "{\"kind\":\"move\",\"fleet\":\"acme/" + fleet + "\",\"to\":\"" + target + "\"}");
        JsonNode job;
        String phase = "";
        while (true) {
            job = get(p.controlUrl() + "/v1/reshards/" + jobId);
            String now = job.path("phase").asText();
            long nowNs = System.nanoTime();
            if (!now.equals(phase)) {
                phaseStart.put(now, nowNs);
                phase = now;
            }
            JsonNode pr = job.path("progress");
            if (now.equals("precopy") && etaSeen[0] < 0 && pr.path("copy").path("rowsTotal").asLong() > 0
                    && pr.path("copy").path("rowsCopied").asLong() * 4 >= pr.path("copy").path("rowsTotal").asLong()) {
                etaSeen[0] = pr.path("copy").path("etaMs").asLong();
                etaAt[0] = nowNs;
            }
            if (now.equals("validate") && etaSeen[1] < 0 && pr.path("validation").path("rowsTotal").asLong() > 0
                    && pr.path("validation").path("rowsValidated").asLong() * 4
                    >= pr.path("validation").path("rowsTotal").asLong()) {
                etaSeen[1] = pr.path("validation").path("etaMs").asLong();
                etaAt[1] = nowNs;
            }
            if (now.equals("done") || now.equals("failed") || now.equals("cancelled")) {
                break;
            }
            Thread.sleep(20);
        }
        if (!phase.equals("done")) {
            throw new IllegalStateException("bulk move ended " + phase + ": " + job);
        }
        long copyEnd = phaseStart.getOrDefault("catchup", phaseStart.get("cutover"));
        long catchupEnd = phaseStart.get("cutover");
        long validateStart = phaseStart.get("validate");
        long validateEnd = phaseStart.get("cleanup");
        long total = job.path("progress").path("copy").path("rowsTotal").asLong();
        double copyS = (copyEnd - phaseStart.get("precopy")) / 1e9;
        double copyAndCatchupS = (catchupEnd - phaseStart.get("precopy")) / 1e9;
        double validateS = (validateEnd - validateStart) / 1e9;
        System.out.printf(Locale.ROOT, "%n| measure (acme/%s, %,d rows, pg-1 -> %s%s) | result |%n| --- | --- |%n", fleet,
                total, target, fleet.equals("warmup") ? ": the warm-up move" : "");
        System.out.printf(Locale.ROOT, "| bulk copy | %.2f s, %,.0f rows/s |%n", copyS, total / copyS);
        System.out.printf(Locale.ROOT, "| bulk copy + delta catch-up | %.2f s, %,.0f rows/s |%n", copyAndCatchupS,
                total / copyAndCatchupS);
        System.out.printf(Locale.ROOT, "| validation | %.2f s, %,.0f rows/s |%n", validateS, total / validateS);
        if (etaSeen[0] >= 0) {
            double actual = (copyEnd - etaAt[0]) / 1e6;
            System.out.printf(Locale.ROOT, "| copy ETA at 25%% | %d ms shown, %.0f ms real (%+.0f %%) |%n", etaSeen[0],
                    actual, (etaSeen[0] - actual) * 100 / actual);
        }
        if (etaSeen[1] >= 0) {
            double actual = (validateEnd - etaAt[1]) / 1e6;
            System.out.printf(Locale.ROOT, "| validation ETA at 25%% | %d ms shown, %.0f ms real (%+.0f %%) |%n",
                    etaSeen[1], actual, (etaSeen[1] - actual) * 100 / actual);
        }
        System.out.printf(Locale.ROOT, "| write freeze | %d ms |%n", job.path("progress").path("writeFreezeMs").asLong());
        JsonNode probe = job.path("progress").path("delta").path("probe"); // ADR 0033, absent before it
        if (!probe.isMissingNode()) {
            System.out.printf(Locale.ROOT, "| probe before the fence | %d sent, last trip %d ms |%n",
                    probe.path("sent").asLong(), probe.path("lastTripMs").asLong());
        }
        System.out.println();
    }

    // ------------------------------------------------------------------------------------------------ cutovers

    private static void cutovers(DevPlatform p, int n) throws Exception {
        post(p.controlUrl() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"hopper\",\"shardId\":\"pg-1\"}");
        for (String f : List.of("other-1", "other-2", "other-3")) {
            post(p.controlUrl() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"" + f + "\",\"shardId\":\"pg-1\"}");
        }
        // a follower of the map log of its own, as a router process has: when it first shows hopper on each shard
        List<long[]> hopperPlaced = new java.util.concurrent.CopyOnWriteArrayList<>(); // {wall ms, 1 = pg-1 / 2}
        ShardMapFollower routerFollower = ShardMapFollower.start(ShardMapLogConfig.defaults(p.kafkaBootstrapServers()),
                null);
        routerFollower.addListener(map -> map.fleet("acme", "hopper").ifPresent(f -> {
            long now = System.currentTimeMillis();
            long shard = map.shardFor(f).equals("pg-1") ? 1 : 2;
            if (hopperPlaced.isEmpty() || hopperPlaced.get(hopperPlaced.size() - 1)[1] != shard) {
                hopperPlaced.add(new long[] {now, shard});
            }
        }));
        Load hopper = new Load(p, "hopper", 2);
        Load others = new Load(p, null, 3);
        hopper.start();
        others.start();
        Thread.sleep(3_000); // warm-up
        others.reset();
        long baselineStart = System.nanoTime();
        Thread.sleep(10_000);
        long[] baseline = others.snapshot();
        double baselineS = (System.nanoTime() - baselineStart) / 1e9;
        others.reset();
        hopper.reset();
        long movesStart = System.nanoTime();
        List<Long> freezes = new ArrayList<>();
        List<Long> applied = new ArrayList<>();
        List<Long> noticed = new ArrayList<>();
        List<Long> mapCommit = new ArrayList<>();
        Map<String, List<Double>> mapParts = new LinkedHashMap<>();
        for (String part : MAP_PARTS.keySet()) {
            mapParts.put(part, new ArrayList<>());
        }
        List<Long> routerSeen = new ArrayList<>();
        List<Long> probeTrips = new ArrayList<>();
        List<Long> probesSent = new ArrayList<>();
        String at = "pg-1";
        for (int i = 0; i < n; i++) {
            String to = at.equals("pg-1") ? "pg-2" : "pg-1";
            String id = startJob(p, "{\"kind\":\"move\",\"fleet\":\"acme/hopper\",\"to\":\"" + to + "\"}");
            JsonNode job;
            do {
                Thread.sleep(50);
                job = get(p.controlUrl() + "/v1/reshards/" + id);
            } while (!Arrays.asList("done", "failed", "cancelled").contains(job.path("phase").asText()));
            if (!job.path("phase").asText().equals("done")) {
                throw new IllegalStateException("move " + i + " ended " + job);
            }
            freezes.add(job.path("progress").path("writeFreezeMs").asLong());
            JsonNode parts = job.path("progress").path("writeFreeze");
            applied.add(parts.path("fenceAppliedMs").asLong(-1));
            noticed.add(parts.path("fenceNoticedMs").asLong(-1));
            mapCommit.add(parts.path("mapCommitMs").asLong(-1));
            mapParts.forEach((part, l) -> l.add(parts.path(part).asDouble(-1)));
            long fencedAt = parts.path("fencedAtMs").asLong(-1);
            long visibleAt = fencedAt + job.path("progress").path("writeFreezeMs").asLong();
            long toShard = to.equals("pg-1") ? 1 : 2;
            routerSeen.add(hopperPlaced.stream().filter(e -> e[1] == toShard && e[0] >= fencedAt)
                    .mapToLong(e -> e[0] - visibleAt).findFirst().orElse(Long.MIN_VALUE));
            JsonNode probe = job.path("progress").path("delta").path("probe"); // ADR 0033, absent before it
            if (!probe.isMissingNode()) {
                probeTrips.add(probe.path("lastTripMs").asLong(-1));
                probesSent.add(probe.path("sent").asLong(-1));
            }
            at = to;
        }
        double movesS = (System.nanoTime() - movesStart) / 1e9;
        long[] during = others.snapshot();
        long[] hopperLat = hopper.snapshot();
        hopper.stop();
        others.stop();
        routerFollower.close();
        List<Long> probesInOrder = List.copyOf(probesSent);
        List<Long> freezesInOrder = List.copyOf(freezes);
        for (List<Long> l : List.of(freezes, applied, noticed, mapCommit, probeTrips, probesSent, routerSeen)) {
            l.sort(Long::compare);
        }
        mapParts.values().forEach(l -> l.sort(Double::compare));
        System.out.printf(Locale.ROOT, "| measure (%d cutovers of acme/hopper between pg-1 and pg-2, 2 writers on it,"
                + " 3 on other fleets of pg-1) | result |%n| --- | --- |%n", n);
        System.out.printf(Locale.ROOT, "| write freeze p50 / p99 / max | %d / %d / %d ms |%n", pct(freezes, 50),
                pct(freezes, 99), freezes.get(freezes.size() - 1));
        System.out.printf(Locale.ROOT, "| of which: fence applied on the target (capture + delta sync), p50 / max | %d /"
                + " %d ms |%n", pct(applied, 50), applied.get(applied.size() - 1));
        System.out.printf(Locale.ROOT, "| of which: seen applied by the control API, p50 / max | %d / %d ms |%n",
                pct(noticed, 50), noticed.get(noticed.size() - 1));
        System.out.printf(Locale.ROOT, "| of which: map transaction of the new placement, p50 / max | %d / %d ms |%n",
                pct(mapCommit, 50), mapCommit.get(mapCommit.size() - 1));
        mapParts.forEach((part, l) -> System.out.printf(Locale.ROOT, "| … of the map step: %s, p50 / max |"
                + " %.1f / %.1f ms |%n", MAP_PARTS.get(part), l.get((l.size() - 1) / 2), l.get(l.size() - 1)));
        System.out.printf(Locale.ROOT, "| after the freeze: a router's own map follower shows the new placement, p50 /"
                + " max (ms after the control API saw it; %s = never) | %d / %d ms |%n", Long.MIN_VALUE,
                pct(routerSeen, 50), routerSeen.get(routerSeen.size() - 1));
        System.out.printf(Locale.ROOT, "| write freezes in order | %s |%n", freezesInOrder);
        if (!probeTrips.isEmpty()) {
            System.out.printf(Locale.ROOT, "| before the fence: last probe's trip source -> target, p50 / max | %d / %d ms"
                    + " |%n", pct(probeTrips, 50), probeTrips.get(probeTrips.size() - 1));
            System.out.printf(Locale.ROOT, "| before the fence: probes sent per cutover, p50 / max (in order: %s) | %d /"
                    + " %d |%n", probesInOrder, pct(probesSent, 50), probesSent.get(probesSent.size() - 1));
        }
        System.out.printf(Locale.ROOT, "| moving fleet's writes during the moves: p50 / p99 / max | %.1f / %.1f / %.1f ms"
                + " (%d writes, %d refused with 503) |%n", ms(hopperLat, 50), ms(hopperLat, 99),
                ms(hopperLat, 100), hopperLat.length, hopper.errors());
        System.out.printf(Locale.ROOT, "| other fleets' writes, no move (%.0f s): p50 / p99 | %.1f / %.1f ms (%,.0f"
                + " writes/s) |%n", baselineS, ms(baseline, 50), ms(baseline, 99), baseline.length / baselineS);
        System.out.printf(Locale.ROOT, "| other fleets' writes during the moves (%.0f s): p50 / p99 | %.1f / %.1f ms"
                + " (%,.0f writes/s, %d errors) |%n", movesS, ms(during, 50), ms(during, 99), during.length / movesS,
                others.errors());
    }

    /** Closed-loop writers through the router; latencies in ns since the last reset. */
    private static final class Load {
        private final DevPlatform p;
        private final String fleet;
        private final int threads;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> workers = new ArrayList<>();
        private final List<long[]> buffers = new ArrayList<>();
        private final int[] counts;
        private volatile long errors;

        Load(DevPlatform p, String fleet, int threads) {
            this.p = p;
            this.fleet = fleet;
            this.threads = threads;
            this.counts = new int[threads];
            for (int i = 0; i < threads; i++) {
                buffers.add(new long[2_000_000]);
            }
        }

        void start() {
            for (int t = 0; t < threads; t++) {
                int me = t;
                String f = fleet != null ? fleet : "other-" + (t + 1);
                Thread w = new Thread(() -> {
                    long seq = 0;
                    while (running.get()) {
                        ObjectNode body = JSON.createObjectNode().put("tenantId", "acme").put("fleetId", f)
                                .put("sql", "insert into vehicles (tenant_id, fleet_id, vehicle_id, status, updated_at)"
                                        + " values (?, ?, ?, ?, now()) on conflict (tenant_id, fleet_id, vehicle_id)"
                                        + " do update set status = excluded.status");
                        body.putArray("params").add("acme").add(f).add("w" + me + "-" + (seq % 1000))
                                .add("s" + seq);
                        seq++;
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<String> r = HTTP.send(authorized(URI.create(p.routerUrl()
                                    + "/v1/query")).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                errors++;
                                continue;
                            }
                        } catch (Exception e) {
                            errors++;
                            continue;
                        }
                        synchronized (this) {
                            long[] b = buffers.get(me);
                            if (counts[me] < b.length) {
                                b[counts[me]++] = System.nanoTime() - t0;
                            }
                        }
                    }
                }, "bench-writer-" + f + "-" + t);
                w.setDaemon(true);
                workers.add(w);
                w.start();
            }
        }

        synchronized void reset() {
            Arrays.fill(counts, 0);
            errors = 0;
        }

        synchronized long[] snapshot() {
            int total = Arrays.stream(counts).sum();
            long[] all = new long[total];
            int at = 0;
            for (int i = 0; i < threads; i++) {
                System.arraycopy(buffers.get(i), 0, all, at, counts[i]);
                at += counts[i];
            }
            Arrays.sort(all);
            return all;
        }

        long errors() {
            return errors;
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread w : workers) {
                w.join(10_000);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static double ms(long[] sortedNs, int p) {
        if (sortedNs.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sortedNs.length) - 1;
        return sortedNs[Math.max(0, Math.min(sortedNs.length - 1, i))] / 1e6;
    }

    private static void awaitShardLogQuiet(DevPlatform p, String shard) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, p.kafkaBootstrapServers());
        TopicPartition tp = new TopicPartition("fleetshard.shardlog." + shard, 0);
        try (Admin admin = Admin.create(props)) {
            long last = -1;
            long stableSince = System.nanoTime();
            while (System.nanoTime() - stableSince < Duration.ofSeconds(3).toNanos()) {
                long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).partitionResult(tp).get().offset();
                if (end != last) {
                    last = end;
                    stableSince = System.nanoTime();
                }
                Thread.sleep(200);
            }
            System.out.printf(Locale.ROOT, "shard log of %s settled at offset %,d%n", shard, last);
        }
    }

    private static String startJob(DevPlatform p, String body) throws Exception {
        HttpResponse<String> r = post(p.controlUrl() + "/v1/reshards", body);
        // ADR 0036: refused while a shard's capture has not committed a streaming position yet (right after start-up)
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (r.statusCode() == 409 && r.body().contains("capture-not-streaming") && System.nanoTime() < deadline) {
            Thread.sleep(500);
            r = post(p.controlUrl() + "/v1/reshards", body);
        }
        if (r.statusCode() != 202) {
            throw new IllegalStateException("POST /v1/reshards " + body + " -> " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).path("jobId").asText();
    }

    private static HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token);
    }

    private static JsonNode get(String url) throws Exception {
        return JSON.readTree(HTTP.send(authorized(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static HttpResponse<String> post(String url, String json) throws Exception {
        return HTTP.send(authorized(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
