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
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failover on the dev platform (issue 9, ADR 0015), as applications see it: writers write a fleet of pg-1 through the
 * router, pg-1's primary server is SIGKILLed, and the control API's health monitor and failover orchestrator promote
 * the synchronous replica. Writes resume on it; no acknowledged write is lost; every write appears in
 * {@code fleetshard.cdc.vehicles} exactly once (change capture goes on from the promoted replica's copy of its slot);
 * the warm standby of pg-1, fed from the archive, converges.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String TENANT = "acme";
    private static final String FLEET = "failover";
    private static final String SWITCHED_FLEET = "switchover";
    private static DevPlatform platform;

    /** A request with an admin token of the platform (ADR 0018). */
    private static HttpRequest.Builder authorized(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + platform.adminToken());
    }

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "failover-it");
        platform = new DevPlatform(new DevOptions(dir.resolve("dev"), true, 0, 0));
        platform.start();
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    @Order(1)
    void aKilledPrimaryIsReplacedByItsSyncReplicaWithNoWriteLostAndEveryChangeOnce() throws Exception {
        Writers writers = writingTo(FLEET, "pg-1", true);
        long killedAt = System.currentTimeMillis();
        platform.killPostgres("pg-1-a");
        writers.ackedSince(killedAt); // from here on, acknowledgements are timed against the kill

        JsonNode o = awaitOrchestration();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("fromNodeId").asText()).isEqualTo("pg-1-a");
        assertThat(o.path("toNodeId").asText()).isEqualTo("pg-1-b");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("detect", "declare", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(2).path("detail").asText()).as("capture's slot on the promoted replica")
                .contains("kept");
        Await.condition("writes resume after the failover", Duration.ofSeconds(60),
                () -> writers.firstAckAfterKill.get() > 0 && writers.acked.size() >= 40);
        long rtoMs = writers.firstAckAfterKill.get() - killedAt;
        int ackedAtEnd = writers.acked.size();
        Await.condition("writes go on", Duration.ofSeconds(30), () -> writers.acked.size() >= ackedAtEnd + 20);
        writers.stop();
        System.out.printf("failover: first acknowledged write %d ms after the kill; orchestration %d ms%n", rtoMs,
                o.path("durationMs").asLong());
        List<String> refused = new ArrayList<>(writers.refusedAfterKill);
        for (int i = 0; i < refused.size(); i += Math.max(1, refused.size() / 25)) {
            System.out.println("failover: refused at " + refused.get(i));
        }

        JsonNode shard = JSON.readTree(get(platform.controlUrl() + "/v1/shards/pg-1"));
        assertThat(shard.toString()).contains("\"epoch\":1");
        Map<String, String> roles = new HashMap<>();
        shard.path("nodes").forEach(n -> roles.put(n.path("nodeId").asText(), n.path("role").asText()));
        assertThat(roles).containsEntry("pg-1-b", "primary").containsEntry("pg-1-a", "fenced");

        // no acknowledged write lost: each is on the promoted replica, with its last acknowledged status
        Map<String, String> onNewPrimary = statuses(platform.adminJdbcUrl("pg-1-b"), FLEET);
        assertThat(onNewPrimary.keySet()).containsAll(writers.acked.keySet());
        writers.acked.forEach((id, writes) -> {
            if (writes == 2) {
                assertThat(onNewPrimary.get(id)).as("status of %s", id).isEqualTo("v2");
            }
        });

        // every write that reached the database appears in the change topic exactly once, in order
        Map<String, List<String>> events = changeEvents(FLEET, onNewPrimary.keySet());
        assertThat(events.keySet()).containsAll(onNewPrimary.keySet());
        events.forEach((id, ops) -> {
            assertThat(onNewPrimary).as("vehicle %s has change events %s", id, ops).containsKey(id);
            assertThat(ops.toString()).as("change events of %s", id).isIn("[c]", "[c, u]");
            assertThat(ops).as("events of %s match its row", id).hasSize("v2".equals(onNewPrimary.get(id)) ? 2 : 1);
        });

        // the archive's chain goes on: the warm standby of pg-1 converges
        Await.condition("warm standby of pg-1 holds every row", Duration.ofSeconds(90),
                () -> quietly(() -> statuses(platform.standbyAdminJdbcUrl("pg-1"), FLEET).equals(onNewPrimary)));

        failBackUnderWrites();
    }

    /**
     * After the failover above: a failback of pg-1 under routed writes. The dev platform rebuilds the killed pg-1-a
     * as a synchronous replica of pg-1-b on its old port, it rejoins the shard, and a switchover makes it the primary
     * again: the writes pause, none fails, none is lost, change events go on exactly once.
     */
    private void failBackUnderWrites() throws Exception {
        String fleet = FLEET + "-back";
        Writers writers = writingTo(fleet, "pg-1", false); // pg-1 has no replica until the failback rebuilds one
        JsonNode o = runToEnd("failback", "/v1/shards/pg-1/failback", Duration.ofSeconds(120));
        assertThat(o.path("toNodeId").asText()).isEqualTo("pg-1-a");
        assertThat(o.path("steps").get(1).path("detail").asText()).as("the rejoin step")
                .contains("rebuilt pg-1-a").contains("sync-replica");
        writesWentOnWithoutFailing("failback", o, writers);

        JsonNode shard = JSON.readTree(get(platform.controlUrl() + "/v1/shards/pg-1"));
        assertThat(shard.toString()).contains("\"epoch\":2");
        Map<String, String> roles = new HashMap<>();
        shard.path("nodes").forEach(n -> roles.put(n.path("nodeId").asText(), n.path("role").asText()));
        assertThat(roles).containsEntry("pg-1-a", "primary").containsEntry("pg-1-b", "fenced");

        eachAckedWriteOnceOn("pg-1-a", fleet, writers);
    }

    /**
     * Adds {@code fleet} on {@code shard}, when {@code replicaCopy} waits until capture streams the shard from
     * {@code <shard>-a} and its slot has a lasting copy on the replica {@code <shard>-b}, and starts two writers of the
     * fleet through the router.
     */
    private static Writers writingTo(String fleet, String shard, boolean replicaCopy) throws Exception {
        HttpResponse<String> created = post(platform.controlUrl() + "/v1/tenants/" + TENANT + "/fleets",
                "{\"fleetId\":\"" + fleet + "\",\"shardId\":\"" + shard + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        if (replicaCopy) {
            awaitStreaming(shard);
            awaitLastingSlotCopy(shard);
        }
        Writers writers = new Writers(fleet, 2);
        writers.start();
        Await.condition("writers of " + fleet + " got going", Duration.ofSeconds(30), () -> writers.acked.size() >= 20);
        return writers;
    }

    /**
     * Adds {@code fleet} on maria-1, waits until capture streams the shard from {@code primary}, and starts two upserting
     * writers of the fleet through the router.
     */
    private static Writers writingToMariaDb(String fleet, String primary) throws Exception {
        HttpResponse<String> created = post(platform.controlUrl() + "/v1/tenants/" + TENANT + "/fleets",
                "{\"fleetId\":\"" + fleet + "\",\"shardId\":\"maria-1\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        awaitStreaming("maria-1", primary);
        Writers writers = new Writers(fleet, 2, Writers.MARIADB_UPSERT);
        writers.start();
        Await.condition("writers of " + fleet + " got going", Duration.ofSeconds(30), () -> writers.acked.size() >= 20);
        return writers;
    }

    /** Asks for an orchestration ({@code POST path}) and waits until it ends; it must end done. */
    private static JsonNode runToEnd(String what, String path, Duration timeout) throws Exception {
        return runToEnd(what, path, "{\"reason\":\"FailoverIT\"}", timeout);
    }

    /** As above, with the request body {@code body}. */
    private static JsonNode runToEnd(String what, String path, String body, Duration timeout) throws Exception {
        HttpResponse<String> started = post(platform.controlUrl() + path, body);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = JSON.readTree(started.body()).path("orchestrationId").asText();
        JsonNode o = awaitEnded(what, id, timeout);
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        return o;
    }

    private static JsonNode awaitEnded(String what, String id, Duration timeout) {
        return awaitEnded(what, platform.controlUrl(), id, timeout);
    }

    private static JsonNode awaitEnded(String what, String controlUrl, String id, Duration timeout) {
        JsonNode[] o = new JsonNode[1];
        Await.condition("the " + what + " ends", timeout, () -> quietly(() -> {
            o[0] = JSON.readTree(get(controlUrl + "/v1/orchestrations/" + id));
            return !o[0].path("state").asText().equals("running");
        }));
        return o[0];
    }

    /** After an orchestration {@code o}: writes go on, then stop; none failed (they were held, not refused). */
    private static void writesWentOnWithoutFailing(String what, JsonNode o, Writers writers) throws Exception {
        int ackedAtEnd = writers.acked.size();
        Await.condition("writes go on after the " + what, Duration.ofSeconds(30),
                () -> writers.acked.size() >= ackedAtEnd + 20);
        writers.stop();
        System.out.printf("%s: %d ms, longest write %d ms%n", what, o.path("durationMs").asLong(),
                writers.longestMs.get());
        assertThat(writers.failures).as("writes during a %s pause, they do not fail", what).isEmpty();
    }

    /** Every acknowledged write is on {@code nodeId} with its last status, and in the change topic exactly once. */
    private static void eachAckedWriteOnceOn(String nodeId, String fleet, Writers writers) throws Exception {
        Map<String, String> onPrimary = statuses(platform.adminJdbcUrl(nodeId), fleet);
        assertThat(onPrimary.keySet()).containsAll(writers.acked.keySet());
        writers.acked.forEach((vid, writes) -> assertThat(onPrimary.get(vid)).as("status of %s", vid)
                .isEqualTo(writes == 2 ? "v2" : "v1"));
        Map<String, List<String>> events = changeEvents(fleet, onPrimary.keySet());
        assertThat(events.keySet()).containsExactlyInAnyOrderElementsOf(onPrimary.keySet());
        events.forEach((vid, ops) -> assertThat(ops).as("events of %s", vid)
                .isEqualTo("v2".equals(onPrimary.get(vid)) ? List.of("c", "u") : List.of("c")));
    }

    /**
     * A planned switchover of pg-2 to its synchronous replica under routed writes: the writes pause (the router holds
     * them while the primary is frozen and follows the map to the new primary) and none fails; none is lost; change
     * events go on exactly once.
     */
    @Test
    @Order(2)
    void aSwitchoverPausesWritesWithoutFailingOrLosingAny() throws Exception {
        Writers writers = writingTo(SWITCHED_FLEET, "pg-2", true);
        JsonNode o = runToEnd("switchover", "/v1/shards/pg-2/switchover", Duration.ofSeconds(60));
        assertThat(o.path("toNodeId").asText()).isEqualTo("pg-2-b");
        writesWentOnWithoutFailing("switchover", o, writers);
        eachAckedWriteOnceOn("pg-2-b", SWITCHED_FLEET, writers);
    }

    /**
     * The control API in charge is killed (SIGKILL) in the middle of a switchover of pg-3 (the target's replay is
     * paused, so the orchestration waits in catch-up): it runs in a child process that took the map writer over, and
     * a control API started after the kill resumes the switchover from its stored steps and finishes it; no
     * acknowledged write is lost and the old primary is not left frozen with no new one. The platform's own control
     * API takes the map writer back afterwards.
     */
    @Test
    @Order(3)
    void anotherControlApiResumesASwitchoverAfterASigkillMidway() throws Exception {
        String fleet = "resumed";
        Writers writers = writingTo(fleet, "pg-3", true);
        Path children = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "failover-children");
        Map<String, String> settings = Map.of(ControlApiConfig.AUTH_JWT_SECRET, platform.jwtSecret(),
                ControlApiConfig.PROBE_TIMEOUT_MS, "800", ControlApiConfig.PROBE_INTERVAL_MS, "1000");
        ChildProcesses.Child first = ChildProcesses.start("control-failover", platform.kafkaBootstrapServers(),
                children.resolve("control-1"), settings);
        ChildProcesses.Child second = null;
        try (Connection replica = DriverManager.getConnection(platform.adminJdbcUrl("pg-3-b"));
                Statement st = replica.createStatement()) {
            st.execute("SELECT pg_wal_replay_pause()");
            String firstUrl = "http://127.0.0.1:" + first.readyArg();
            HttpResponse<String> started = post(firstUrl + "/v1/shards/pg-3/switchover", "");
            assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
            String id = JSON.readTree(started.body()).path("orchestrationId").asText();
            Await.condition("the switchover waits in catch-up", Duration.ofSeconds(30), () -> quietly(() ->
                    JSON.readTree(get(firstUrl + "/v1/orchestrations/" + id)).path("nextStep").asText()
                            .equals("catch-up")));
            first.kill(); // SIGKILL: the instance driving it dies mid-step
            // replay goes on before the second instance starts: the step's 30 s deadline runs from its start, and a
            // JVM's start on a loaded box (a CI run failed so, 2026-12-07) must not use it up. Nothing drives the
            // orchestration meanwhile, so the second instance still has to take it over from catch-up.
            st.execute("SELECT pg_wal_replay_resume()");
            second = ChildProcesses.start("control-failover", platform.kafkaBootstrapServers(),
                    children.resolve("control-2"), settings);
            JsonNode o = awaitEnded("resumed switchover", "http://127.0.0.1:" + second.readyArg(), id,
                    Duration.ofSeconds(60));
            assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
            assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                    .containsExactly("prepare", "freeze", "catch-up", "promote", "update-map", "verify");
        } finally {
            first.kill();
            if (second != null) {
                second.kill();
            }
            platform.replaceControlApi(); // the platform's control API writes the map again, for the other tests
        }
        int ackedAtEnd = writers.acked.size();
        Await.condition("writes go on", Duration.ofSeconds(30), () -> writers.acked.size() >= ackedAtEnd + 20);
        writers.stop();
        Map<String, String> onNewPrimary = statuses(platform.adminJdbcUrl("pg-3-b"), fleet);
        assertThat(onNewPrimary.keySet()).containsAll(writers.acked.keySet());
        Map<String, List<String>> events = changeEvents(fleet, onNewPrimary.keySet());
        assertThat(events.keySet()).containsExactlyInAnyOrderElementsOf(onNewPrimary.keySet());
        events.forEach((vid, ops) -> assertThat(ops.toString()).as("events of %s", vid).isIn("[c]", "[c, u]"));
    }

    /**
     * Disaster recovery, last (it takes pg-2 over for good): both servers of pg-2 in its region are SIGKILLed after
     * routed writes the archive already holds; the operator promotes pg-2's warm standby. The standby (fed only from
     * S3) becomes the primary with every acknowledged write, the routers write to it, and change capture starts over
     * on it: a write made after the promotion reaches the change topic.
     */
    @Test
    @Order(4)
    void theWarmStandbyBecomesThePrimaryWhenTheShardsRegionIsLost() throws Exception {
        String fleet = "recovered";
        Writers before = writingTo(fleet, "pg-2", false);
        before.stop();
        Map<String, Integer> acked = new HashMap<>(before.acked);
        String standbyUrl = awaitStandbyHolds("pg-2", fleet, acked);

        platform.killPostgres("pg-2-a");
        platform.killPostgres("pg-2-b");
        JsonNode o = promoteStandby("pg-2", "FailoverIT: region lost");
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "catch-up", "promote", "capture-reset", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("applied the archive's newest manifest");
        JsonNode shard = JSON.readTree(get(platform.controlUrl() + "/v1/shards/pg-2"));
        assertThat(shard.toString()).contains("pg-2-dr");

        Writers after = new Writers(fleet, 1);
        after.start();
        Await.condition("routed writes go to the promoted standby", Duration.ofSeconds(60),
                () -> after.acked.size() >= 5);
        after.stop();
        Map<String, String> onStandby = statuses(standbyUrl, fleet);
        assertThat(onStandby.keySet()).as("no acknowledged write lost").containsAll(acked.keySet())
                .containsAll(after.acked.keySet());
        Map<String, List<String>> events = changeEvents(fleet, after.acked.keySet());
        assertThat(events.keySet()).as("capture streams the new primary").containsAll(after.acked.keySet());
        // the new primary's changes reach the archive; its former applier finds it promoted and never writes it
        Await.condition("pg-2's standby applier stops for good", Duration.ofSeconds(60),
                () -> platform.standbyAppliers().get("pg-2").state() == io.fleetshard.standby.ApplierState.PROMOTED);
    }

    /**
     * A planned switchover of the MariaDB shard (ADR 0024) under routed writes: the writes pause (the frozen primary's
     * read-only refusal is retried by the router) and none fails; none is lost; change events go on exactly once; the
     * old primary follows the new one as its semi-synchronous replica (the kill test below promotes it back).
     */
    @Test
    @Order(5)
    void aMariaDbSwitchoverPausesWritesWithoutFailingAndKeepsTheOldPrimaryAsSemiSyncReplica() throws Exception {
        String fleet = "maria-switchover";
        Writers writers = writingToMariaDb(fleet, "maria-1-a");
        JsonNode o = runToEnd("mariadb switchover", "/v1/shards/maria-1/switchover", Duration.ofSeconds(60));
        assertThat(o.path("toNodeId").asText()).isEqualTo("maria-1-b");
        o.path("steps").forEach(s -> System.out.println("mariadb switchover: " + s.path("step").asText() + " "
                + s.path("durationMs").asLong() + " ms: " + s.path("detail").asText()));
        writesWentOnWithoutFailing("mariadb switchover", o, writers);
        assertThat(roles("maria-1")).containsEntry("maria-1-b", "primary").containsEntry("maria-1-a", "sync-replica");
        eachAckedWriteOnceOn("maria-1-b", fleet, writers);
    }

    private static Map<String, String> roles(String shardId) throws Exception {
        JsonNode shard = JSON.readTree(get(platform.controlUrl() + "/v1/shards/" + shardId));
        Map<String, String> roles = new HashMap<>();
        shard.path("nodes").forEach(n -> roles.put(n.path("nodeId").asText(), n.path("role").asText()));
        return roles;
    }

    /**
     * The MariaDB shard (ADR 0024): maria-1's primary is SIGKILLed under routed writes; the health monitor and the
     * orchestrator promote its semi-synchronous GTID replica. Writes resume on it; no acknowledged write is lost;
     * every write appears in {@code fleetshard.cdc.vehicles} exactly once (capture goes on from its GTID on the
     * promoted replica, which logged the primary's transactions with their GTIDs). After the switchover above the
     * primary is maria-1-b and its replica maria-1-a; run alone, the other way round.
     */
    @Test
    @Order(6)
    void aKilledMariaDbPrimaryIsReplacedByItsSemiSyncReplicaWithNoWriteLostAndEveryChangeOnce() throws Exception {
        String fleet = "maria-failover";
        Map<String, String> before = roles("maria-1");
        String primary = before.get("maria-1-a").equals("primary") ? "maria-1-a" : "maria-1-b";
        String replica = primary.equals("maria-1-a") ? "maria-1-b" : "maria-1-a";
        assertThat(before).containsEntry(primary, "primary").containsEntry(replica, "sync-replica");
        Writers writers = writingToMariaDb(fleet, primary);
        long killedAt = System.currentTimeMillis();
        platform.killMariaDb(primary);
        writers.ackedSince(killedAt);

        JsonNode o = awaitOrchestration("maria-1", "fo-");
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("fromNodeId").asText()).isEqualTo(primary);
        assertThat(o.path("toNodeId").asText()).isEqualTo(replica);
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("detect", "declare", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("semi-synchronous replica")
                .as("the monitor read the primary's Rpl_semi_sync_master_status")
                .contains("semi-sync was on at the primary's last successful probe");
        Await.condition("writes resume after the failover", Duration.ofSeconds(60),
                () -> writers.firstAckAfterKill.get() > 0);
        long rtoMs = writers.firstAckAfterKill.get() - killedAt;
        int ackedAtEnd = writers.acked.size();
        Await.condition("writes go on", Duration.ofSeconds(30), () -> writers.acked.size() >= ackedAtEnd + 20);
        writers.stop();
        System.out.printf("mariadb failover: first acknowledged write %d ms after the kill; orchestration %d ms;"
                + " %d vehicles acknowledged%n", rtoMs, o.path("durationMs").asLong(), writers.acked.size());
        o.path("steps").forEach(s -> System.out.println("mariadb failover: " + s.path("step").asText() + " "
                + s.path("durationMs").asLong() + " ms: " + s.path("detail").asText()));

        assertThat(roles("maria-1")).containsEntry(replica, "primary").containsEntry(primary, "fenced");

        // no acknowledged write lost; a write not acknowledged (the kill cut its answer) may be there too
        Map<String, String> onNewPrimary = statuses(platform.adminJdbcUrl(replica), fleet);
        assertThat(onNewPrimary.keySet()).containsAll(writers.acked.keySet());
        writers.acked.forEach((id, writes) -> {
            if (writes == 2) {
                assertThat(onNewPrimary.get(id)).as("status of %s", id).isEqualTo("v2");
            }
        });
        // every row's changes exactly once; a change of a transaction the promoted replica does not hold (the killed
        // primary wrote it, capture published it, the replica never received it) is followed by its retraction
        // (ADR 0029), and such a transaction was never acknowledged
        Map<String, List<String>> events = changeEvents(fleet, onNewPrimary.keySet());
        Map<String, List<String>> net = new HashMap<>();
        List<String> retracted = new ArrayList<>();
        events.forEach((id, ops) -> {
            List<String> kept = new ArrayList<>();
            for (String op : ops) {
                if (op.endsWith(ChangeTopicEvents.RETRACTION)) {
                    assertThat(kept).as("events of %s: a retraction follows the change it undoes", id).isNotEmpty();
                    String undone = kept.remove(kept.size() - 1);
                    assertThat(op).as("events of %s", id).isEqualTo(("c".equals(undone) ? "d" : "u")
                            + ChangeTopicEvents.RETRACTION);
                    assertThat(writers.acked.getOrDefault(id, 0)).as("acknowledged writes of %s, whose %s was"
                            + " retracted", id, undone).isLessThan("c".equals(undone) ? 1 : 2);
                    retracted.add(id + ":" + undone);
                } else {
                    kept.add(op);
                }
            }
            if (!kept.isEmpty()) {
                net.put(id, kept);
            }
        });
        System.out.printf("mariadb failover: %d change(s) of lost transactions retracted %s; verify: %s%n",
                retracted.size(), retracted, o.path("steps").get(4).path("detail").asText());
        assertThat(net.keySet()).containsExactlyInAnyOrderElementsOf(onNewPrimary.keySet());
        net.forEach((id, ops) -> assertThat(ops).as("events of %s", id)
                .isEqualTo("v2".equals(onNewPrimary.get(id)) ? List.of("c", "u") : List.of("c")));
        assertThat(o.path("steps").get(4).path("detail").asText()).containsAnyOf("lost transactions:",
                "change capture published no transaction");
    }

    /**
     * After the MariaDB kill above (ADR 0032): the killed node comes back on its data, not rebuilt, holding a
     * transaction the new primary never had; a rejoin is refused with a 409 naming that errant GTID, and nothing is
     * re-pointed. Killed again, it is rebuilt by the dev node agent from the new primary and rejoins as its
     * semi-synchronous replica, and a failback switches back to it, under routed writes: none fails, none is lost,
     * change events go on exactly once, and the node it failed back from follows it as its sync-replica.
     */
    @Test
    @Order(7)
    void aFailedMariaDbPrimaryRefusedWithErrantGtidsIsRebuiltRejoinsAndIsFailedBackToUnderWrites() throws Exception {
        Map<String, String> before = roles("maria-1");
        String primary = before.get("maria-1-a").equals("primary") ? "maria-1-a" : "maria-1-b";
        String failed = primary.equals("maria-1-a") ? "maria-1-b" : "maria-1-a";
        assertThat(before).as("after the kill test").containsEntry(primary, "primary").containsEntry(failed, "fenced");

        platform.restartMariaDb(failed);
        String errantGtid;
        try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(failed));
                Statement st = c.createStatement()) {
            st.executeUpdate("insert into vehicles (tenant_id, fleet_id, vehicle_id, status) values ('probe', 'probe',"
                    + " 'errant-" + System.nanoTime() + "', 'errant')");
            try (ResultSet rs = st.executeQuery("SELECT @@last_gtid")) {
                rs.next();
                errantGtid = rs.getString(1);
            }
        }
        HttpResponse<String> refused = post(platform.controlUrl() + "/v1/shards/maria-1/rejoin",
                "{\"node\":\"" + failed + "\"}");
        System.out.println("mariadb rejoin of a node with errant GTIDs: " + refused.statusCode() + " "
                + refused.body());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains(failed + " holds transactions that primary " + primary + " never had"
                + " (errant GTIDs: ").contains(errantGtid).contains("Rebuild it from " + primary);
        assertThat(roles("maria-1")).as("nothing started").containsEntry(failed, "fenced");
        platform.killMariaDb(failed);

        String fleet = "maria-failback";
        Writers writers = writingToMariaDb(fleet, primary);

        JsonNode rejoin = runToEnd("mariadb rejoin", "/v1/shards/maria-1/rejoin", Duration.ofSeconds(120));
        rejoin.path("steps").forEach(s -> System.out.println("mariadb rejoin: " + s.path("step").asText() + " "
                + s.path("durationMs").asLong() + " ms: " + s.path("detail").asText()));
        assertThat(rejoin.path("steps").get(1).path("detail").asText()).contains("rebuilt " + failed)
                .contains(failed + " is a sync-replica");
        assertThat(roles("maria-1")).containsEntry(primary, "primary").containsEntry(failed, "sync-replica");

        JsonNode o = runToEnd("mariadb failback", "/v1/shards/maria-1/failback", "{\"node\":\"" + failed
                + "\",\"reason\":\"FailoverIT\"}", Duration.ofSeconds(120));
        o.path("steps").forEach(s -> System.out.println("mariadb failback: " + s.path("step").asText() + " "
                + s.path("durationMs").asLong() + " ms: " + s.path("detail").asText()));
        assertThat(o.path("toNodeId").asText()).isEqualTo(failed);
        writesWentOnWithoutFailing("mariadb failback", o, writers);
        assertThat(roles("maria-1")).containsEntry(failed, "primary").containsEntry(primary, "sync-replica");
        eachAckedWriteOnceOn(failed, fleet, writers);
    }

    /**
     * Disaster recovery of the MariaDB shard (ADR 0035), last of the MariaDB tests (it takes maria-1 over for good):
     * both servers of maria-1 are SIGKILLed after routed writes the archive already holds; the operator promotes its
     * warm standby, which the applier fed in a GTID domain of its own. It becomes the primary with every acknowledged
     * write and capture starts over on it; restarted once more, capture's lost-transaction check (ADR 0029) finds the
     * killed servers' changes before its snapshot to be another history and retracts none of them.
     */
    @Test
    @Order(8)
    void theMariaDbWarmStandbyBecomesThePrimaryAndCaptureRetractsNothingOfTheLostRegion() throws Exception {
        String fleet = "maria-recovered";
        Map<String, String> before = roles("maria-1");
        String primary = before.entrySet().stream().filter(e -> e.getValue().equals("primary")).findFirst()
                .orElseThrow().getKey();
        Writers writers = writingToMariaDb(fleet, primary);
        writers.stop();
        Map<String, Integer> acked = new HashMap<>(writers.acked);
        String standbyUrl = awaitStandbyHolds("maria-1", fleet, acked);

        platform.killMariaDb("maria-1-a");
        platform.killMariaDb("maria-1-b");
        JsonNode o = promoteStandby("maria-1", "FailoverIT: MariaDB region lost");
        o.path("steps").forEach(s -> System.out.println("mariadb standby promotion: " + s.path("step").asText() + " "
                + s.path("durationMs").asLong() + " ms: " + s.path("detail").asText()));
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "catch-up", "promote", "capture-reset", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("applied the archive's newest manifest");
        assertThat(o.path("steps").get(2).path("detail").asText()).contains("GTID domain 2");
        assertThat(roles("maria-1")).containsEntry("maria-1-dr", "primary").containsEntry("maria-1-a", "fenced")
                .containsEntry("maria-1-b", "fenced");

        Writers after = new Writers(fleet, 1, Writers.MARIADB_UPSERT);
        after.start();
        Await.condition("routed writes go to the promoted standby", Duration.ofSeconds(60),
                () -> after.acked.size() >= 5);
        after.stop();
        Map<String, String> onStandby = statuses(standbyUrl, fleet);
        assertThat(onStandby.keySet()).as("no acknowledged write lost").containsAll(acked.keySet())
                .containsAll(after.acked.keySet());
        assertThat(changeEvents(fleet, after.acked.keySet()).keySet()).as("capture streams the new primary")
                .containsAll(after.acked.keySet());

        // a capture restart on the promoted standby runs ADR 0029's check against its binlog: the killed servers'
        // changes (GTID domains the standby never wrote in) precede capture's snapshot and are not "lost"
        platform.restartCapture();
        Writers later = new Writers(fleet + "-later", 1, Writers.MARIADB_UPSERT);
        HttpResponse<String> laterFleet = post(platform.controlUrl() + "/v1/tenants/" + TENANT + "/fleets",
                "{\"fleetId\":\"" + fleet + "-later\",\"shardId\":\"maria-1\"}");
        assertThat(laterFleet.statusCode()).as(laterFleet.body()).isEqualTo(201);
        later.start();
        Await.condition("routed writes go on", Duration.ofSeconds(60), () -> later.acked.size() >= 3);
        later.stop();
        assertThat(changeEvents(TENANT, fleet + "-later", later.acked.keySet(), Duration.ofSeconds(90)).keySet())
                .as("capture streams again after its restart").containsAll(later.acked.keySet());
        assertThat(platform.captureStatus().get("maria-1").lostTransactions()).as("nothing found lost").isNull();
        Map<String, List<String>> events = changeEvents(fleet, onStandby.keySet());
        events.forEach((id, ops) -> assertThat(ops).as("events of %s", id)
                .noneMatch(op -> op.endsWith(ChangeTopicEvents.RETRACTION)));
        Await.condition("maria-1's standby applier stops for good", Duration.ofSeconds(60),
                () -> platform.standbyAppliers().get("maria-1").state() == io.fleetshard.standby.ApplierState.PROMOTED);
    }

    /** A probe row written on pg-1 shows up as a streamed ({@code c}) change event: capture is past its snapshot. */
    private static void awaitStreaming(String shard) {
        awaitStreaming(shard, shard + "-a");
    }

    /** As above, the probe row written on {@code primaryNodeId} (never on a replica: the admin bypasses read_only). */
    private static void awaitStreaming(String shard, String primaryNodeId) {
        Await.condition("capture of " + shard + " streams", Duration.ofSeconds(120), () -> quietly(() -> {
            String id = "probe-" + System.nanoTime();
            try (Connection c = DriverManager.getConnection(platform.adminJdbcUrl(primaryNodeId));
                    PreparedStatement ps = c.prepareStatement("insert into vehicles (tenant_id, fleet_id, vehicle_id,"
                            + " status) values ('probe', 'probe', ?, 'probe')")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            return !changeEvents("probe", "probe", Set.of(id), Duration.ofSeconds(5)).isEmpty();
        }));
    }

    /**
     * The sync replica holds a lasting copy of capture's logical slot (PostgreSQL 17 slot sync). The copy stays
     * temporary until the primary's slot moves past a running-transactions record, which an idle primary writes
     * every 15 s; one is written at once here, as a busy primary would.
     */
    private static void awaitLastingSlotCopy(String shard) {
        Await.condition("a lasting copy of capture's slot on " + shard + "-b", Duration.ofSeconds(90),
                () -> quietly(() -> {
            try (Connection p = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-a"));
                    Statement st = p.createStatement()) {
                st.execute("SELECT pg_log_standby_snapshot()");
            }
            try (Connection r = DriverManager.getConnection(platform.adminJdbcUrl(shard + "-b"));
                    Statement st = r.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_type ="
                            + " 'logical' AND synced AND NOT temporary")) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }));
    }

    private static JsonNode awaitOrchestration() {
        return awaitOrchestration("pg-1");
    }

    private static JsonNode awaitOrchestration(String shardId) {
        return awaitOrchestration(shardId, "");
    }

    /** The newest orchestration of the shard whose id starts with {@code idPrefix}, once it ended (not aborted). */
    private static JsonNode awaitOrchestration(String shardId, String idPrefix) {
        JsonNode[] last = new JsonNode[1];
        Await.condition("the failover of " + shardId + " ends", Duration.ofSeconds(60), () -> quietly(() -> {
            for (JsonNode o : JSON.readTree(get(platform.controlUrl() + "/v1/orchestrations"))
                    .path("orchestrations")) {
                if (o.path("shardId").asText().equals(shardId)
                        && o.path("orchestrationId").asText().startsWith(idPrefix) && !o.path("state").asText().equals("running")
                        && !o.path("state").asText().equals("aborted")) {
                    last[0] = o;
                    return true;
                }
            }
            return false;
        }));
        return last[0];
    }

    /**
     * The condition's answer; false while it throws or a request in it is answered otherwise than expected (a server
     * not up yet, a connection refused, a control API still reading the orchestration log).
     */
    /** Waits until the shard's warm standby holds every acknowledged write of the fleet; returns its JDBC URL. */
    private static String awaitStandbyHolds(String shard, String fleet, Map<String, Integer> acked) {
        String standbyUrl = platform.standbyAdminJdbcUrl(shard);
        Await.condition("the standby holds every acknowledged write", Duration.ofSeconds(60),
                () -> quietly(() -> statuses(standbyUrl, fleet).keySet().containsAll(acked.keySet())));
        return standbyUrl;
    }

    /** Asks for the standby's promotion once no automatic failover runs (its region's servers are dead). */
    private static JsonNode promoteStandby(String shard, String reason) throws Exception {
        HttpResponse<String>[] started = new HttpResponse[1];
        Await.condition("the promotion is accepted (an automatic failover may try first)", Duration.ofSeconds(60),
                () -> quietly(() -> {
                    started[0] = post(platform.controlUrl() + "/v1/shards/" + shard + "/promote-standby",
                            "{\"reason\":\"" + reason + "\"}");
                    return started[0].statusCode() != 409 || !started[0].body().contains("is running");
                }));
        assertThat(started[0].statusCode()).as(started[0].body()).isEqualTo(202);
        return awaitEnded(shard + " standby promotion", JSON.readTree(started[0].body()).path("orchestrationId")
                .asText(), Duration.ofSeconds(120));
    }

    private static boolean quietly(java.util.concurrent.Callable<Boolean> condition) {
        try {
            return condition.call();
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    private static Map<String, String> statuses(String adminUrl, String fleet) throws Exception {
        return FleetRows.vehicleStatuses(adminUrl, TENANT, fleet);
    }

    private static Map<String, List<String>> changeEvents(String fleet, Set<String> ids) throws Exception {
        return changeEvents(TENANT, fleet, ids, Duration.ofSeconds(90));
    }

    /** vehicle id -> ops of the fleet's events, read until every id has one and then to the topic's end. */
    private static Map<String, List<String>> changeEvents(String tenant, String fleet, Set<String> ids,
            Duration wait) throws Exception {
        Set<String> keys = new HashSet<>();
        ids.forEach(id -> keys.add(fleet + "/" + id));
        Map<String, List<String>> byId = new HashMap<>();
        ChangeTopicEvents.read(platform.kafkaBootstrapServers(), tenant, Set.of(fleet), keys, wait)
                .forEach((key, ops) -> byId.put(key.substring(fleet.length() + 1), ops));
        return ids.isEmpty() || !byId.keySet().containsAll(ids) ? Map.of() : byId;
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(authorized(URI.create(url)).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
        return r.body();
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(authorized(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Writers of the fleet through the router: insert a new vehicle, then update it; acked: id -> writes acked. */
    private static final class Writers {
        private static final String UPSERT = "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status,"
                + " updated_at) values (?, ?, ?, ?, ?, now()) on conflict (tenant_id, fleet_id, vehicle_id) do update"
                + " set status = excluded.status";
        static final String MARIADB_UPSERT = "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status,"
                + " updated_at) values (?, ?, ?, ?, ?, now(6)) on duplicate key update status = values(status)";
        final Map<String, Integer> acked = new ConcurrentHashMap<>();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong longestMs = new AtomicLong();
        final AtomicLong firstAckAfterKill = new AtomicLong();
        /** What writers sent after the kill got until one was acknowledged: for the report of where the time went. */
        final List<String> refusedAfterKill = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        private final String fleet;
        private final String upsert;

        Writers(String fleet, int n) {
            this(fleet, n, UPSERT);
        }

        Writers(String fleet, int n, String upsert) {
            this.fleet = fleet;
            this.upsert = upsert;
            for (int t = 0; t < n; t++) {
                String prefix = "w" + t + "-";
                threads.add(new Thread(() -> {
                    for (int i = 0; running.get(); i++) {
                        String id = prefix + i;
                        if (write(id, "v1")) {
                            acked.put(id, 1);
                            if (write(id, "v2")) {
                                acked.put(id, 2);
                            }
                        }
                    }
                }, "writer-" + fleet + "-" + t));
            }
        }

        void ackedSince(long t) {
            killedAt.set(t);
        }

        /** True when the router answered 200; 503s (no primary yet) and errors are retried with a new vehicle. */
        private boolean write(String id, String status) {
            ObjectNode body = JSON.createObjectNode().put("tenantId", TENANT).put("fleetId", fleet).put("sql", upsert);
            body.putArray("params").add(TENANT).add(fleet).add(id).add("VIN" + id).add(status);
            long sentAt = System.currentTimeMillis();
            try {
                HttpResponse<String> r = post(platform.routerUrl() + "/v1/query", body.toString());
                longestMs.accumulateAndGet(System.currentTimeMillis() - sentAt, Math::max);
                if (r.statusCode() != 200) {
                    failures.add(r.statusCode() + " " + r.body());
                }
                if (r.statusCode() == 200) {
                    if (sentAt > killedAt.get()) {
                        firstAckAfterKill.compareAndSet(0, System.currentTimeMillis());
                    }
                    return true;
                }
                refused(sentAt, r.statusCode() + " " + r.body());
            } catch (Exception e) {
                failures.add(e.toString());
                refused(sentAt, e.toString()); // counted as not acknowledged
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // a client's back-off, not a wait for state
            return false;
        }

        private void refused(long sentAt, String what) {
            if (sentAt > killedAt.get() && firstAckAfterKill.get() == 0 && refusedAfterKill.size() < 2_000) {
                refusedAfterKill.add((sentAt - killedAt.get()) + " ms: " + what.substring(0, Math.min(200,
                        what.length())));
            }
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
