package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.HashRing;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /v1/reshards} against an in-memory map: planning, its refusals, and operator actions (no database work). */
class ReshardEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap(ShardMapSnapshot.of(1, initial()));
    private final ApiHarness h = new ApiHarness(map, map, (node, engine) -> ProbeResult.up(1), () -> null,
            Map.of(ControlApiConfig.RESHARD_TICK_MS, "60000"));

    ReshardEndpointsTest() {
        h.api.enableResharding(new FixedShardLogs(100L));
    }

    private static List<MapEntity> initial() {
        List<MapEntity> e = new ArrayList<>(List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("pg-1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("pg-2", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Shard("pg-4", ShardStatus.ACTIVE, Engine.POSTGRES, new long[0]),
                new Shard("maria-1", ShardStatus.ACTIVE, Engine.MARIADB, new long[0])));
        for (String s : List.of("pg-1", "pg-2", "pg-4", "maria-1")) {
            e.add(new Node(s + "-a", s, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", "jdbc:postgresql://127.0.0.1:1/x"));
        }
        for (int i = 0; i < 40; i++) {
            e.add(new Fleet("acme", "f" + i, null));
        }
        e.add(new Fleet("acme", "pinned", "pg-1"));
        return e;
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private String shardOf(String fleet) {
        ShardMapSnapshot s = map.current();
        return s.shardFor(s.fleet("acme", fleet).orElseThrow());
    }

    private static String move(String fleet, String to) {
        return "{\"kind\":\"move\",\"fleet\":\"acme/" + fleet + "\",\"to\":\"" + to + "\"}";
    }

    @Test
    void plansAMoveAsAJobInTheMap() {
        String from = shardOf("f1");
        String to = from.equals("pg-1") ? "pg-2" : "pg-1";

        ApiHarness.Response r = h.post("/v1/reshards", move("f1", to));

        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = r.json();
        String id = job.path("jobId").asText();
        assertThat(r.header("Location")).isEqualTo("/v1/reshards/" + id);
        assertThat(job.path("phase").asText()).isEqualTo("precopy");
        assertThat(job.path("sourceShardId").asText()).isEqualTo(from);
        assertThat(job.path("targetShardId").asText()).isEqualTo(to);
        assertThat(job.path("fleets").toString()).isEqualTo("[\"acme/f1\"]");
        ReshardJob inMap = map.current().reshard(id).orElseThrow();
        assertThat(inMap.phase()).isEqualTo(ReshardPhase.PRECOPY);
        assertThat(h.get("/v1/reshards/" + id).json().path("progress").has("copy")).isTrue();
        assertThat(h.get("/v1/reshards").json().path("reshards").get(0).path("jobId").asText()).isEqualTo(id);
    }

    @Test
    void refusesBadRequestsWithPreciseProblemsAndWritesNothing() {
        long before = map.current().version();
        String from = shardOf("f1");
        String other = from.equals("pg-1") ? "pg-2" : "pg-1";
        h.post("/v1/reshards", "{\"kind\":\"teleport\"}").assertProblem(400, "kind must be one of move, split, merge");
        h.post("/v1/reshards", "{\"kind\":\"move\",\"to\":\"pg-2\"}").assertProblem(400, "fleet is required");
        h.post("/v1/reshards", "{\"kind\":\"move\",\"fleet\":\"acme\",\"to\":\"pg-2\"}")
                .assertProblem(400, "fleet must be 'tenant/fleet'");
        h.post("/v1/reshards", move("nope", "pg-2")).assertProblem(404, "fleet acme/nope does not exist");
        h.post("/v1/reshards", move("f1", "pg-9")).assertProblem(404, "target shard pg-9 does not exist");
        h.post("/v1/reshards", move("f1", from)).assertProblem(409, "already on shard " + from);
        // a move between engines reads both catalogs first (ADR 0047): this map's nodes do not answer
        h.post("/v1/reshards", move("f1", "maria-1")).assertProblem(503, "cannot read the tables of shards " + from
                + " and maria-1 to check a move between engines");
        h.post("/v1/reshards", "{\"kind\":\"merge\",\"shard\":\"pg-2\",\"into\":\"maria-1\"}")
                .assertProblem(422, "shard pg-2 is postgres and shard maria-1 is mariadb: a merge between engines is"
                        + " not supported");
        h.post("/v1/reshards", "{\"kind\":\"split\",\"shard\":\"pg-1\",\"into\":[\"pg-2\",\"pg-4\"]}")
                .assertProblem(400, "into[0] must be the split shard pg-1");
        h.post("/v1/reshards", "{\"kind\":\"split\",\"shard\":\"pg-1\",\"into\":[\"pg-1\",\"pg-1\"]}")
                .assertProblem(400, "into[1] must be another shard than the split shard pg-1");
        h.post("/v1/reshards", "{\"kind\":\"merge\",\"shard\":\"pg-2\",\"into\":\"pg-2\"}")
                .assertProblem(400, "a shard cannot be merged into itself");
        h.post("/v1/reshards", "{\"kind\":\"merge\",\"shard\":\"pg-7\",\"into\":\"pg-1\"}")
                .assertProblem(404, "merged shard pg-7 does not exist");
        h.post("/v1/reshards", "{\"kind\":\"split\",\"shard\":\"pg-4\",\"into\":[\"pg-4\",\"pg-2\"]}")
                .assertProblem(422, "nothing to split");
        h.get("/v1/reshards/rs-nope").assertProblem(404, "reshard job rs-nope does not exist");
        assertThat(map.current().version()).isEqualTo(before);

        assertThat(h.post("/v1/reshards", move("f1", other)).status()).isEqualTo(202);
        h.post("/v1/reshards", move("f1", "pg-4"))
                .assertProblem(409, "fleet acme/f1 is already moving in reshard job");
    }

    @Test
    void aDownPrimaryIsRefused() throws Exception {
        try (ApiHarness down = new ApiHarness(map, map, (node, engine) -> node.nodeId().equals("pg-2-a")
                ? ProbeResult.failed("connection refused", 1) : ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.RESHARD_TICK_MS, "60000", ControlApiConfig.PROBE_FAILURES_BEFORE_DOWN, "1"))) {
            down.api.enableResharding(new FixedShardLogs(0L));
            down.api.probeNow();
            String fleet = shardOf("f1").equals("pg-2") ? "f2" : "f1";
            for (int i = 0; shardOf(fleet).equals("pg-2"); i++) {
                fleet = "f" + i;
            }
            down.post("/v1/reshards", move(fleet, "pg-2")).assertProblem(409, "the primary pg-2-a of shard pg-2 is down");
        }
    }

    @Test
    void splitHandsEveryOtherTokenAndMovesExactlyTheFleetsOnThem() {
        ApiHarness.Response r = h.post("/v1/reshards",
                "{\"kind\":\"split\",\"shard\":\"pg-1\",\"into\":[\"pg-1\",\"pg-4\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        ReshardJob job = map.current().reshard(r.json().path("jobId").asText()).orElseThrow();
        assertThat(job.tokens()).hasSize(8);

        ShardMapSnapshot before = map.current();
        ShardMapSnapshot after = before.apply(before.version() + 1, ReshardPlanner.placementAfter(job, before),
                List.of());
        Set<String> changed = new TreeSet<>();
        for (Fleet f : after.fleets()) {
            if (!before.shardFor(before.fleet(f.tenantId(), f.fleetId()).orElseThrow()).equals(after.shardFor(f))) {
                changed.add(f.tenantId() + "/" + f.fleetId());
            }
        }
        assertThat(changed).containsExactlyElementsOf(job.fleets());
        assertThat(after.shard("pg-4").orElseThrow().vnodeCount()).isEqualTo(8);
        assertThat(after.shard("pg-1").orElseThrow().vnodeCount()).isEqualTo(8);
        assertThat(after.fleet("acme", "pinned").orElseThrow().pinnedShardId()).isEqualTo("pg-1");
    }

    @Test
    void mergeMovesEveryFleetOfTheShardPinnedOnesIncluded() {
        ApiHarness.Response r = h.post("/v1/reshards", "{\"kind\":\"merge\",\"shard\":\"pg-1\",\"into\":\"pg-2\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        ReshardJob job = map.current().reshard(r.json().path("jobId").asText()).orElseThrow();
        ShardMapSnapshot before = map.current();
        ShardMapSnapshot after = before.apply(before.version() + 1, ReshardPlanner.placementAfter(job, before),
                List.of());
        assertThat(job.fleets()).contains("acme/pinned");
        for (String key : job.fleets()) {
            Fleet f = after.fleet("acme", key.substring(5)).orElseThrow();
            assertThat(after.shardFor(f)).as(key).isEqualTo("pg-2");
        }
        assertThat(after.shard("pg-1").orElseThrow().vnodeCount()).isZero();
        assertThat(HashRing.of(after.shards()).vnodeCount()).isEqualTo(32);
    }

    @Test
    void autoMoveSendsTheHottestFleetToTheShardWithFewestFleets() throws Exception {
        String hotShard = shardOf("f7");
        try (ApiHarness auto = new ApiHarness(map, map, (node, engine) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.RESHARD_TICK_MS, "20", ControlApiConfig.RESHARD_AUTO, "true"))) {
            auto.api.enableResharding(new FixedShardLogs(0L));
            auto.api.autoMoveFrom(() -> List.of(new HotFleetBoard.HotFleet("acme", "f7", hotShard, 50_000, 0, 60_000)));
            io.fleetshard.testkit.Await.condition("an auto-move job", java.time.Duration.ofSeconds(10),
                    () -> !map.current().reshards().isEmpty());
            ReshardJob job = map.current().reshards().iterator().next();
            assertThat(job.fleets()).containsExactly("acme/f7");
            assertThat(job.sourceShardId()).isEqualTo(hotShard);
            assertThat(job.targetShardId()).isEqualTo("pg-4"); // the postgres shard holding no fleet
        }
    }

    @Test
    void aShardWhoseCaptureDoesNotStreamYetIsRefusedAndNothingStarts() throws Exception {
        CaptureStatesShardLogs capture = new CaptureStatesShardLogs();
        try (ApiHarness c = new ApiHarness(map, map, (node, engine) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.RESHARD_TICK_MS, "60000"))) {
            c.api.enableResharding(capture);
            String from = shardOf("f1");
            String to = from.equals("pg-1") ? "pg-2" : "pg-1";
            long before = map.current().version();

            capture.set(from, CaptureState.Stage.SNAPSHOT);
            ApiHarness.Response r = c.post("/v1/reshards", move("f1", to));
            r.assertProblem(409, "change capture of source shard " + from + " is still in its initial snapshot",
                    "snapshot reads (op r)", "Retry once capture of " + from + " streams");
            assertThat(r.json().path("type").asText()).endsWith("/capture-not-streaming");
            assertThat(r.header("Retry-After")).isNotBlank();

            capture.set(from, CaptureState.Stage.STREAMING).set("pg-4", CaptureState.Stage.NONE);
            c.post("/v1/reshards", move("f1", "pg-4")).assertProblem(409,
                    "change capture of target shard pg-4 has committed no position yet", "retry once it streams");
            c.post("/v1/reshards", "{\"kind\":\"split\",\"shard\":\"pg-1\",\"into\":[\"pg-1\",\"pg-4\"]}")
                    .assertProblem(409, "target shard pg-4 has committed no position yet");
            capture.set("pg-2", CaptureState.Stage.SNAPSHOT);
            c.post("/v1/reshards", "{\"kind\":\"merge\",\"shard\":\"pg-2\",\"into\":\"pg-1\"}")
                    .assertProblem(409, "source shard pg-2 is still in its initial snapshot");
            // the cheaper refusals come first: an unknown fleet is 404 without reading capture
            c.post("/v1/reshards", move("nope", "pg-4")).assertProblem(404, "fleet acme/nope does not exist");
            assertThat(map.current().version()).as("nothing written to the map").isEqualTo(before);
            assertThat(map.current().reshards()).isEmpty();

            capture.set("pg-1", CaptureState.Stage.STREAMING).set("pg-2", CaptureState.Stage.STREAMING);
            capture.unreadable = true;
            c.post("/v1/reshards", move("f1", to)).assertProblem(503, "cannot tell whether change capture of shards "
                    + from + " and " + to + " streams: Timeout expired while fetching topic metadata");
            assertThat(map.current().reshards()).isEmpty();
            capture.unreadable = false;
            assertThat(c.post("/v1/reshards", move("f1", to)).status()).isEqualTo(202);
        }
    }

    @Test
    void autoMoveSkipsShardsWhoseCaptureDoesNotStreamYet() throws Exception {
        List<MapEntity> entities = new ArrayList<>(initial());
        entities.add(new Shard("pg-3", ShardStatus.ACTIVE, Engine.POSTGRES, new long[0]));
        entities.add(new Node("pg-3-a", "pg-3", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                "jdbc:postgresql://127.0.0.1:1/x"));
        InMemoryShardMap four = new InMemoryShardMap(ShardMapSnapshot.of(1, entities));
        ShardMapSnapshot s = four.current();
        String onPg2 = s.fleets().stream().filter(f -> s.shardFor(f).equals("pg-2")).findFirst().orElseThrow()
                .fleetId();
        String onPg1 = s.fleets().stream().filter(f -> !f.isPinned() && s.shardFor(f).equals("pg-1")).findFirst()
                .orElseThrow().fleetId();
        CaptureStatesShardLogs capture = new CaptureStatesShardLogs()
                .set("pg-2", CaptureState.Stage.SNAPSHOT) // the hottest fleet's shard: skipped
                .set("pg-4", CaptureState.Stage.NONE); // a least-loaded target without capture: not chosen
        try (ApiHarness auto = new ApiHarness(four, four, (node, engine) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.RESHARD_TICK_MS, "20", ControlApiConfig.RESHARD_AUTO, "true"))) {
            auto.api.enableResharding(capture);
            auto.api.autoMoveFrom(() -> List.of(new HotFleetBoard.HotFleet("acme", onPg2, "pg-2", 90_000, 0, 60_000),
                    new HotFleetBoard.HotFleet("acme", onPg1, "pg-1", 50_000, 0, 60_000)));
            io.fleetshard.testkit.Await.condition("an auto-move job", java.time.Duration.ofSeconds(10),
                    () -> !four.current().reshards().isEmpty());
            ReshardJob job = four.current().reshards().iterator().next();
            assertThat(job.fleets()).containsExactly("acme/" + onPg1);
            assertThat(job.sourceShardId()).isEqualTo("pg-1");
            assertThat(job.targetShardId()).isEqualTo("pg-3");
            assertThat(four.current().reshards()).hasSize(1);
        }
    }

    @Test
    void hotFleetBoardKeepsTheNewestWindowPerFleet() {
        HotFleetBoard board = new HotFleetBoard("127.0.0.1:1", java.time.Clock.fixed(java.time.Instant.ofEpochMilli(
                200_000), java.time.ZoneOffset.UTC), java.time.Duration.ofSeconds(100));
        board.accept("{\"tenantId\":\"acme\",\"fleetId\":\"a\",\"shardId\":\"pg-1\",\"writes\":10,\"windowStartMs\":0,\"windowEndMs\":60000}".getBytes());
        board.accept("{\"tenantId\":\"acme\",\"fleetId\":\"b\",\"shardId\":\"pg-1\",\"writes\":30,\"windowStartMs\":120000,\"windowEndMs\":180000}".getBytes());
        board.accept("{\"tenantId\":\"acme\",\"fleetId\":\"c\",\"shardId\":\"pg-2\",\"writes\":20,\"windowStartMs\":120000,\"windowEndMs\":180000}".getBytes());
        board.accept("{\"tenantId\":\"acme\",\"fleetId\":\"b\",\"shardId\":\"pg-1\",\"writes\":5,\"windowStartMs\":60000,\"windowEndMs\":120000}".getBytes());
        board.accept("not json".getBytes());
        assertThat(board.current()).extracting(HotFleetBoard.HotFleet::fleetId).containsExactly("b", "c");
        assertThat(board.current().get(0).writes()).isEqualTo(30);
        board.close();
    }

    @Test
    void cancelPauseAndResumeAreMapTransactions() {
        String from = shardOf("f3");
        String to = from.equals("pg-1") ? "pg-2" : "pg-1";
        String id = h.post("/v1/reshards", move("f3", to)).json().path("jobId").asText();

        h.post("/v1/reshards/" + id + "/pause", "{\"x\":1}").assertProblem(400, "x");
        h.post("/v1/reshards/" + id + "/cancel", "garbage").assertProblem(400, "not valid JSON");
        assertThat(map.current().reshard(id).orElseThrow().paused()).as("nothing done on a refused body").isFalse();
        assertThat(h.post("/v1/reshards/" + id + "/pause", "{}").json().path("paused").asBoolean()).isTrue();
        assertThat(h.post("/v1/reshards/" + id + "/resume", "").json().path("paused").asBoolean()).isFalse();
        assertThat(h.post("/v1/reshards/" + id + "/pause", "").json().path("paused").asBoolean()).isTrue();
        assertThat(h.post("/v1/reshards/" + id + "/resume", "").json().path("paused").asBoolean()).isFalse();
        ApiHarness.Response cancelled = h.post("/v1/reshards/" + id + "/cancel", "");
        assertThat(cancelled.status()).isEqualTo(202);
        assertThat(cancelled.json().path("phase").asText()).isEqualTo("cancelling");
        assertThat(h.post("/v1/reshards/" + id + "/cancel", "").status()).isEqualTo(202);

        ReshardJob j = map.current().reshard(id).orElseThrow();
        ReshardJob validating = new ReshardJob("rs-v", j.kind(), j.sourceShardId(), j.targetShardId(),
                List.of("acme/f5"), List.of(), ReshardPhase.VALIDATE, 3, 0, 0, false, null);
        map.commit(map.current().version(), List.of(validating), List.of());
        h.post("/v1/reshards/rs-v/cancel", "").assertProblem(409, "can be cancelled only before its cutover");
    }
}
