package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.Await;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

class NodePoolsTest {
    /** Nothing listens there: pools start without failing and keep trying in the background. */
    private static final String NOWHERE = "jdbc:postgresql://127.0.0.1:1/fleet";

    @Test
    void aNodeWhoseRoleChangesKeepsItsPoolMetricsOnceTheOldPoolIsClosed() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor();
        ExecutorService closer = Executors.newSingleThreadExecutor();
        RouterConfig config = TestTokens.routerConfig().tenantSecret("a-tenant-secret-of-some-length")
                .requestTimeoutMs(300).poolMaxSize(3).poolMinIdle(0).build();
        Shard shard = Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 8);
        try (NodePools pools = new NodePools(config, registry, housekeeping, closer)) {
            pools.sync(ShardMapSnapshot.of(1, List.of(shard,
                    new Node("s1-a", "s1", NodeRole.PRIMARY, "eu", "eu-a", NOWHERE),
                    new Node("s1-b", "s1", NodeRole.SYNC_REPLICA, "eu", "eu-b", NOWHERE))));
            assertThat(maxConnections(registry, "router-s1-b")).isNotNull();

            // a failover: s1-b becomes the primary (a new pool of the same name), s1-a leaves the pools
            pools.sync(ShardMapSnapshot.of(2, List.of(shard,
                    new Node("s1-a", "s1", NodeRole.FENCED, "eu", "eu-a", NOWHERE),
                    new Node("s1-b", "s1", NodeRole.PRIMARY, "eu", "eu-b", NOWHERE))));
            Await.condition("the old pools to close after the request timeout", Duration.ofSeconds(30),
                    () -> pools.retiring() == 0 && closerIdle(closer));
            assertThat(maxConnections(registry, "router-s1-a")).as("a node out of the pools").isNull();

            Gauge max = maxConnections(registry, "router-s1-b");
            assertThat(max).as("the new pool of s1-b still has its meters").isNotNull();
            assertThat(max.value()).isEqualTo(3);
        } finally {
            housekeeping.shutdownNow();
            closer.shutdownNow();
        }
    }

    private static Gauge maxConnections(SimpleMeterRegistry registry, String pool) {
        return registry.find("hikaricp.connections.max").tag("pool", pool).gauge();
    }

    /** True once every close handed to {@code closer} before now has run. */
    private static boolean closerIdle(ExecutorService closer) {
        try {
            return closer.submit(() -> true).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
