package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failover against an in-memory map, with database actions faked: detection by the health monitor, confirmation,
 * the choice of the candidate, the map transaction, refusals at the edge, and an orchestration resumed from its log.
 */
class FailoverEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap(ShardMapSnapshot.of(1, initial()));
    private final FakeActions actions = new FakeActions();
    /** What the health monitor's probe finds of a MariaDB primary's semi-sync, by node. */
    private final Map<String, ProbeResult.SemiSync> semiSync = new java.util.concurrent.ConcurrentHashMap<>();
    private ApiHarness h;
    private InMemoryOrchestrationLog log;
    private final InMemoryAuditLog audit = new InMemoryAuditLog();

    private static List<MapEntity> initial() {
        List<MapEntity> e = new ArrayList<>(List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("pg-1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("maria-1", ShardStatus.ACTIVE, Engine.MARIADB, 16),
                Shard.withDefaultTokens("my-1", ShardStatus.ACTIVE, Engine.MYSQL, 16)));
        e.add(node("pg-1-a", "pg-1", NodeRole.PRIMARY));
        e.add(node("pg-1-b", "pg-1", NodeRole.REPLICA));
        e.add(node("pg-1-c", "pg-1", NodeRole.SYNC_REPLICA));
        e.add(node("maria-1-a", "maria-1", NodeRole.PRIMARY));
        e.add(node("maria-1-b", "maria-1", NodeRole.SYNC_REPLICA));
        e.add(node("maria-1-c", "maria-1", NodeRole.REPLICA));
        e.add(node("my-1-a", "my-1", NodeRole.PRIMARY));
        e.add(node("my-1-b", "my-1", NodeRole.REPLICA));
        return e;
    }

    private static Node node(String id, String shard, NodeRole role) {
        return new Node(id, shard, role, "eu-west-1", "eu-west-1a", "jdbc:postgresql://127.0.0.1:1/" + id);
    }

    private void start(List<Orchestration> stored, Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of(ControlApiConfig.FAILOVER_TICK_MS, "20",
                ControlApiConfig.FAILOVER_CONFIRM_INTERVAL_MS, "0"));
        all.putAll(settings);
        h = new ApiHarness(map, map, (node, engine) -> actions.down.contains(node.nodeId())
                ? ProbeResult.failed("connection refused", 1)
                : new ProbeResult(null, 1, null, null, null, null, null, semiSync.get(node.nodeId())), () -> null, all);
        log = new InMemoryOrchestrationLog(stored);
        h.api.enableFailover(log, actions);
        h.api.enableAudit(audit);
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aPrimaryTheMonitorFindsDownIsReplacedByTheSyncReplica() throws Exception {
        start(List.of(), Map.of());
        actions.down.add("pg-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("trigger").asText()).isEqualTo("health monitor");
        assertThat(o.path("toNodeId").asText()).as("the sync replica first").isEqualTo("pg-1-c");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("detect", "declare", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("no acknowledged write lost");

        ShardMapSnapshot m = map.current();
        assertThat(m.primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-c");
        assertThat(m.node("pg-1-a")).map(Node::role).hasValue(NodeRole.FENCED);
        assertThat(m.node("pg-1-b")).map(Node::role).hasValue(NodeRole.REPLICA);
        assertThat(m.shard("pg-1")).map(Shard::epoch).hasValue(1L);
        assertThat(actions.promoted).containsExactly("pg-1-c");
        assertThat(actions.fenced).containsExactly("pg-1-a");
        assertThat(log.events()).extracting(Orchestration::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(h.get("/v1/orchestrations").json().path("orchestrations")).hasSize(1);
    }

    @Test
    void aFailoverWhosePromotedNodeKeptNoCaptureSlotResetsCaptureAtOnce() throws Exception {
        start(List.of(), Map.of());
        List<String> resets = new java.util.concurrent.CopyOnWriteArrayList<>();
        h.api.resetCaptureWith(shard -> {
            resets.add(shard);
            return "capture of shard " + shard + " forgot its position";
        });
        actions.slotLost.add("pg-1-c"); // the primary died before the replica's copy of capture's slot lasted
        actions.down.add("pg-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps").get(2).path("detail").asText())
                .contains("pg-1-c kept no copy of capture's slot: capture of shard pg-1 forgot its position");
        assertThat(resets).containsExactly("pg-1");
    }

    @Test
    void aFailoverWhoseCaptureResetFailsStillEndsWithWritesOnTheNewPrimary() throws Exception {
        start(List.of(), Map.of());
        h.api.resetCaptureWith(shard -> {
            throw new IllegalStateException("Kafka unreachable");
        });
        actions.slotLost.add("pg-1-c");
        actions.down.add("pg-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps").get(2).path("detail").asText())
                .contains("resetting capture failed (Kafka unreachable)", "reset by hand");
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-c");
    }

    @Test
    void aPrimaryThatAnswersTheConfirmationIsKept() throws Exception {
        start(List.of(), Map.of());
        actions.down.add("pg-1-a");
        actions.answersConfirmation.add("pg-1-a"); // the monitor's probe failed, the orchestrator's own answers
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).isEqualTo("aborted");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("answered");
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-a");
        assertThat(actions.promoted).isEmpty();
    }

    @Test
    void withNoReachableReplicaTheOrchestrationFailsAndTheMapStays() throws Exception {
        start(List.of(), Map.of());
        actions.down.addAll(List.of("pg-1-a", "pg-1-b", "pg-1-c"));
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).isEqualTo("failed");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("no replica can be promoted")
                .contains("pg-1-b").contains("pg-1-c");
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-a");
    }

    /**
     * The failed failover is not started again at every tick (found on the dev platform: one every 600 ms, each a
     * record of the orchestration log, and a running one refused promote-standby with 409): while the monitor's
     * cooldown lasts, a failover of another shard goes ahead and pg-1 keeps its one orchestration.
     */
    @Test
    void aFailoverThatFoundNothingToPromoteIsNotStartedAgainAtEveryTick() throws Exception {
        start(List.of(), Map.of());
        actions.down.addAll(List.of("pg-1-a", "pg-1-b", "pg-1-c"));
        h.api.probeNow();
        assertThat(awaitEnded().path("state").asText()).isEqualTo("failed");
        actions.down.add("maria-1-a");
        actions.received.put("maria-1-b", "0-1-10");
        h.api.probeNow();
        awaitEndedOn("maria-1");
        assertThat(orchestrationsOf("pg-1")).as("after ticks that started maria-1's").hasSize(1);
    }

    @Test
    void aShardWhoseEveryNodeIsDownGetsNoFailoverThatCouldOnlyFail() throws Exception {
        start(List.of(), Map.of(ControlApiConfig.PROBE_FAILURES_BEFORE_DOWN, "1"));
        actions.down.addAll(List.of("pg-1-a", "pg-1-b", "pg-1-c", "maria-1-a"));
        actions.received.put("maria-1-b", "0-1-10");
        h.api.probeNow();
        awaitEndedOn("maria-1");
        assertThat(orchestrationsOf("pg-1")).as("every node of pg-1 is down: nothing to promote").isEmpty();
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-a");
    }

    private List<JsonNode> orchestrationsOf(String shard) {
        List<JsonNode> out = new ArrayList<>();
        h.get("/v1/orchestrations").json().path("orchestrations").forEach(o -> {
            if (o.path("shardId").asText().equals(shard)) {
                out.add(o);
            }
        });
        return out;
    }

    private void awaitEndedOn(String shard) {
        Await.condition("an orchestration of " + shard + " ends", Duration.ofSeconds(20), () -> {
            List<JsonNode> of = orchestrationsOf(shard);
            return !of.isEmpty() && !of.get(0).path("state").asText().equals("running");
        });
    }

    @Test
    void anOperatorFailoverIsRefusedAtTheEdgeWhereItCannotBeDone() {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        h.post("/v1/shards/nope/failover", "").assertProblem(404);
        h.post("/v1/shards/my-1/failover", "").assertProblem(409, "mysql shards is not supported yet");
        h.post("/v1/shards/maria-1/failover", "").assertProblem(409, "answers");
        ApiHarness.Response alive = h.post("/v1/shards/pg-1/failover", "{\"reason\":\"drill\"}");
        alive.assertProblem(409);
        assertThat(alive.body()).contains("answers");
        h.post("/v1/shards/pg-1/failover", "{\"why\":\"x\"}").assertProblem(400);
        h.post("/v1/shards/pg-1/failover", "{\"reason\":\"" + "x".repeat(1001) + "\"}")
                .assertProblem(400, "reason has 1001 characters; at most 1000");
        h.get("/v1/orchestrations/none").assertProblem(404);

        actions.down.add("pg-1-a");
        ApiHarness.Response accepted = h.post("/v1/shards/pg-1/failover", "{\"reason\":\"drill\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.json().path("trigger").asText()).isEqualTo("operator: drill");
        h.post("/v1/shards/pg-1/failover", "").assertProblem(409); // one at a time per shard
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).isEqualTo("done");
    }

    @Test
    void anOrchestrationStoppedAfterPromotionIsResumedFromItsLog() throws Exception {
        // a previous instance detected, declared and promoted, then died before the map transaction
        long t = ApiHarness.NOW.toEpochMilli();
        Orchestration stored = Orchestration.failover("fo-1", "pg-1", "pg-1-a", "health monitor", t, "probe failed")
                .withStep(new Orchestration.Step("declare", t, t, true, "promoting pg-1-c"), "pg-1-c")
                .withStep(new Orchestration.Step("promote", t, t, true, "pg-1-c promoted"), null);
        actions.down.add("pg-1-a");
        start(List.of(stored), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        JsonNode o = awaitEnded();
        assertThat(o.path("orchestrationId").asText()).isEqualTo("fo-1");
        assertThat(o.path("state").asText()).isEqualTo("done");
        assertThat(actions.promoted).as("the promote step is not run again").isEmpty();
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-c");
    }

    @Test
    void aSwitchoverFreezesWaitsForTheReplicaPromotesAndFlipsTheMap() {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        ApiHarness.Response accepted = h.post("/v1/shards/pg-1/switchover", "{\"reason\":\"patching\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.json().path("toNodeId").asText()).as("the sync replica by default").isEqualTo("pg-1-c");
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("kind").asText()).isEqualTo("switchover");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "freeze", "catch-up", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).endsWith("WAL position 0/3000148");
        assertThat(o.path("steps").get(1).path("position").asText()).as("what catch-up waits for")
                .isEqualTo("0/3000148");
        assertThat(Orchestration.fromJson(o).steps().get(1).position()).as("kept in the stored event")
                .isEqualTo("0/3000148");
        assertThat(actions.frozen).containsExactly("pg-1-a");
        assertThat(actions.promoted).containsExactly("pg-1-c");
        assertThat(actions.thawed).isEmpty();
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-c");
        assertThat(map.current().node("pg-1-a")).map(Node::role).hasValue(NodeRole.FENCED);
        assertThat(map.current().shard("pg-1")).map(Shard::epoch).hasValue(1L);
        // the audit trail names the change with the shard as it was before it
        assertThat(audit.events).hasSize(1);
        AuditEvent event = audit.events.get(0);
        assertThat(event.action()).isEqualTo("POST /v1/shards/{shardId}/switchover");
        assertThat(event.path()).isEqualTo("/v1/shards/pg-1/switchover");
        assertThat(event.before().path("nodes").toString()).contains("\"nodeId\":\"pg-1-a\"", "\"role\":\"primary\"");
        assertThat(event.after().path("kind").asText()).isEqualTo("switchover");
    }

    @Test
    void aSwitchoverWhoseReplicaDoesNotCatchUpGivesTheWritesBack() {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false",
                ControlApiConfig.FAILOVER_PROMOTE_TIMEOUT_MS, "1000"));
        actions.replicaBehind = true;
        assertThat(h.post("/v1/shards/pg-1/switchover", "{\"to\":\"pg-1-b\"}").status()).isEqualTo(202);
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).isEqualTo("failed");
        assertThat(o.path("steps").get(2).path("detail").asText()).contains("did not replay")
                .contains("pg-1-a takes writes again");
        assertThat(actions.thawed).containsExactly("pg-1-a");
        assertThat(actions.promoted).isEmpty();
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-a");
    }

    @Test
    void aSwitchoverIsRefusedAtTheEdgeWhereItCannotBeDone() {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        h.post("/v1/shards/nope/switchover", "").assertProblem(404);
        h.post("/v1/shards/my-1/switchover", "").assertProblem(409, "not supported");
        h.post("/v1/shards/pg-1/switchover", "{\"to\":\"ghost\"}").assertProblem(404);
        h.post("/v1/shards/pg-1/switchover", "{\"to\":\"maria-1-a\"}").assertProblem(409, "not a replica");
        h.post("/v1/shards/pg-1/switchover", "{\"to\":\"pg-1-a\"}").assertProblem(409, "not a replica");
        h.post("/v1/shards/pg-1/switchover", "{\"into\":\"pg-1-b\"}").assertProblem(400);
        actions.down.add("pg-1-b");
        h.post("/v1/shards/pg-1/switchover", "{\"to\":\"pg-1-b\"}").assertProblem(409, "does not answer");
        actions.down.add("pg-1-a");
        h.post("/v1/shards/pg-1/switchover", "").assertProblem(409, "fail it over instead");
        assertThat(actions.frozen).isEmpty();
    }

    @Test
    void aFailbackRejoinsTheRebuiltPrimaryAndSwitchesBackToIt() throws Exception {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        actions.down.add("pg-1-a");
        assertThat(h.post("/v1/shards/pg-1/failover", "").status()).isEqualTo(202);
        assertThat(awaitEnded().path("state").asText()).isEqualTo("done");
        assertThat(map.current().node("pg-1-a")).map(Node::role).hasValue(NodeRole.FENCED);

        h.post("/v1/shards/pg-1/failback", "{\"node\":\"pg-1-a\"}").assertProblem(409, "not a replica");
        h.post("/v1/shards/pg-1/failback", "{\"node\":\"maria-1-a\"}").assertProblem(409, "belongs to shard");
        h.post("/v1/shards/pg-1/failback", "{\"node\":\"pg-9\"}").assertProblem(404, "no node pg-9");
        h.post("/v1/shards/pg-1/failback", "{\"nod\":\"pg-1-a\"}").assertProblem(400);
        h.post("/v1/shards/pg-1/rejoin", "{\"node\":\"pg-1-c\"}").assertProblem(409, "only a fenced node");
        assertThat(map.current().node("pg-1-a")).map(Node::role).as("nothing started").hasValue(NodeRole.FENCED);

        actions.down.remove("pg-1-a");
        actions.streaming.add("pg-1-a"); // rebuilt by its operator as a replica of pg-1-c
        ApiHarness.Response accepted = h.post("/v1/shards/pg-1/failback", "{\"reason\":\"pg-1-a repaired\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.json().path("toNodeId").asText()).as("the one fenced node").isEqualTo("pg-1-a");
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("kind").asText()).isEqualTo("failback");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "rejoin", "freeze", "catch-up", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("pg-1-a is a sync-replica");
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-a");
        assertThat(map.current().node("pg-1-c")).map(Node::role).hasValue(NodeRole.FENCED);
        assertThat(map.current().shard("pg-1")).map(Shard::epoch).as("one bump per flip").hasValue(2L);
        assertThat(actions.frozen).containsExactly("pg-1-c");

        actions.streaming.add("pg-1-c");
        ApiHarness.Response rejoining = h.post("/v1/shards/pg-1/rejoin", "");
        assertThat(rejoining.status()).as(rejoining.body()).isEqualTo(202);
        String id = rejoining.json().path("orchestrationId").asText();
        Await.condition("the rejoin ends", Duration.ofSeconds(20), () -> !h.get("/v1/orchestrations/" + id).json()
                .path("state").asText().equals("running"));
        JsonNode rejoin = h.get("/v1/orchestrations/" + id).json();
        assertThat(rejoin.path("state").asText()).as(rejoin.toString()).isEqualTo("done");
        assertThat(rejoin.path("kind").asText()).isEqualTo("rejoin");
        assertThat(map.current().node("pg-1-c")).map(Node::role).hasValue(NodeRole.SYNC_REPLICA);
    }

    @Test
    void aStandbyPromotionMakesTheStandbyPrimaryAndFencesEveryOtherNodeOfTheShard() throws Exception {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false",
                ControlApiConfig.FAILOVER_PROMOTE_TIMEOUT_MS, "1000"));
        h.post("/v1/shards/pg-1/promote-standby", "").assertProblem(409, "no warm standby");
        map.commit(map.current().version(), List.of(new Node("pg-1-dr", "pg-1", NodeRole.STANDBY, "eu-central-1",
                "eu-central-1a", "jdbc:postgresql://127.0.0.1:1/pg-1-dr")), List.of());
        h.post("/v1/shards/maria-1/promote-standby", "").assertProblem(409, "no warm standby");
        h.post("/v1/shards/pg-1/promote-standby", "{\"force\":\"yes\"}").assertProblem(400, "force");
        h.post("/v1/shards/pg-1/promote-standby", "").assertProblem(409, "force");
        actions.down.addAll(List.of("pg-1-a", "pg-1-c"));
        h.post("/v1/shards/pg-1/promote-standby", "").assertProblem(409, "pg-1-b (replica)");
        assertThat(actions.promoted).as("nothing started").isEmpty();

        actions.down.add("pg-1-b");
        ApiHarness.Response accepted = h.post("/v1/shards/pg-1/promote-standby", "{\"reason\":\"eu-west-1 lost\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.json().path("toNodeId").asText()).isEqualTo("pg-1-dr");
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("kind").asText()).isEqualTo("promote-standby");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "catch-up", "promote", "capture-reset", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText()).as("no standby reading here")
                .contains("promoting it as it is");
        assertThat(o.path("steps").get(3).path("detail").asText()).contains("reset change capture of shard pg-1 by hand");
        assertThat(actions.promoted).containsExactly("pg-1-dr");
        assertThat(map.current().primaryOf("pg-1")).map(Node::nodeId).hasValue("pg-1-dr");
        for (String old : List.of("pg-1-a", "pg-1-b", "pg-1-c")) {
            assertThat(map.current().node(old)).map(Node::role).as(old).hasValue(NodeRole.FENCED);
        }
        assertThat(map.current().shard("pg-1")).map(Shard::epoch).hasValue(1L);
    }

    @Test
    void aDeadMariaDbPrimaryIsReplacedByTheReplicaThatReceivedTheMost() throws Exception {
        start(List.of(), Map.of());
        actions.received.put("maria-1-b", "0-1-40");
        actions.received.put("maria-1-c", "0-1-42"); // asynchronous, but it received two transactions more
        actions.down.add("maria-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("shardId").asText()).isEqualTo("maria-1");
        assertThat(o.path("toNodeId").asText()).as("the most advanced GTID position").isEqualTo("maria-1-c");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("detect", "declare", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(1).path("detail").asText())
                .contains("received GTID positions {maria-1-b=0-1-40, maria-1-c=0-1-42}")
                .contains("asynchronous: writes acknowledged without it may be lost");
        assertThat(map.current().primaryOf("maria-1")).map(Node::nodeId).hasValue("maria-1-c");
        assertThat(map.current().node("maria-1-a")).map(Node::role).hasValue(NodeRole.FENCED);
        assertThat(map.current().shard("maria-1")).map(Shard::epoch).hasValue(1L);
        assertThat(actions.promoted).containsExactly("maria-1-c");
    }

    @Test
    void aMariaDbFailoverSaysWhenTheDeadPrimaryHadFallenBackToAsynchronousReplication() throws Exception {
        start(List.of(), Map.of());
        actions.received.put("maria-1-b", "0-1-40");
        semiSync.put("maria-1-a", new ProbeResult.SemiSync(false, 7)); // no acknowledgement within the timeout
        h.api.probeNow();
        actions.down.add("maria-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("toNodeId").asText()).isEqualTo("maria-1-b");
        assertThat(o.path("steps").get(1).path("detail").asText())
                .contains("WARNING: semi-sync had fallen back to asynchronous on the primary")
                .contains("7 commit(s) not acknowledged").contains("RPO not 0");
        assertThat(h.api.registry().find("fleetshard.node.semisync.on").tag("node", "maria-1-a").gauge())
                .as("the gauge of the primary, as its last successful probe found it").isNotNull()
                .satisfies(g -> assertThat(g.value()).isZero());
    }

    @Test
    void aMariaDbFailoverSaysSemiSyncWasOnWhenItWas() throws Exception {
        start(List.of(), Map.of());
        actions.received.put("maria-1-b", "0-1-40");
        semiSync.put("maria-1-a", new ProbeResult.SemiSync(true, 0));
        h.api.probeNow();
        actions.down.add("maria-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("steps").get(1).path("detail").asText())
                .contains("no write acknowledged under semi-sync lost")
                .contains("semi-sync was on at the primary's last successful probe").doesNotContain("WARNING");
    }

    @Test
    void aMariaDbFailoverVerifyNamesTheTransactionsCapturePublishedThatTheNewPrimaryLacks() throws Exception {
        start(List.of(), Map.of());
        h.api.enableResharding(lastTransactions("0-1-39", "0-1-40", "0-1-41", "0-1-42"));
        actions.received.put("maria-1-b", "0-1-40");
        actions.binlog.put("maria-1-b", "0-1-40,2-2-0");
        actions.down.add("maria-1-a");
        h.api.probeNow();
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("toNodeId").asText()).isEqualTo("maria-1-b");
        assertThat(o.path("steps").get(4).path("detail").asText())
                .contains("lost transactions: change capture published 2 transaction(s) maria-1-b does not hold")
                .contains("0-1-41,0-1-42").contains("ADR 0029");
    }

    private static ShardLogs lastTransactions(String... gtids) {
        return new ShardLogs() {
            @Override
            public long endOffset(String shardId) {
                return 0;
            }

            @Override
            public ApplicationWrites applicationWrites(String shardId, java.util.Set<String> fleets, long sinceMs) {
                return new FixedShardLogs(0).applicationWrites(shardId, fleets, sinceMs);
            }

            @Override
            public List<String> lastTransactionIds(String shardId, int records) {
                assertThat(shardId).isEqualTo("maria-1");
                return List.of(gtids);
            }
        };
    }

    @Test
    void amongMariaDbReplicasThatReceivedAsMuchTheSemiSyncOneIsPromotedAndOneThatReplicatesNothingIsPassedOver()
            throws Exception {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        actions.received.put("maria-1-b", "0-1-42");
        actions.received.put("maria-1-c", "0-1-42");
        actions.down.add("maria-1-a");
        ApiHarness.Response accepted = h.post("/v1/shards/maria-1/failover", "{\"reason\":\"drill\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        JsonNode o = awaitEnded();
        assertThat(o.path("toNodeId").asText()).isEqualTo("maria-1-b");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("no write acknowledged under semi-sync"
                + " lost");

        // a replica that answers but replicates from nothing (its primary was reset) is never promoted
        map.commit(map.current().version(), List.of(node("maria-1-a", "maria-1", NodeRole.PRIMARY),
                node("maria-1-b", "maria-1", NodeRole.SYNC_REPLICA)), List.of());
        actions.received.clear();
        actions.promoted.clear();
        ApiHarness.Response again = h.post("/v1/shards/maria-1/failover", "");
        assertThat(again.status()).as(again.body()).isEqualTo(202);
        String id = again.json().path("orchestrationId").asText();
        Await.condition("the second failover ends", Duration.ofSeconds(20), () -> !h.get("/v1/orchestrations/" + id)
                .json().path("state").asText().equals("running"));
        JsonNode second = h.get("/v1/orchestrations/" + id).json();
        assertThat(second.path("state").asText()).as(second.toString()).isEqualTo("failed");
        assertThat(second.path("steps").get(1).path("detail").asText()).contains("no replica can be promoted")
                .contains("maria-1-b (answers but replicates from nothing").contains("maria-1-c (answers");
        assertThat(actions.promoted).isEmpty();
    }

    @Test
    void aMariaDbStandbyIsPromotedWhenTheShardsRegionIsLost() throws Exception {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false",
                ControlApiConfig.FAILOVER_PROMOTE_TIMEOUT_MS, "1000"));
        map.commit(map.current().version(), List.of(new Node("maria-1-dr", "maria-1", NodeRole.STANDBY,
                "eu-central-1", "eu-central-1a", "jdbc:mariadb://127.0.0.1:1/fleet")), List.of());
        h.post("/v1/shards/maria-1/promote-standby", "").assertProblem(409, "maria-1-b (sync-replica)");
        actions.down.addAll(List.of("maria-1-a", "maria-1-b", "maria-1-c"));
        ApiHarness.Response accepted = h.post("/v1/shards/maria-1/promote-standby", "{\"reason\":\"region lost\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "catch-up", "promote", "capture-reset", "update-map", "verify");
        assertThat(actions.promoted).containsExactly("maria-1-dr");
        assertThat(map.current().primaryOf("maria-1")).map(Node::nodeId).hasValue("maria-1-dr");
        for (String old : List.of("maria-1-a", "maria-1-b", "maria-1-c")) {
            assertThat(map.current().node(old)).map(Node::role).as(old).hasValue(NodeRole.FENCED);
        }
    }

    @Test
    void aMariaDbShardSwitchesOver() {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        ApiHarness.Response accepted = h.post("/v1/shards/maria-1/switchover", "");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(accepted.json().path("toNodeId").asText()).as("the semi-sync replica").isEqualTo("maria-1-b");
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(actions.frozen).containsExactly("maria-1-a");
        assertThat(o.path("steps").get(1).path("detail").asText())
                .endsWith("frozen on maria-1-a at GTID position 0-1-90");
        assertThat(map.current().primaryOf("maria-1")).map(Node::nodeId).hasValue("maria-1-b");
        assertThat(actions.followed).as("the old primary follows the new one").containsExactly("maria-1-a->maria-1-b");
        assertThat(map.current().node("maria-1-a")).map(Node::role).hasValue(NodeRole.SYNC_REPLICA);
        assertThat(o.path("steps").get(4).path("detail").asText()).contains("maria-1-a sync-replica");
    }

    /**
     * ADR 0032: after a MariaDB failover the old primary comes back. Holding transactions the new primary never had
     * (errant GTIDs), it is refused with their names; once it holds none it is re-attached by GTID, rejoins as the
     * semi-synchronous replica, and a failback switches back to it, the other node following it.
     */
    @Test
    void aMariaDbFailbackRefusesANodeWithErrantGtidsAndReattachesOneWithout() throws Exception {
        start(List.of(), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        actions.received.put("maria-1-b", "0-1-40");
        actions.down.add("maria-1-a");
        assertThat(h.post("/v1/shards/maria-1/failover", "").status()).isEqualTo(202);
        assertThat(awaitEnded().path("toNodeId").asText()).isEqualTo("maria-1-b");
        h.post("/v1/shards/maria-1/rejoin", "{\"node\":\"maria-1-a\"}").assertProblem(409, "does not answer");

        actions.down.remove("maria-1-a"); // restarted on its data, with what it wrote before it died
        actions.errant.put("maria-1-a", List.of("0-1-41..0-1-42"));
        for (String op : List.of("rejoin", "failback")) {
            ApiHarness.Response refused = h.post("/v1/shards/maria-1/" + op, "{\"node\":\"maria-1-a\"}");
            refused.assertProblem(409, "maria-1-a holds transactions that primary maria-1-b never had (errant GTIDs:"
                    + " 0-1-41..0-1-42)");
            assertThat(refused.body()).contains("Rebuild it from maria-1-b");
        }
        assertThat(actions.followed).as("never re-pointed").isEmpty();
        assertThat(map.current().node("maria-1-a")).map(Node::role).hasValue(NodeRole.FENCED);

        actions.errant.remove("maria-1-a"); // rebuilt by its operator, not replicating yet
        ApiHarness.Response accepted = h.post("/v1/shards/maria-1/failback", "{\"reason\":\"maria-1-a back\"}");
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        JsonNode o = awaitEnded();
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps")).extracting(s -> s.path("step").asText())
                .containsExactly("prepare", "rejoin", "freeze", "catch-up", "promote", "update-map", "verify");
        assertThat(o.path("steps").get(0).path("detail").asText()).contains("re-attached as its replica by GTID");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("re-attached without a rebuild")
                .contains("maria-1-a is a sync-replica");
        assertThat(actions.followed).containsExactly("maria-1-a->maria-1-b", "maria-1-b->maria-1-a");
        assertThat(map.current().primaryOf("maria-1")).map(Node::nodeId).hasValue("maria-1-a");
        assertThat(map.current().node("maria-1-b")).map(Node::role).as("follows the node it failed back to")
                .hasValue(NodeRole.SYNC_REPLICA);
        assertThat(map.current().shard("maria-1")).map(Shard::epoch).hasValue(2L);
    }

    /**
     * A MariaDB failback whose previous instance re-attached the node and died before storing its rejoin step is
     * resumed by the next one: the rejoin finds a replica (no second re-attach) and the switchover runs.
     */
    @Test
    void aMariaDbFailbackStoppedMidRejoinIsResumedFromItsLogWithoutReattachingAgain() throws Exception {
        long t = ApiHarness.NOW.toEpochMilli();
        Orchestration stored = Orchestration.returning("failback", "fb-1", "maria-1", "maria-1-a", "maria-1-b",
                "operator", t, "failback of maria-1-b (sync-replica) to shard maria-1");
        actions.streaming.add("maria-1-b");
        start(List.of(stored), Map.of(ControlApiConfig.FAILOVER_AUTO, "false"));
        JsonNode o = awaitEnded();
        assertThat(o.path("orchestrationId").asText()).isEqualTo("fb-1");
        assertThat(o.path("state").asText()).as(o.toString()).isEqualTo("done");
        assertThat(o.path("steps").get(1).path("detail").asText()).contains("already a sync-replica");
        assertThat(actions.followed).as("only the old primary, at update-map").containsExactly("maria-1-a->maria-1-b");
        assertThat(map.current().primaryOf("maria-1")).map(Node::nodeId).hasValue("maria-1-b");
        assertThat(map.current().node("maria-1-a")).map(Node::role).hasValue(NodeRole.SYNC_REPLICA);
    }

    private JsonNode awaitEnded() {
        JsonNode[] last = new JsonNode[1];
        Await.condition("an orchestration ends", Duration.ofSeconds(20), () -> {
            JsonNode list = h.get("/v1/orchestrations").json().path("orchestrations");
            if (list.size() == 0) {
                return false;
            }
            last[0] = list.get(0);
            return !last[0].path("state").asText().equals("running");
        });
        return h.get("/v1/orchestrations/" + last[0].path("orchestrationId").asText()).json();
    }

    /** Database actions on a script: nodes in {@code down} do not answer. */
    private static final class FakeActions implements FailoverActions {
        final Set<String> down = ConcurrentHashMap.newKeySet();
        final Set<String> answersConfirmation = ConcurrentHashMap.newKeySet();
        final List<String> promoted = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> fenced = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> frozen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> thawed = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean replicaBehind;
        /** Nodes that stream from the primary (a failback or rejoin finds them replicas). */
        final Set<String> streaming = ConcurrentHashMap.newKeySet();
        /** MariaDB replicas' received GTID positions; a node missing here replicates from nothing. */
        final Map<String, String> received = new ConcurrentHashMap<>();

        final List<String> followed = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** MariaDB nodes' {@code @@gtid_binlog_pos}. */
        final Map<String, String> binlog = new ConcurrentHashMap<>();

        @Override
        public String binlogPosition(Node node, Engine engine, Duration timeout) {
            return binlog.get(node.nodeId());
        }

        /** MariaDB nodes' errant GTIDs against any primary. */
        final Map<String, List<String>> errant = new ConcurrentHashMap<>();

        @Override
        public List<String> errantTransactions(Node node, Node primary, Engine engine, Duration timeout) {
            return errant.getOrDefault(node.nodeId(), List.of());
        }

        @Override
        public String follow(Node oldPrimary, Node newPrimary, Engine engine, Duration timeout) {
            followed.add(oldPrimary.nodeId() + "->" + newPrimary.nodeId());
            streaming.add(oldPrimary.nodeId());
            return oldPrimary.nodeId() + " replicates from " + newPrimary.nodeId() + ", semi-synchronously";
        }

        @Override
        public String receivedPosition(Node replica, Engine engine, Duration timeout) {
            assertThat(engine).isEqualTo(Engine.MARIADB);
            return received.get(replica.nodeId());
        }

        @Override
        public String unreachable(Node node, Engine engine, Duration timeout) {
            return down.contains(node.nodeId()) && !answersConfirmation.contains(node.nodeId())
                    ? "connection refused" : null;
        }

        @Override
        public String promote(Node candidate, Engine engine, Duration timeout) {
            promoted.add(candidate.nodeId());
            return candidate.nodeId() + " promoted";
        }

        @Override
        public String promoteStandby(Node standby, Engine engine, String shardId, String by, Duration timeout) {
            promoted.add(standby.nodeId());
            return standby.nodeId() + " no longer fed from the archive";
        }

        @Override
        public String fence(Node oldPrimary, Engine engine, Duration timeout) {
            fenced.add(oldPrimary.nodeId());
            return "fenced";
        }

        @Override
        public String freeze(Node primary, Engine engine, Duration timeout) {
            frozen.add(primary.nodeId());
            return engine == Engine.MARIADB ? "0-1-90" : "0/3000148";
        }

        @Override
        public boolean caughtUp(Node replica, Engine engine, String position, Duration timeout) {
            assertThat(position).isEqualTo(engine == Engine.MARIADB ? "0-1-90" : "0/3000148");
            return !replicaBehind;
        }

        @Override
        public String thaw(Node node, Engine engine, Duration timeout) {
            thawed.add(node.nodeId());
            return node.nodeId() + " takes writes again";
        }

        @Override
        public String verifyWritable(Node primary, Engine engine, Duration timeout) {
            return primary.nodeId() + " takes writes";
        }

        @Override
        public String slotCopiesMissing(Node replica, Node primary, Engine engine, Duration timeout) {
            return null;
        }

        /** Nodes that hold no lasting logical slot once promoted. */
        final Set<String> slotLost = ConcurrentHashMap.newKeySet();

        @Override
        public boolean captureSlotLost(Node promoted, Engine engine, Duration timeout) {
            return slotLost.contains(promoted.nodeId());
        }

        @Override
        public ReplicaCheck replicaOf(Node node, Node primary, Engine engine, Duration timeout) {
            if (!streaming.contains(node.nodeId())) {
                throw new ControlApiException(node.nodeId() + " takes writes, so it is not a replica: rebuild it");
            }
            return new ReplicaCheck(true, node.nodeId() + " streams from " + primary.nodeId());
        }
    }
}
