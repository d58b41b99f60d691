package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.shard;
import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.MapVersionConflictException;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.shardmap.WriterFencedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a client sees for each outcome of a map commit: conflict, fencing, an unreachable log, a lagging follower. */
class MapWriteOutcomesTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final ScriptedCommitter committer = new ScriptedCommitter(map);
    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private ApiHarness start(Map<String, String> settings) {
        h = new ApiHarness(map, committer, (n, e) -> ProbeResult.up(1), () -> null, settings);
        return h;
    }

    @Test
    void retriesOnVersionConflictAgainstTheNewerMap() {
        start(Map.of());
        committer.then((base, puts, deletes) -> {
            map.commit(base, List.of(new Tenant("other", DurabilityTier.STANDARD)), List.of());
            throw new MapVersionConflictException(base, base + 1);
        });

        var r = h.post("/v1/tenants", tenant("acme", "standard"));

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().path("mapVersion").asLong()).isEqualTo(2);
        assertThat(map.current().tenants()).extracting(Tenant::tenantId).containsExactlyInAnyOrder("acme", "other");
        assertThat(committer.calls).hasValue(2);
    }

    @Test
    void revalidatesAfterAConflictSoAConcurrentCreateOfTheSameTenantIsConflict() {
        start(Map.of());
        committer.then((base, puts, deletes) -> {
            map.commit(base, List.of(new Tenant("acme", DurabilityTier.PLATINUM)), List.of());
            throw new MapVersionConflictException(base, base + 1);
        });

        h.post("/v1/tenants", tenant("acme", "standard")).assertProblem(409, "tenant acme already exists (tier platinum)");
        assertThat(map.current().tenant("acme").orElseThrow().tier()).isEqualTo(DurabilityTier.PLATINUM);
    }

    @Test
    void givesUpAfterTheConfiguredAttemptsWith503() {
        start(Map.of(ControlApiConfig.MAP_COMMIT_MAX_ATTEMPTS, "3"));
        for (int i = 0; i < 3; i++) {
            committer.then((base, puts, deletes) -> {
                map.commit(base, List.of(new Tenant("t" + base, DurabilityTier.STANDARD)), List.of());
                throw new MapVersionConflictException(base, base + 1);
            });
        }

        var r = h.post("/v1/tenants", tenant("acme", "standard"))
                .assertProblem(503, "changed concurrently on each of 3 attempts");
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(map.current().tenant("acme")).isEmpty();
    }

    @Test
    void fencedWriterAnswers503FromThenOnAndIsNotReady() {
        start(Map.of(ControlApiConfig.RETRY_AFTER_SECONDS, "7"));
        h.post("/v1/tenants", tenant("before", "standard"));
        committer.then((base, puts, deletes) -> {
            throw new WriterFencedException("producer fenced by a newer epoch", null);
        });

        var first = h.post("/v1/tenants", tenant("acme", "standard"))
                .assertProblem(503, "could not create tenant acme", "fenced", "another instance");
        assertThat(first.header("Retry-After")).isEqualTo("7");
        h.post("/v1/shards", shard("s1", "s1-p")).assertProblem(503, "fenced");
        assertThat(committer.calls).as("no commit is attempted once fenced").hasValue(2);
        assertThat(map.current().version()).isEqualTo(1);

        h.get("/readyz").assertProblem(503, "fenced");
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        assertThat(h.get("/v1/tenants/before").status()).as("reads still work").isEqualTo(200);
        assertThat(h.get("/v1/shardmap").json().path("writerFenced").asBoolean()).isTrue();
        assertThat(h.get("/metrics").body()).contains("fleetshard_control_map_writer_fenced 1.0");
    }

    @Test
    void writerBehindTheMapMeansAnotherWriterTookOverSoThisInstanceStopsWriting() {
        start(Map.of());
        committer.then((base, puts, deletes) -> {
            throw new MapVersionConflictException(base, base - 1);
        });
        map.commit(0, List.of(new Tenant("written-elsewhere", DurabilityTier.STANDARD)), List.of());

        h.post("/v1/tenants", tenant("acme", "standard")).assertProblem(503, "fenced");
        assertThat(committer.calls).as("no retry once another writer is seen").hasValue(1);
        h.get("/readyz").assertProblem(503, "fenced");
        assertThat(map.current().tenant("acme")).isEmpty();
    }

    @Test
    void unreachableLogWithTheChangeNotAppliedIs503AndSaysRetryIsSafe() {
        start(Map.of(ControlApiConfig.MAP_WAIT_TIMEOUT_MS, "50"));
        committer.then((base, puts, deletes) -> {
            throw new MapUnavailableException("timed out after 5000 ms committing the transaction", null);
        });

        var r = h.post("/v1/tenants", tenant("acme", "standard"))
                .assertProblem(503, "shard map log is unreachable", "Retrying is safe");
        assertThat(r.header("Retry-After")).isNotNull();
        assertThat(map.current().tenant("acme")).isEmpty();
        assertThat(h.get("/readyz").status()).as("an unreachable log does not fence").isEqualTo(200);

        assertThat(h.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);
    }

    @Test
    void unreachableLogWhoseChangeWasCommittedAfterAllIsReconciledAsCreated() {
        start(Map.of());
        committer.then((base, puts, deletes) -> {
            map.commit(base, puts, deletes);
            throw new MapUnavailableException("commit acknowledgement lost", null);
        });

        var r = h.post("/v1/tenants", tenant("acme", "standard"));

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.json().path("mapVersion").asLong()).isEqualTo(1);
    }

    @Test
    void createWaitsForTheFollowerSoTheNextReadHereShowsIt() throws Exception {
        HeldBackSource follower = new HeldBackSource(map);
        h = new ApiHarness(follower, map, (n, e) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.MAP_WAIT_TIMEOUT_MS, "30000"));
        map.addListener(s -> CompletableFuture.runAsync(follower::catchUp));

        var r = h.post("/v1/tenants", tenant("acme", "standard"));

        assertThat(r.status()).isEqualTo(201);
        assertThat(follower.current().version()).isEqualTo(1);
        assertThat(h.get("/v1/tenants/acme").json().path("mapVersion").asLong()).isEqualTo(1);
    }

    @Test
    void readsWaitForThisInstancesLastCommitAndAnswer503IfTheFollowerStaysBehind() {
        HeldBackSource follower = new HeldBackSource(map);
        h = new ApiHarness(follower, map, (n, e) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.MAP_WAIT_TIMEOUT_MS, "100"));

        assertThat(h.post("/v1/tenants", tenant("acme", "standard")).status())
                .as("the commit is durable even though the follower is behind").isEqualTo(201);
        h.get("/v1/tenants/acme").assertProblem(503, "follower of this instance is at version 0 but version 1 is"
                + " needed");
        h.post("/v1/tenants", tenant("beta", "standard")).assertProblem(503, "at version 0 but version 1");

        follower.catchUp();
        assertThat(h.get("/v1/tenants/acme").status()).isEqualTo(200);
    }

    @Test
    void concurrentCreatesAreSerializedIntoDistinctVersions() throws Exception {
        start(Map.of());
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<ApiHarness.Response>> distinct = new ArrayList<>();
            List<Future<ApiHarness.Response>> same = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = "t" + i;
                distinct.add(clients.submit(() -> h.post("/v1/tenants", tenant(id, "standard"))));
                same.add(clients.submit(() -> h.post("/v1/tenants", tenant("dup", "standard"))));
            }
            List<Long> versions = new ArrayList<>();
            for (Future<ApiHarness.Response> f : distinct) {
                assertThat(f.get().status()).isEqualTo(201);
                versions.add(f.get().json().path("mapVersion").asLong());
            }
            assertThat(versions).doesNotHaveDuplicates();
            long created = 0;
            for (Future<ApiHarness.Response> f : same) {
                int status = f.get().status();
                assertThat(status).isIn(201, 409);
                created += status == 201 ? 1 : 0;
            }
            assertThat(created).isEqualTo(1);
            assertThat(map.current().version()).isEqualTo(17);
        } finally {
            clients.shutdownNow();
        }
    }
}
