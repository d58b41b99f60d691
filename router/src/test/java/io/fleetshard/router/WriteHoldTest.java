package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WriteHoldTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ShardMapChanges changes = new ShardMapChanges(map);

    WriteHoldTest() {
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                Shard.withDefaultTokens("s2", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Fleet("acme", "f1", "s1"), new Fleet("acme", "f2", "s1")), List.of());
        map.addListener(changes::onNewMap);
    }

    private WriteHold hold(long holdMs) {
        return new WriteHold(changes, holdMs, new RouterMetrics(registry));
    }

    private void pin(String fleet, String shard) {
        map.commit(map.current().version(), List.of(new Fleet("acme", fleet, shard)), List.of());
    }

    private double held(String outcome) {
        return registry.counter("fleetshard.router.held.writes", "outcome", outcome).count();
    }

    @Test
    void retriesOnlyWhenTheMapPlacesTheFleetOnAnotherShard() {
        ShardMapSnapshot before = map.current();
        assertThat(WriteHold.next(before, "acme", "f1", "s1")).isEqualTo(WriteHold.Step.WAIT);
        pin("f2", "s2");
        assertThat(WriteHold.next(map.current(), "acme", "f1", "s1")).as("another fleet moved")
                .isEqualTo(WriteHold.Step.WAIT);
        pin("f1", "s2");
        assertThat(WriteHold.next(map.current(), "acme", "f1", "s1")).isEqualTo(WriteHold.Step.RETRY);
        assertThat(WriteHold.next(map.current(), "acme", "f1", "s2")).as("fenced on its new shard too")
                .isEqualTo(WriteHold.Step.WAIT);
        assertThat(WriteHold.next(map.current(), "acme", "gone", "s1")).as("unregistered: the retry answers 404")
                .isEqualTo(WriteHold.Step.RETRY);
    }

    @Test
    void aMapThatMovedTheFleetBeforeTheHoldBeganReleasesItAtOnce() {
        long seen = map.current().version();
        pin("f1", "s2");
        ShardMapSnapshot next = hold(60_000).awaitMove("acme", "f1", "s1", seen, System.nanoTime());
        assertThat(next.version()).isEqualTo(seen + 1);
        assertThat(held("retried")).isEqualTo(1.0);
    }

    @Test
    void aHeldWriteWakesOnTheMapChangeThatMovesItsFleet() throws Exception {
        long seen = map.current().version();
        WriteHold hold = hold(60_000);
        CompletableFuture<ShardMapSnapshot> waiter = CompletableFuture.supplyAsync(
                () -> hold.awaitMove("acme", "f1", "s1", seen, System.nanoTime()));
        pin("f2", "s2"); // not the held fleet: keeps waiting
        pin("f1", "s2");
        ShardMapSnapshot next = waiter.get(30, TimeUnit.SECONDS);
        assertThat(map.current().shardFor(next.fleet("acme", "f1").orElseThrow())).isEqualTo("s2");
        assertThat(next.version()).isEqualTo(seen + 2);
    }

    @Test
    void aHoldWithoutAMoveEndsIn503NamingTheFleetWithRetryAfter() {
        WriteHold hold = hold(20);
        assertThatThrownBy(() -> hold.awaitMove("acme", "f1", "s1", map.current().version(), System.nanoTime()))
                .isInstanceOfSatisfying(ApiProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(503);
                    assertThat(p.type()).isEqualTo("fleet-moving");
                    assertThat(p.retryAfterSeconds()).isEqualTo(1);
                    assertThat(p.detail()).contains("fleet f1 of tenant acme is being moved")
                            .contains("router.reshard.hold.ms").contains("shard s1").contains("nothing was written");
                });
        assertThat(held("timed-out")).isEqualTo(1.0);
        assertThat(held("retried")).isZero();
    }

    @Test
    void retryAfterIsTheHoldRoundedUpToSecondsAndAtLeastOne() {
        assertThat(WriteHold.retryAfterSeconds(0)).isEqualTo(1);
        assertThat(WriteHold.retryAfterSeconds(2000)).isEqualTo(2);
        assertThat(WriteHold.retryAfterSeconds(2001)).isEqualTo(3);
    }
}
