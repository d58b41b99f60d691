package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.controlapi.ControlApiConfig;
import io.fleetshard.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Online resharding on the dev platform (ADR 0013), as an operator and the applications see it: a fleet moves between
 * two PostgreSQL shards and between two MariaDB shards while writers keep writing it (and another fleet of the source)
 * through the router. Afterwards no acknowledged write is lost, the rows live only on the target, each application
 * write appears exactly once in {@code fleetshard.cdc.vehicles} in per-fleet order while the resharder's copy,
 * delta apply and cleanup do not appear at all, and the warm standbys of both shards converge.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class OnlineReshardIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static DevPlatform platform;

    /** A request with an admin token of the platform (ADR 0018); the child control APIs share its secret. */
    private static HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + platform.adminToken());
    }
    /** The control API in charge: the platform's, or a child process's once one took the map writer over. */
    private static volatile String controlOverride;
    private static boolean platformStreamsStopped;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "reshard-it");
        platform = new DevPlatform(new DevOptions(dir.resolve("dev"), true, 0, 0));
        platform.start();
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    /**
     * The web console (ADR 0022) in a real headless Chromium against this platform: an operator pastes the admin token,
     * onboards a tenant, adds a fleet pinned to pg-1, moves it to pg-2 from the reshard page and watches the job to
     * {@code done}; the map's placement agrees, every page renders, and an operator's 403 and a refused token's 401
     * are shown with the API's reason. Screenshots go to
     * {@code target/console-screenshots/}. First, on a tenant of its own and between pg-1 and pg-2, so the later tests
     * (and the merge of pg-3) see the demo fleets as they expect. Skipped without a chromium binary.
     */
    @Test
    @org.junit.jupiter.api.Order(0)
    void consoleOnboardsATenantAddsAFleetAndMovesItInABrowser() throws Exception {
        java.util.Optional<Path> chromium = HeadlessChromium.binary();
        org.junit.jupiter.api.Assumptions.assumeTrue(chromium.isPresent(), "no chromium binary on the PATH (or"
                + " FLEETSHARD_CHROMIUM): the console's browser test needs Debian's chromium package; .ci/run and"
                + " ./fleetshard test install it (apt-get install -y chromium)");
        Path shots = Path.of("target", "console-screenshots");
        String console = platform.controlUrl() + "/console";
        try (HeadlessChromium browser = HeadlessChromium.start(chromium.get(), dir.resolve("chromium-profile"))) {
            browser.navigate(console);
            browser.await("the token page", "document.getElementById('token-input')", Duration.ofSeconds(30));
            browser.type("#token-input", platform.adminToken());
            browser.click("#token-save");
            browser.await("the tenants page", "document.getElementById('main').dataset.loaded === 'tenants'"
                    + " && document.querySelector('tr[data-tenant=\"acme\"]')", Duration.ofSeconds(30));
            assertThat(browser.text("#who")).contains("admin");

            browser.type("#tenant-id", "console-co");
            browser.choose("#tenant-tier", "enhanced");
            browser.click("#onboard-tenant-submit");
            browser.await("the tenant onboarded", "document.getElementById('notice').textContent"
                    + ".includes('Tenant console-co onboarded (enhanced')", Duration.ofSeconds(30));
            browser.await("the pin choices", "document.querySelector('#fleet-shard option[value=\"pg-1\"]')",
                    Duration.ofSeconds(30));
            browser.type("#fleet-id", "vans");
            browser.choose("#fleet-shard", "pg-1");
            browser.click("#add-fleet-submit");
            browser.await("the fleet added and listed", "document.getElementById('notice').textContent"
                    + ".includes('Fleet console-co/vans is on pg-1 (pinned)')"
                    + " && document.querySelector('tr[data-fleet=\"console-co/vans\"]')", Duration.ofSeconds(30));
            browser.screenshot(shots.resolve("console-tenants.png"));
            assertThat(shardOf("console-co", "vans")).isEqualTo("pg-1");

            // the fleet's "move / pin" link opens the reshard page with the fleet filled in
            browser.click("tr[data-fleet=\"console-co/vans\"] a");
            browser.await("the reshard page", "document.getElementById('main').dataset.loaded === 'reshards'"
                    + " && document.querySelector('#move-to option[value=\"pg-2\"]')", Duration.ofSeconds(30));
            assertThat(browser.evaluate("document.getElementById('move-fleet-id').value").asText())
                    .isEqualTo("console-co/vans");
            browser.choose("#move-to", "pg-2");
            browser.click("#move-fleet-submit");
            browser.await("the move planned", "document.getElementById('notice').textContent.includes('Reshard job ')"
                    + " && document.getElementById('notice').textContent.includes('console-co/vans from pg-1 to pg-2')",
                    Duration.ofSeconds(30));
            browser.await("the move done on the page (polled every 2 s)", "[...document.querySelectorAll("
                    + "'tr[data-job]')].some(r => r.dataset.phase === 'done' && r.textContent.includes('console-co/vans'))",
                    Duration.ofSeconds(180));
            browser.screenshot(shots.resolve("console-reshards.png"));
            assertThat(shardOf("console-co", "vans")).isEqualTo("pg-2");

            for (String page : List.of("shards", "lag", "orchestrations", "audit")) {
                browser.navigate(console + "#/" + page);
                browser.await("the " + page + " page", "document.getElementById('main').dataset.loaded === '"
                        + page + "'", Duration.ofSeconds(30));
                browser.screenshot(shots.resolve("console-" + page + ".png"));
            }
            assertThat(browser.text("#main")).contains("POST /v1/reshards", "POST /v1/tenants/{tenantId}/fleets");
            browser.navigate(console + "#/shards");
            browser.await("the shard map with nodes and ring shares", "document.querySelector('section[data-shard="
                    + "\"pg-1\"]') && document.getElementById('main').textContent.includes('ring share')"
                    + " && document.getElementById('map-version').textContent.startsWith('map v')"
                    + " && !document.getElementById('map-version').textContent.includes('?')", Duration.ofSeconds(30));
            assertThat(browser.text("#main")).contains("sync-replica", "eu-west-1b", "maria-2");

            // an operator's token reads the platform, and a page it may not read says so with the API's reason
            browser.evaluate("sessionStorage.setItem('fleetshard.console.token', '" + platform.token(
                    io.fleetshard.http.auth.Role.OPERATOR, null, Duration.ofMinutes(10)) + "')");
            browser.navigate(console + "#/audit");
            browser.await("the 403 shown", "!document.getElementById('error').hidden"
                    + " && document.getElementById('error').dataset.status === '403'", Duration.ofSeconds(30));
            assertThat(browser.text("#error")).contains("403 Forbidden", "GET /v1/audit", "it needs admin");
            // a token the API refuses is shown as such, not as an empty page
            browser.evaluate("sessionStorage.setItem('fleetshard.console.token', 'not-a-jwt')");
            browser.navigate(console + "#/tenants");
            // (the 403 box is still shown until the route change clears it, so wait for the 401 itself)
            browser.await("the 401 shown", "!document.getElementById('error').hidden"
                    + " && document.getElementById('error').dataset.status === '401'", Duration.ofSeconds(30));
            assertThat(browser.text("#error")).contains("401 Unauthorized", "invalid token");
            assertThat(browser.pageErrors()).as("uncaught errors in the page").isEmpty();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void movesAPostgresFleetUnderWritesAndConsumersSeeEveryWriteOnce() throws Exception {
        String source = shardOf("acme", "trucks");
        String target = List.of("pg-1", "pg-2", "pg-3").stream().filter(s -> !s.equals(source)).findFirst()
                .orElseThrow();
        String neighbour = fleetOnShard("acme", source, "trucks");
        moveUnderLoad("acme", "trucks", neighbour, source, target, "postgres");
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void movesAMariaDbFleetUnderWrites() throws Exception {
        moveUnderLoad("globex", "ships", null, "maria-1", "maria-2", "mariadb");
    }

    /**
     * The control API is replaced by another instance while the job copies (its workers interrupted mid-phase, the new
     * map writer fencing the old), and the stream processors are replaced while it catches up: the job resumes from
     * its phase in the map and ends as if nothing happened.
     */
    @Test
    @org.junit.jupiter.api.Order(3)
    void resumesAfterTheControlApiAndTheDeltaSyncAreReplacedMidJob() throws Exception {
        String source = "pg-3";
        String target = "pg-2";
        assertThat(post(control() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"big\",\"shardId\":\""
                + source + "\"}").statusCode()).isEqualTo(201);
        seedTelemetry(source, "big", 40);
        java.util.List<String> replacedIn = new java.util.ArrayList<>();
        moveUnderLoad("acme", "big", null, source, target, "postgres", (jobId, moving) -> {
            replacedIn.add(awaitPhaseAmong(jobId, Set.of("precopy", "catchup", "cutover", "validate", "cleanup", "done")));
            platform.replaceControlApi();
            replacedIn.add(awaitPhaseAmong(jobId, Set.of("catchup", "cutover", "validate", "cleanup", "done")));
            platform.replaceStreamProcessors();
        });
        assertThat(replacedIn.get(0)).as("the control API was replaced while the job copied").isEqualTo("precopy");
        Set<String> onTarget = vehicleIds(platform.adminJdbcUrl(target + "-a"), "acme", "big");
        assertThat(onTarget).hasSizeGreaterThanOrEqualTo(100);
        assertThat(count(platform.adminJdbcUrl(target + "-a"), "telemetry", "acme", "big")).isEqualTo(40_000);
        assertThat(count(platform.adminJdbcUrl(source + "-a"), "telemetry", "acme", "big")).isZero();
    }

    /** A merge moves every fleet of the shard, pinned ones included, and hands all its vnode tokens over. */
    @Test
    @org.junit.jupiter.api.Order(4)
    void mergesAShardIntoAnother() throws Exception {
        awaitStreaming("pg-3");
        awaitStreaming("pg-2");
        Map<String, Set<String>> before = new HashMap<>();
        List<String> fleets = new ArrayList<>(List.of("big"));
        DemoTopology.FLEETS.stream().filter(f -> f.tenantId().equals("acme")).forEach(f -> fleets.add(f.fleetId()));
        for (String f : fleets) {
            if (shardOf("acme", f).equals("pg-3")) {
                before.put(f, vehicleIds(platform.adminJdbcUrl("pg-3-a"), "acme", f));
            }
        }
        HttpResponse<String> planned = post(control() + "/v1/reshards",
                "{\"kind\":\"merge\",\"shard\":\"pg-3\",\"into\":\"pg-2\"}");
        assertThat(planned.statusCode()).as(planned.body()).isEqualTo(202);
        JsonNode job = awaitEnded(JSON.readTree(planned.body()).path("jobId").asText());
        assertThat(job.path("phase").asText()).as(job.toString()).isEqualTo("done");
        assertThat(job.path("fleets")).hasSize(before.size());
        for (Map.Entry<String, Set<String>> e : before.entrySet()) {
            assertThat(shardOf("acme", e.getKey())).isEqualTo("pg-2");
            assertThat(vehicleIds(platform.adminJdbcUrl("pg-2-a"), "acme", e.getKey())).containsAll(e.getValue());
            assertThat(vehicleIds(platform.adminJdbcUrl("pg-3-a"), "acme", e.getKey())).isEmpty();
        }
        JsonNode pg3 = JSON.readTree(HTTP.send(authorized(URI.create(control()
                + "/v1/shards/pg-3")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(pg3.path("vnodes").asInt()).isZero();
    }

    /**
     * A split of a MariaDB shard into itself and a shard that owns no arc yet (test 2 pinned a fleet there, so it is not
     * empty): the unpinned fleets of the source whose tokens fall into the arcs handed over move with their rows, the
     * others stay, and each fleet's rows are afterwards only on the shard the new map places it on.
     */
    @Test
    @org.junit.jupiter.api.Order(5)
    void splitsAMariaDbShardAndEveryFleetEndsWhereTheNewMapPlacesIt() throws Exception {
        String source = "maria-1";
        String target = "maria-2";
        awaitStreaming(source);
        awaitStreaming(target);
        int sourceVnodes = vnodes(source);
        int targetVnodes = vnodes(target);
        // unpinned fleets: the ring places some on the source; seed rows into those
        Map<String, Set<String>> vehicles = new HashMap<>();
        Map<String, Long> telemetry = new HashMap<>();
        for (int i = 0; i < 16; i++) {
            String fleet = "split-" + i;
            HttpResponse<String> created = post(control() + "/v1/tenants/globex/fleets", "{\"fleetId\":\"" + fleet
                    + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            if (shardOf("globex", fleet).equals(source)) {
                vehicles.put(fleet, seedMariaDbFleet(source, "globex", fleet, 40 + i, 300 + 10 * i));
                telemetry.put(fleet, (long) (300 + 10 * i));
            }
        }
        HttpResponse<String> planned = post(control() + "/v1/reshards",
                "{\"kind\":\"split\",\"shard\":\"" + source + "\",\"into\":[\"" + source + "\",\"" + target + "\"]}");
        assertThat(planned.statusCode()).as(planned.body()).isEqualTo(202);
        JsonNode job = awaitEnded(JSON.readTree(planned.body()).path("jobId").asText());
        assertThat(job.path("phase").asText()).as(job.toString()).isEqualTo("done");
        assertThat(job.path("detail").asText()).contains("row counts and checksums equal");
        Set<String> moved = new HashSet<>();
        job.path("fleets").forEach(f -> moved.add(f.asText()));
        Set<String> seededMoved = new HashSet<>(vehicles.keySet());
        seededMoved.removeIf(f -> !moved.contains("globex/" + f));
        assertThat(seededMoved).as("seeded fleets the split moved, of %s", vehicles.keySet()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(vehicles.size() - seededMoved.size()).as("seeded fleets the split left on %s, of %s", source,
                vehicles.keySet()).isGreaterThanOrEqualTo(1);
        assertThat(vnodes(source)).isEqualTo(sourceVnodes - sourceVnodes / 2);
        assertThat(vnodes(target)).isEqualTo(targetVnodes + sourceVnodes / 2);

        // every fleet is where the new map says, with all its rows, and only there
        for (String key : moved) {
            String tenant = key.substring(0, key.indexOf('/'));
            String fleet = key.substring(key.indexOf('/') + 1);
            assertThat(shardOf(tenant, fleet)).as("shard of moved fleet %s", key).isEqualTo(target);
            assertThat(vehicleIds(platform.adminJdbcUrl(source + "-a"), tenant, fleet)).as("rows of %s left on %s", key,
                    source).isEmpty();
        }
        for (Map.Entry<String, Set<String>> e : vehicles.entrySet()) {
            String fleet = e.getKey();
            String home = moved.contains("globex/" + fleet) ? target : source;
            String away = home.equals(target) ? source : target;
            assertThat(shardOf("globex", fleet)).as("shard of globex/%s", fleet).isEqualTo(home);
            assertThat(vehicleIds(platform.adminJdbcUrl(home + "-a"), "globex", fleet)).as("vehicles of globex/%s on %s",
                    fleet, home).isEqualTo(e.getValue());
            assertThat(count(platform.adminJdbcUrl(home + "-a"), "telemetry", "globex", fleet)).as(
                    "telemetry of globex/%s on %s", fleet, home).isEqualTo(telemetry.get(fleet));
            assertThat(vehicleIds(platform.adminJdbcUrl(away + "-a"), "globex", fleet)).isEmpty();
            assertThat(count(platform.adminJdbcUrl(away + "-a"), "telemetry", "globex", fleet)).isZero();
        }

        // the router follows the new tokens: a write of a moved fleet lands on the target
        String movedFleet = seededMoved.iterator().next();
        ObjectNode write = JSON.createObjectNode().put("tenantId", "globex").put("fleetId", movedFleet).put("sql",
                "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at) values (?, ?, ?, ?, ?,"
                        + " now(6))");
        write.putArray("params").add("globex").add(movedFleet).add("after-split").add("VIN-AS").add("v1");
        HttpResponse<String> routed = post(platform.routerUrl() + "/v1/query", write.toString());
        assertThat(routed.statusCode()).as(routed.body()).isEqualTo(200);
        assertThat(vehicleIds(platform.adminJdbcUrl(target + "-a"), "globex", movedFleet)).contains("after-split");
        vehicles.get(movedFleet).add("after-split");

        // consumers see each seeded row's insert once (and the routed write), no copy, apply or cleanup event
        Set<String> keys = new HashSet<>();
        vehicles.forEach((fleet, ids) -> ids.forEach(id -> keys.add(fleet + "/" + id)));
        Map<String, List<String>> events = changeEvents("globex", vehicles.keySet(), keys);
        assertThat(events.keySet()).isEqualTo(keys);
        events.forEach((key, ops) -> assertThat(ops).as("change events of globex/%s", key).containsExactly("c"));

        // the warm standbys follow: the target's holds the moved fleets, the source's only the ones that stayed
        for (Map.Entry<String, Set<String>> e : vehicles.entrySet()) {
            String home = seededMoved.contains(e.getKey()) ? target : source;
            String away = home.equals(target) ? source : target;
            Await.condition("standby of " + home + " holds globex/" + e.getKey(), Duration.ofSeconds(90),
                    () -> vehicleIds(platform.standbyAdminJdbcUrl(home), "globex", e.getKey()).equals(e.getValue()));
            Await.condition("standby of " + away + " holds none of globex/" + e.getKey(), Duration.ofSeconds(90),
                    () -> vehicleIds(platform.standbyAdminJdbcUrl(away), "globex", e.getKey()).isEmpty());
        }
    }

    /**
     * SIGKILL of the processes running a job: a control API in a child process takes the map writer over (fencing the
     * platform's) and is killed while the job copies; a second one resumes it. The delta sync runs in a child process
     * too and is killed while the job catches up; a second one resumes from the committed offsets. Writers keep
     * writing the fleet through the router all along: nothing acknowledged is lost, every write appears once.
     */
    @Test
    @org.junit.jupiter.api.Order(6)
    void survivesSigkillOfTheControlApiAndTheDeltaSyncMidJob() throws Exception {
        String source = "pg-1";
        String target = "pg-2";
        assertThat(post(control() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"killed\",\"shardId\":\"" + source
                + "\"}").statusCode()).isEqualTo(201);
        seedTelemetry(source, "killed", 40);
        Path childDir = dir.resolve("children");
        stopPlatformStreamProcessors();
        ChildProcesses.Child streams = ChildProcesses.start("streams", platform.kafkaBootstrapServers(),
                childDir.resolve("streams"));
        ChildProcesses.Child control = ChildProcesses.start("control", platform.kafkaBootstrapServers(),
                childDir.resolve("control-1"), Map.of(ControlApiConfig.AUTH_JWT_SECRET, platform.jwtSecret()));
        ChildProcesses.Child[] children = {streams, control};
        try {
            controlOverride = "http://127.0.0.1:" + control.readyArg();
            java.util.List<String> killedIn = new java.util.ArrayList<>();
            moveUnderLoad("acme", "killed", null, source, target, "postgres", (jobId, moving) -> {
                killedIn.add(awaitPhaseAmong(jobId, Set.of("precopy", "catchup", "cutover", "validate", "cleanup",
                        "done")));
                children[1].kill();
                children[1] = ChildProcesses.start("control", platform.kafkaBootstrapServers(),
                        childDir.resolve("control-2"), Map.of(ControlApiConfig.AUTH_JWT_SECRET, platform.jwtSecret()));
                controlOverride = "http://127.0.0.1:" + children[1].readyArg();
                killedIn.add(awaitPhaseAmong(jobId, Set.of("catchup", "cutover", "validate", "cleanup", "done")));
                children[0].kill();
                children[0] = ChildProcesses.start("streams", platform.kafkaBootstrapServers(),
                        childDir.resolve("streams"));
            });
            assertThat(killedIn.get(0)).as("the control API was killed while the job copied").isEqualTo("precopy");
            assertThat(count(platform.adminJdbcUrl(target + "-a"), "telemetry", "acme", "killed")).isEqualTo(40_000);
            assertThat(count(platform.adminJdbcUrl(source + "-a"), "telemetry", "acme", "killed")).isZero();
        } finally {
            for (ChildProcesses.Child c : children) {
                c.kill();
            }
        }
    }

    /**
     * SIGKILL in the phases after the copy, one job under load. The job waits in catch-up until a delta sync runs; it
     * is paused there while one starts, and the delta sync's progress row on the target is locked so that it cannot
     * apply the fence; resumed, the job cuts over, and the delta sync and the control API are killed while the cutover
     * waits for the fence. A new control API and delta sync finish the cutover; that control API is killed while it
     * validates, and the next one while it deletes the moved rows from the source. Throttles make each phase last
     * seconds, so that each kill lands in its phase.
     *
     * <p>The moving fleet's writers pause from the cutover kill until the new cutover is done, and write on through
     * validation: a control API that restarts in {@code validate} has lost the target snapshot taken at the fence, so
     * it compares the target as it is and must explain every row that differs by a write in the target's shard log
     * (ADR 0013). The other fleet's writers never pause.
     */
    @Test
    @org.junit.jupiter.api.Order(7)
    void resumesAfterSigkillInCutoverValidateAndCleanup() throws Exception {
        String source = "pg-1";
        String target = "pg-2";
        List<String> killed = new ArrayList<>();
        try (Children children = new Children(dir.resolve("matrix"), Map.of(
                ControlApiConfig.RESHARD_COPY_BATCH_ROWS, "1000",
                ControlApiConfig.RESHARD_COPY_MAX_ROWS_PER_SEC, "5000", // copy and cleanup: 2 s or more each
                ControlApiConfig.RESHARD_VALIDATE_MAX_ROWS_PER_SEC, "2500", // validation: 4 s or more
                ControlApiConfig.RESHARD_CUTOVER_MAX_LAG, "10000000", // cut over as soon as a delta sync runs
                ControlApiConfig.RESHARD_CUTOVER_TIMEOUT_MS, "600000", // and wait for the fence, however long
                // no probe first (ADR 0033): the test blocks the delta sync to be in cutover before the fence applies
                ControlApiConfig.RESHARD_CUTOVER_PROBE_MS, "0"))) {
            children.startControl(); // no delta sync yet: the job will wait for one in catch-up
            assertThat(post(control() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"matrix\",\"shardId\":\"" + source
                    + "\"}").statusCode()).isEqualTo(201);
            seedTelemetry(source, "matrix", 10);
            String neighbour = fleetOnShard("acme", source, "matrix");
            JsonNode job = moveUnderLoad("acme", "matrix", neighbour, source, target, "postgres", "done",
                    (jobId, moving) -> {
                // without a delta sync the job waits in catch-up; paused, it stays there while one starts
                try (Connection lock = cutOverWithTheDeltaSyncHeld(children, jobId, target)) {
                    assertThat(deltaProgress(target, jobId)).as("fence applied on %s when the delta sync is killed",
                            target).isZero();
                    killed.add("delta sync in " + children.killStreams(jobId));
                    killed.add("control API in " + children.killControl(jobId));
                    moving.pause(); // held writes end in 503 while the fence stands and the map is unchanged
                    lock.rollback();
                }
                children.startControl();
                assertThat(phaseOf(jobId)).as("the phase a new control API resumes").isEqualTo("cutover");
                children.startStreams();
                // the writers go on from here: the restarted validation compares the target as it is now, and
                // explains each row that differs by the application's write of it in the target's shard log
                killed.add("control API in " + children.killControlIn(jobId, "validate", moving::resume));
                killed.add("control API in " + children.killControlIn(jobId, "cleanup"));
            });
            java.util.regex.Matcher explained = java.util.regex.Pattern.compile("(\\d+) row\\(s\\) written by the"
                    + " application since the cutover differ").matcher(job.path("detail").asText());
            assertThat(explained.find()).as(job.toString()).isTrue();
            assertThat(Long.parseLong(explained.group(1))).as("rows the restarted validation explained by writes"
                    + " since the cutover").isPositive();
            assertThat(killed).containsExactly("delta sync in cutover", "control API in cutover", "control API in validate",
                    "control API in cleanup");
            assertThat(count(platform.adminJdbcUrl(target + "-a"), "telemetry", "acme", "matrix")).isEqualTo(10_000);
            assertThat(count(platform.adminJdbcUrl(source + "-a"), "telemetry", "acme", "matrix")).isZero();
        }
    }

    /**
     * Rollback after a crash: the control API is SIGKILLed while the job catches up, the next one takes over, and an
     * operator cancels the job once the delta sync has applied writes to the target. The fleet stays on the source with
     * every acknowledged write, the copied and applied rows are removed from the target, and consumers of the change
     * topic see neither the copy nor its removal.
     */
    @Test
    @org.junit.jupiter.api.Order(8)
    void rollsBackACancelledJobAfterSigkillOfTheControlApi() throws Exception {
        String source = "pg-1";
        String target = "pg-2";
        List<String> killed = new ArrayList<>();
        try (Children children = new Children(dir.resolve("rollback"), Map.of(
                ControlApiConfig.RESHARD_COPY_BATCH_ROWS, "1000",
                ControlApiConfig.RESHARD_COPY_MAX_ROWS_PER_SEC, "5000"))) {
            children.startControl();
            children.startStreams();
            assertThat(post(control() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"rolledback\",\"shardId\":\""
                    + source + "\"}").statusCode()).isEqualTo(201);
            seedTelemetry(source, "rolledback", 10);
            moveUnderLoad("acme", "rolledback", null, source, target, "postgres", "cancelled", (jobId, moving) -> {
                killed.add("delta sync in " + children.killStreams(jobId));
                assertThat(awaitPhaseAmong(jobId, Set.of("catchup", "cutover", "validate", "cleanup", "done",
                        "failed"))).isEqualTo("catchup");
                killed.add("control API in " + children.killControl(jobId));
                children.startControl();
                assertThat(phaseOf(jobId)).as("the phase a new control API resumes").isEqualTo("catchup");
                // paused, the job stays in catch-up while a delta sync starts and applies writes to the target
                assertThat(postStatus(control() + "/v1/reshards/" + jobId + "/pause")).isEqualTo(200);
                children.startStreams();
                long start = JSON.readTree(get(control() + "/v1/reshards/" + jobId)).path("startOffset").asLong();
                Await.condition("the delta sync of " + jobId + " applied writes to " + target, Duration.ofSeconds(120),
                        () -> deltaOffset(target, jobId) >= start);
                assertThat(count(platform.adminJdbcUrl(target + "-a"), "telemetry", "acme", "rolledback"))
                        .as("rows copied to the target").isEqualTo(10_000);
                assertThat(vehicleIds(platform.adminJdbcUrl(target + "-a"), "acme", "rolledback")).isNotEmpty();
                HttpResponse<String> cancelled = post(control() + "/v1/reshards/" + jobId + "/cancel", "");
                assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
            });
            assertThat(killed).containsExactly("delta sync in precopy", "control API in catchup");
            assertThat(count(platform.adminJdbcUrl(source + "-a"), "telemetry", "acme", "rolledback")).isEqualTo(10_000);
            assertThat(count(platform.adminJdbcUrl(target + "-a"), "telemetry", "acme", "rolledback")).isZero();
        }
    }

    /**
     * Lets the job (waiting in catch-up for a delta sync) start its cutover while a newly started delta sync cannot
     * apply the fence: the job is paused, the delta sync starts and writes its progress row, a transaction on the
     * target locks that row, and the job resumes into {@code cutover}. Rolling back the returned connection lets the
     * delta sync go on.
     */
    private static Connection cutOverWithTheDeltaSyncHeld(Children children, String jobId, String target)
            throws Exception {
        assertThat(awaitPhaseAmong(jobId, Set.of("catchup", "cutover", "validate", "cleanup", "done", "failed")))
                .isEqualTo("catchup");
        assertThat(postStatus(control() + "/v1/reshards/" + jobId + "/pause")).isEqualTo(200);
        children.startStreams();
        Connection lock = DriverManager.getConnection(platform.adminJdbcUrl(target + "-a"));
        try {
            Await.condition("the delta sync of " + jobId + " runs", Duration.ofSeconds(120),
                    () -> deltaProgress(target, jobId) != null);
            lock.setAutoCommit(false);
            try (PreparedStatement ps = lock.prepareStatement("select 1 from fleetshard_reshard_progress"
                    + " where job_id = ? for update")) {
                ps.setString(1, jobId);
                ps.executeQuery().close();
            }
            assertThat(postStatus(control() + "/v1/reshards/" + jobId + "/resume")).isEqualTo(200);
            assertThat(awaitPhaseAmong(jobId, Set.of("cutover", "validate", "cleanup", "done", "failed")))
                    .isEqualTo("cutover");
            return lock;
        } catch (Exception | AssertionError e) {
            lock.close();
            throw e;
        }
    }

    /** From here on the delta sync runs in child processes only (once stopped, the platform's stay stopped). */
    private static void stopPlatformStreamProcessors() {
        if (!platformStreamsStopped) {
            platform.stopStreamProcessors();
            platformStreamsStopped = true;
        }
    }

    /**
     * A cutover whose fence the delta sync does not apply in time is lifted and the job returns to catch-up while the
     * fleet's writes go on on the source; when a delta sync later applies the lifted fence's marker, the next cutover
     * must still wait until the target has the writes made after the lift (its own fence), not commit at once.
     *
     * <p>Set-up: the delta sync is blocked (its progress row locked) and SIGKILLed while the cutover waits for the
     * fence, the control API too; the next control API (with a short cutover timeout) fences again, times out, lifts
     * the fence and waits in catch-up (writes of another fleet of the source keep the lag above the cutover's limit)
     * until a new delta sync catches up from before the first fence.
     */
    @Test
    @org.junit.jupiter.api.Order(9)
    void aCutoverAfterALiftedFenceWaitsForItsOwnFence() throws Exception {
        String source = "pg-1";
        String target = "pg-2";
        Map<String, String> throttled = Map.of(ControlApiConfig.RESHARD_COPY_BATCH_ROWS, "1000",
                ControlApiConfig.RESHARD_COPY_MAX_ROWS_PER_SEC, "5000");
        try (Children children = new Children(dir.resolve("refence"), throttled)) {
            // no probe (ADR 0033) for the first cutover: the test blocks the delta sync to cut over before the fence
            // applies; the control API that takes over probes, so the second cutover follows a probe after the lift
            children.startControl(Map.of(ControlApiConfig.RESHARD_CUTOVER_MAX_LAG, "10000000",
                    ControlApiConfig.RESHARD_CUTOVER_TIMEOUT_MS, "600000", ControlApiConfig.RESHARD_CUTOVER_PROBE_MS,
                    "0"));
            for (String fleet : List.of("refenced", "refenced-nb")) {
                assertThat(post(control() + "/v1/tenants/acme/fleets", "{\"fleetId\":\"" + fleet
                        + "\",\"shardId\":\"" + source + "\"}").statusCode()).isEqualTo(201);
            }
            seedTelemetry(source, "refenced", 10);
            moveUnderLoad("acme", "refenced", "refenced-nb", source, target, "postgres", "done", (jobId, moving) -> {
                try (Connection lock = cutOverWithTheDeltaSyncHeld(children, jobId, target)) {
                    assertThat(children.killStreams(jobId)).isEqualTo("cutover"); // before it applied the fence
                    assertThat(children.killControl(jobId)).isEqualTo("cutover");
                    lock.rollback();
                }
                children.startControl(Map.of(ControlApiConfig.RESHARD_CUTOVER_MAX_LAG, "50",
                        ControlApiConfig.RESHARD_CUTOVER_TIMEOUT_MS, "3000"));
                // its cutover times out: the fence is lifted, the job waits in catch-up, writes go on on the source
                Await.condition("the cutover of " + jobId + " timed out", Duration.ofSeconds(60), () -> {
                    try {
                        return get(control() + "/v1/reshards/" + jobId).contains("did not apply through the fence");
                    } catch (Exception e) {
                        return false;
                    }
                });
                int ackedAfterLift = moving.acked.size();
                Await.condition("writes acknowledged on " + source + " after the lift", Duration.ofSeconds(30),
                        () -> moving.acked.size() >= ackedAfterLift + 100);
                assertThat(phaseOf(jobId)).isEqualTo("catchup");
                children.startStreams();
            });
        }
    }

    /**
     * Child processes of a kill test: the delta sync, and a control API that takes the map writer over and becomes the
     * one {@link #control()} talks to; whatever still runs is killed at the end.
     */
    private static final class Children implements AutoCloseable {
        private final Path dir;
        private final Map<String, String> controlSettings;
        private ChildProcesses.Child streams;
        private ChildProcesses.Child control;
        private int controls;

        Children(Path dir, Map<String, String> controlSettings) {
            this.dir = dir;
            this.controlSettings = controlSettings;
            stopPlatformStreamProcessors(); // a delta sync runs only when and where the test starts one
        }

        void startStreams() throws Exception {
            streams = ChildProcesses.start("streams", platform.kafkaBootstrapServers(), dir.resolve("streams"));
        }

        void startControl() throws Exception {
            startControl(Map.of());
        }

        /** A control API with {@code overrides} over this test's settings. */
        void startControl(Map<String, String> overrides) throws Exception {
            Map<String, String> settings = new HashMap<>(controlSettings);
            settings.putAll(overrides);
            settings.put(ControlApiConfig.AUTH_JWT_SECRET, platform.jwtSecret()); // the platform's tokens work there
            control = ChildProcesses.start("control", platform.kafkaBootstrapServers(),
                    dir.resolve("control-" + ++controls), settings);
            controlOverride = "http://127.0.0.1:" + control.readyArg();
        }

        /** SIGKILLs the delta sync; returns the job's phase just before. */
        String killStreams(String jobId) throws Exception {
            String phase = phaseOf(jobId);
            streams.kill();
            streams = null;
            return phase;
        }

        /** SIGKILLs the control API; returns the job's phase just before, as that control API had it. */
        String killControl(String jobId) throws Exception {
            String phase = phaseOf(jobId);
            control.kill();
            control = null;
            return phase;
        }

        /**
         * Once the job is in {@code phase} (or past it), runs {@code then}, SIGKILLs the control API and starts another,
         * which must find the job still in that phase; returns the phase the job was in.
         */
        String killControlIn(String jobId, String phase, Runnable... then) throws Exception {
            List<String> later = List.of("precopy", "catchup", "cutover", "validate", "cleanup", "done");
            Set<String> atOrPast = new HashSet<>(later.subList(later.indexOf(phase), later.size()));
            atOrPast.add("failed");
            awaitPhaseAmong(jobId, atOrPast);
            for (Runnable r : then) {
                r.run();
            }
            String killedIn = killControl(jobId);
            startControl();
            // the killed control API may have committed its next phase between the read and the SIGKILL (seen: cleanup
            // finished, then done): the new one must never be behind the phase read before the kill
            assertThat(phaseOf(jobId)).as("the phase a new control API resumes (killed in %s)", killedIn)
                    .isIn(later.contains(killedIn) ? later.subList(later.indexOf(killedIn), later.size())
                            : List.of(killedIn));
            return killedIn;
        }

        @Override
        public void close() throws Exception {
            if (streams != null) {
                streams.kill();
            }
            if (control != null) {
                control.kill();
            }
        }
    }

    /**
     * The delta sync's progress row of the job on the shard: the sequence number of the newest fence of the job it
     * applied (0: none yet); null when there is no row.
     */
    private static Long deltaProgress(String shard, String jobId) {
        try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-a"));
                PreparedStatement ps = c.prepareStatement("select fence_seq from fleetshard_reshard_progress where"
                        + " job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reading the delta sync's progress on " + shard + ": " + e.getMessage(), e);
        }
    }

    /** The shard-log offset the delta sync applied through on the shard; -1 when it has no progress row. */
    private static long deltaOffset(String shard, String jobId) {
        try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-a"));
                PreparedStatement ps = c.prepareStatement("select source_offset from fleetshard_reshard_progress where"
                        + " job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reading the delta sync's progress on " + shard + ": " + e.getMessage(), e);
        }
    }

    private static String phaseOf(String jobId) throws Exception {
        return JSON.readTree(get(control() + "/v1/reshards/" + jobId)).path("phase").asText();
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(authorized(URI.create(url)).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
        return r.body();
    }

    private static int postStatus(String url) throws Exception {
        HttpResponse<String> r = post(url, "");
        return r.statusCode();
    }

    private static int vnodes(String shard) throws Exception {
        return JSON.readTree(get(control() + "/v1/shards/" + shard)).path("vnodes").asInt();
    }

    /** Rows of a fleet written straight into a MariaDB primary (as an application would): the vehicle ids. */
    private static Set<String> seedMariaDbFleet(String shard, String tenant, String fleet, int vehicles,
            int telemetry) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-a"))) {
            StringBuilder v = new StringBuilder("insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status)"
                    + " values ");
            for (int i = 0; i < vehicles; i++) {
                String id = "s" + i;
                ids.add(id);
                v.append(i == 0 ? "" : ",").append("('").append(tenant).append("','").append(fleet).append("','")
                        .append(id).append("','VIN").append(i).append("','seeded')");
            }
            StringBuilder t = new StringBuilder("insert into telemetry (tenant_id, fleet_id, vehicle_id, ts, lat, lon,"
                    + " speed_kph) values ");
            for (int i = 0; i < telemetry; i++) {
                t.append(i == 0 ? "" : ",").append("('").append(tenant).append("','").append(fleet).append("','s")
                        .append(i % vehicles).append("', timestamp '2026-01-01 00:00:00' + interval ").append(i)
                        .append(" second, 48.1, 2.3, 50)");
            }
            try (java.sql.Statement st = c.createStatement()) {
                st.execute(v.toString());
                st.execute(t.toString());
            }
        }
        return ids;
    }

    private static String control() {
        String o = controlOverride;
        return o != null ? o : platform.controlUrl();
    }

    private static void seedTelemetry(String shard, String fleet, int thousands) throws Exception {
        try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-a"))) {
            c.setAutoCommit(false);
            for (int b = 0; b < thousands; b++) {
                StringBuilder sql = new StringBuilder("insert into telemetry (tenant_id, fleet_id, vehicle_id, ts, lat, lon,"
                        + " speed_kph) values ");
                for (int i = 0; i < 1000; i++) {
                    int n = b * 1000 + i;
                    sql.append(i == 0 ? "" : ",").append("('acme','").append(fleet).append("','v").append(n % 100)
                            .append("', timestamptz '2026-01-01 00:00:00+00' + interval '").append(n)
                            .append(" seconds', 48.1, 2.3, 50)");
                }
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute(sql.toString());
                }
            }
            c.commit();
        }
    }

    private static String awaitPhaseAmong(String jobId, Set<String> phases) {
        String[] seen = {null};
        Await.condition("job " + jobId + " in one of " + phases, Duration.ofSeconds(120), () -> {
            try {
                seen[0] = JSON.readTree(HTTP.send(authorized(URI.create(control()
                        + "/v1/reshards/" + jobId)).build(), HttpResponse.BodyHandlers.ofString()).body())
                        .path("phase").asText();
                return phases.contains(seen[0]);
            } catch (Exception e) {
                return false;
            }
        });
        return seen[0];
    }

    private static long count(String adminUrl, String table, String tenant, String fleet) throws Exception {
        try (Connection c = DriverManager.getConnection(adminUrl);
                PreparedStatement ps = c.prepareStatement("select count(*) from " + table + " where tenant_id = ? and"
                        + " fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Something done to the platform while a job runs; {@code moving} writes the moving fleet. */
    @FunctionalInterface
    private interface Interference {
        void during(String jobId, Writers moving) throws Exception;
    }

    private void moveUnderLoad(String tenant, String fleet, String neighbour, String source, String target,
            String engine) throws Exception {
        moveUnderLoad(tenant, fleet, neighbour, source, target, engine, "done", (jobId, moving) -> { });
    }

    private JsonNode moveUnderLoad(String tenant, String fleet, String neighbour, String source, String target,
            String engine, Interference interference) throws Exception {
        return moveUnderLoad(tenant, fleet, neighbour, source, target, engine, "done", interference);
    }

    /**
     * Moves the fleet while writers write it (and {@code neighbour}, another fleet of the source, if not null) through
     * the router, lets {@code interference} act on the job, and checks what users see once the job ended in
     * {@code expectedPhase}: {@code done} (the fleet lives on the target only) or {@code cancelled} (it stays on the
     * source, the target holds none of its rows). Either way no acknowledged write is lost, every write that reached a
     * shard is in the change topic exactly once and in order, the resharder's writes are not there at all, and the
     * warm standbys of both shards converge.
     */
    private JsonNode moveUnderLoad(String tenant, String fleet, String neighbour, String source, String target,
            String engine, String expectedPhase, Interference interference) throws Exception {
        // a move must not overlap a shard's initial snapshot: its snapshot would read the copied rows as 'r' events
        awaitStreaming(source);
        awaitStreaming(target);
        Writers movingWriters = new Writers(tenant, fleet, engine, 2);
        Writers otherWriters = neighbour == null ? null : new Writers(tenant, neighbour, engine, 1);
        movingWriters.start();
        if (otherWriters != null) {
            otherWriters.start();
        }
        Await.condition("writers got going", Duration.ofSeconds(30), () -> movingWriters.acked.size() >= 20);

        HttpResponse<String> planned = post(control() + "/v1/reshards",
                "{\"kind\":\"move\",\"fleet\":\"" + tenant + "/" + fleet + "\",\"to\":\"" + target + "\"}");
        assertThat(planned.statusCode()).as(planned.body()).isEqualTo(202);
        String jobId = JSON.readTree(planned.body()).path("jobId").asText();
        interference.during(jobId, movingWriters);
        movingWriters.resume(); // if the interference paused them
        JsonNode job = awaitEnded(jobId);
        int ackedAtEnd = movingWriters.acked.size();
        Await.condition("writes of the fleet continue after the job", Duration.ofSeconds(30),
                () -> movingWriters.acked.size() >= ackedAtEnd + 20);
        movingWriters.stop();
        if (otherWriters != null) {
            otherWriters.stop();
        }

        boolean moved = expectedPhase.equals("done");
        String home = moved ? target : source; // where the fleet's rows must be now
        String away = moved ? source : target;
        assertThat(job.path("phase").asText()).as(job.toString()).isEqualTo(expectedPhase);
        if (moved) {
            assertThat(job.path("detail").asText()).contains("row counts and checksums equal");
            assertThat(job.path("progress").path("writeFreezeMs").asLong()).isGreaterThanOrEqualTo(0);
        } else {
            assertThat(job.path("detail").asText()).contains("copied row(s) removed from " + target);
        }
        assertThat(shardOf(tenant, fleet)).isEqualTo(home);
        if (otherWriters != null) {
            assertThat(otherWriters.failures).as("writes of another fleet of the source never fail").isEmpty();
        }

        // nothing acknowledged is lost, and the rows are on one shard only
        Set<String> onHome = vehicleIds(platform.adminJdbcUrl(home + "-a"), tenant, fleet);
        Set<String> onAway = vehicleIds(platform.adminJdbcUrl(away + "-a"), tenant, fleet);
        assertThat(onHome).containsAll(movingWriters.acked.keySet());
        assertThat(onAway).as(moved ? "moved rows deleted from the source" : "copied rows removed from the target")
                .isEmpty();
        Map<String, String> statuses = statuses(platform.adminJdbcUrl(home + "-a"), tenant, fleet);
        movingWriters.acked.forEach((id, writes) -> {
            if (writes == 2) {
                assertThat(statuses.get(id)).as("status of %s/%s/%s", tenant, fleet, id).isEqualTo("v2");
            }
        });

        // every application write once, in order; none of the resharder's writes
        Map<String, List<String>> events = changeEvents(tenant, fleet, onHome);
        for (String id : movingWriters.acked.keySet()) {
            List<String> ops = events.getOrDefault(id, List.of());
            if (movingWriters.acked.get(id) == 2) {
                assertThat(ops).as("change events of %s/%s/%s", tenant, fleet, id).containsExactly("c", "u");
            } else { // the update's answer was lost or refused: it may have been written or not
                assertThat(ops.toString()).as("change events of %s/%s/%s", tenant, fleet, id).isIn("[c]", "[c, u]");
            }
        }
        boolean demoFleet = DemoTopology.FLEETS.stream().anyMatch(f -> f.fleetId().equals(fleet));
        for (int i = 1; demoFleet && i <= DemoTopology.VEHICLES_PER_FLEET; i++) {
            assertThat(events.get(fleet + "-" + i)).as("demo vehicle %s-%d: its snapshot read only, no copy or"
                    + " cleanup event", fleet, i).containsExactly("r");
        }
        assertThat(events.keySet()).as("vehicles of %s/%s without a change event", tenant, fleet).containsAll(onHome);
        for (Map.Entry<String, List<String>> e : events.entrySet()) {
            // a write that reached a shard, acknowledged or not, is still there, and appears once
            assertThat(onHome).as("vehicle %s/%s/%s has change events %s", tenant, fleet, e.getKey(), e.getValue())
                    .contains(e.getKey());
            assertThat(e.getValue().toString()).as("change events of %s/%s/%s", tenant, fleet, e.getKey())
                    .isIn("[c]", "[c, u]", "[r]");
        }

        // the warm standbys of both shards converge: only the fleet's shard's holds it
        Await.condition("standby of " + home + " holds the fleet", Duration.ofSeconds(90),
                () -> vehicleIds(platform.standbyAdminJdbcUrl(home), tenant, fleet).equals(onHome));
        Await.condition("standby of " + away + " holds none of the fleet", Duration.ofSeconds(90),
                () -> vehicleIds(platform.standbyAdminJdbcUrl(away), tenant, fleet).isEmpty());
        return job;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Waits until capture streams the shard: a probe row written on its primary arrives as a 'c' event (a row written
     * while the initial snapshot runs arrives as 'r', so every attempt writes a new one).
     */
    private static void awaitStreaming(String shardId) {
        String probeFleet = "probe-" + shardId;
        Await.condition("capture of " + shardId + " streams", Duration.ofSeconds(120), () -> {
            try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(shardId + "-a"));
                    PreparedStatement ps = c.prepareStatement("insert into vehicles (tenant_id, fleet_id, vehicle_id,"
                            + " status) values ('probe', ?, ?, 'probe')")) {
                ps.setString(1, probeFleet);
                ps.setString(2, "p-" + System.nanoTime());
                ps.executeUpdate();
                return changeEvents("probe", probeFleet, Set.of()).values().stream().anyMatch(ops -> ops.contains("c"));
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * Writers of one fleet through the router: insert a new vehicle, then update it; acked: id -> writes acked. They
     * can be paused: {@link #pause} returns once no write is in flight.
     */
    private static final class Writers {
        final Map<String, Integer> acked = new ConcurrentHashMap<>();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final Object gate = new Object();
        private boolean paused; // guarded by gate
        private int writing; // guarded by gate: threads between their turn's start and end

        Writers(String tenant, String fleet, String engine, int n) {
            String upsert = engine.equals("postgres")
                    ? "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at) values (?, ?, ?, ?, ?,"
                            + " now()) on conflict (tenant_id, fleet_id, vehicle_id) do update set status = excluded.status"
                    : "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at) values (?, ?, ?, ?, ?,"
                            + " now(6)) on duplicate key update status = values(status)";
            for (int t = 0; t < n; t++) {
                String prefix = "w" + t + "-";
                threads.add(new Thread(() -> {
                    for (int i = 0; takeTurn(); i++) {
                        try {
                            String id = prefix + i;
                            if (write(tenant, fleet, upsert, id, "v1")) {
                                acked.put(id, 1);
                                if (write(tenant, fleet, upsert, id, "v2")) {
                                    acked.put(id, 2);
                                }
                            }
                        } finally {
                            endTurn();
                        }
                    }
                }, "writer-" + fleet + "-" + t));
            }
        }

        private boolean write(String tenant, String fleet, String sql, String id, String status) {
            ObjectNode body = JSON.createObjectNode().put("tenantId", tenant).put("fleetId", fleet).put("sql", sql);
            body.putArray("params").add(tenant).add(fleet).add(id).add("VIN" + id).add(status);
            try {
                HttpResponse<String> r = post(platform.routerUrl() + "/v1/query", body.toString());
                if (r.statusCode() == 200) {
                    return true;
                }
                failures.add(r.statusCode() + " " + r.body());
            } catch (Exception e) {
                failures.add(e.toString());
            }
            return false;
        }

        /** Waits while paused; false once stopped. */
        private boolean takeTurn() {
            synchronized (gate) {
                while (paused && running.get()) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                if (!running.get()) {
                    return false;
                }
                writing++;
                return true;
            }
        }

        private void endTurn() {
            synchronized (gate) {
                writing--;
                gate.notifyAll();
            }
        }

        void start() {
            threads.forEach(Thread::start);
        }

        /** No new write starts until {@link #resume}; returns once the writes in flight have their answers. */
        void pause() throws InterruptedException {
            synchronized (gate) {
                paused = true;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (writing > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException(writing + " writer(s) still waiting for an answer after 60 s");
                    }
                    gate.wait(Math.max(1, left / 1_000_000));
                }
            }
        }

        void resume() {
            synchronized (gate) {
                paused = false;
                gate.notifyAll();
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            resume();
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }

    private static JsonNode awaitEnded(String jobId) throws Exception {
        JsonNode[] last = new JsonNode[1];
        Await.condition("reshard job " + jobId + " ends", Duration.ofSeconds(180), () -> {
            try {
                last[0] = JSON.readTree(HTTP.send(authorized(URI.create(control()
                        + "/v1/reshards/" + jobId)).build(), HttpResponse.BodyHandlers.ofString()).body());
                return Set.of("done", "failed", "cancelled").contains(last[0].path("phase").asText());
            } catch (Exception e) {
                return false;
            }
        });
        return last[0];
    }

    private static String shardOf(String tenant, String fleet) throws Exception {
        HttpResponse<String> r = HTTP.send(authorized(URI.create(control() + "/v1/tenants/"
                + tenant + "/fleets/" + fleet)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("shardId").asText();
    }

    /** A demo fleet of the tenant on {@code shard} other than {@code not}, or null. */
    private static String fleetOnShard(String tenant, String shard, String not) throws Exception {
        for (DemoTopology.DemoFleet f : DemoTopology.FLEETS) {
            if (f.tenantId().equals(tenant) && !f.fleetId().equals(not) && shardOf(tenant, f.fleetId()).equals(shard)) {
                return f.fleetId();
            }
        }
        return null;
    }

    private static HttpResponse<String> post(String url, String json) throws Exception {
        return HTTP.send(authorized(URI.create(url)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> vehicleIds(String adminUrl, String tenant, String fleet) {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection(adminUrl);
                PreparedStatement ps = c.prepareStatement("select vehicle_id from vehicles where tenant_id = ? and"
                        + " fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("reading " + adminUrl + ": " + e.getMessage(), e);
        }
        return ids;
    }

    /** The fleet's vehicles on a node: vehicle id -> status. */
    private static Map<String, String> statuses(String adminUrl, String tenant, String fleet) throws Exception {
        return FleetRows.vehicleStatuses(adminUrl, tenant, fleet);
    }

    /**
     * The fleet's events in {@code fleetshard.cdc.vehicles}, read_committed from the beginning until every vehicle in
     * {@code ids} has an event and the consumer has reached the end offsets seen then: vehicle id -> ops in
     * partition order.
     */
    private static Map<String, List<String>> changeEvents(String tenant, String fleet, Set<String> ids)
            throws Exception {
        Set<String> keys = new HashSet<>();
        ids.forEach(id -> keys.add(fleet + "/" + id));
        Map<String, List<String>> byId = new HashMap<>();
        changeEvents(tenant, Set.of(fleet), keys).forEach((key, ops) -> byId.put(key.substring(fleet.length() + 1),
                ops));
        return byId;
    }

    /**
     * Like {@link #changeEvents(String, String, Set)} for several fleets of a tenant: {@code fleet/vehicle id} -> ops,
     * read until every key in {@code keys} has an event.
     */
    private static Map<String, List<String>> changeEvents(String tenant, Set<String> fleets, Set<String> keys)
            throws Exception {
        return ChangeTopicEvents.read(platform.kafkaBootstrapServers(), tenant, fleets, keys, Duration.ofSeconds(90));
    }
}
