package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A change staged ahead (the cutover's placement, ADR 0043): committed later as one map transaction, dropped without a
 * trace, and no other change of the instance comes between.
 */
class StagedMapChangeTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final MapTransactionRunner runner = new MapTransactionRunner(new ScriptedCommitter(map),
            new MapVersionTracker(map), Clock.systemUTC(), ApiHarness.config(Map.of()), new SimpleMeterRegistry());

    private static MapTransactionRunner.MapChange<String> create(String tenantId) {
        return m -> {
            if (m.tenant(tenantId).isPresent()) {
                throw ApiProblem.conflict("tenant " + tenantId + " exists");
            }
            return MapTransactionRunner.Plan.put(List.of(new Tenant(tenantId, DurabilityTier.STANDARD)), tenantId);
        };
    }

    @Test
    void aStagedChangeCommitsOnItsBaseAndOtherChangesWaitForIt() throws Exception {
        runner.run("create tenant first", create("first"));
        MapTransactionRunner.Staged<String> staged = runner.stage("create tenant ahead", create("ahead"));
        CompletableFuture<Long> other = CompletableFuture.supplyAsync(
                () -> runner.run("create tenant other", create("other")).mapVersion());

        assertThat(map.current().tenant("ahead")).isEmpty();
        assertThat(other).isNotDone(); // holds the write lock: no change comes between its base and its commit
        MapTransactionRunner.Committed<String> done = staged.commit();

        assertThat(done.mapVersion()).isEqualTo(2);
        assertThat(done.result()).isEqualTo("ahead");
        assertThat(done.steps().stagedUs()).isGreaterThanOrEqualTo(0);
        assertThat(map.current().tenant("ahead")).isPresent();
        assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo(3);
    }

    @Test
    void anAbortedStagedChangeLeavesTheMapAsItWasAndLetsTheNextChangeIn() {
        runner.run("create tenant first", create("first"));
        MapTransactionRunner.Staged<String> staged = runner.stage("create tenant dropped", create("dropped"));

        staged.abort();
        staged.abort(); // a second abort does nothing

        assertThat(runner.run("create tenant next", create("next")).mapVersion()).isEqualTo(2);
        assertThat(map.current().tenant("dropped")).isEmpty();
        assertThatThrownBy(staged::commit).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aStagedChangeThatIsNotAllowedIsRejectedAndHoldsNothing() {
        runner.run("create tenant first", create("first"));

        assertThatThrownBy(() -> runner.stage("create tenant first", create("first")))
                .isInstanceOf(ApiProblem.class).hasMessageContaining("exists");
        assertThat(runner.run("create tenant next", create("next")).mapVersion()).isEqualTo(2);
    }
}
