package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShardMapSnapshotTest {
    private final Shard s1 = Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 256);
    private final Shard s2 = Shard.withDefaultTokens("s2", ShardStatus.ACTIVE, Engine.MARIADB, 256);

    @Test
    void routesFleetToPinnedShardOverTheRing() {
        ShardMapSnapshot map = ShardMapSnapshot.of(1, List.of(s1, s2, new Tenant("acme", DurabilityTier.STANDARD)));
        Fleet free = new Fleet("acme", "f1", null);
        String ringShard = map.shardFor(free);
        String other = ringShard.equals("s1") ? "s2" : "s1";
        Fleet pinned = new Fleet("acme", "f1", other);
        assertThat(map.shardFor(pinned)).isEqualTo(other);
    }

    @Test
    void applyingATransactionReplacesAndDeletesEntitiesAndKeepsTheOldSnapshotIntact() {
        ShardMapSnapshot v1 = ShardMapSnapshot.of(1, List.of(s1, new Tenant("acme", DurabilityTier.STANDARD),
                new Fleet("acme", "f1", null), new Fleet("acme", "f2", null)));
        ShardMapSnapshot v2 = v1.apply(2, List.of(new Tenant("acme", DurabilityTier.PLATINUM)),
                List.of(Fleet.keyOf("acme", "f2")));
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.tenant("acme").orElseThrow().tier()).isEqualTo(DurabilityTier.PLATINUM);
        assertThat(v2.fleetsOf("acme")).extracting(Fleet::fleetId).containsExactly("f1");
        assertThat(v1.fleetsOf("acme")).extracting(Fleet::fleetId).containsExactly("f1", "f2");
        assertThat(v1.tenant("acme").orElseThrow().tier()).isEqualTo(DurabilityTier.STANDARD);
    }

    @Test
    void rejectsAVersionThatGoesBack() {
        ShardMapSnapshot v5 = ShardMapSnapshot.of(5, List.of(s1));
        assertThatThrownBy(() -> v5.apply(4, List.of(), List.of())).hasMessageContaining("must not go back");
    }

    @Test
    void listsNodesPrimaryFirstAndTenantShards() {
        Node replica = new Node("s1-r", "s1", NodeRole.SYNC_REPLICA, "eu-west-1", "eu-west-1b", "jdbc:postgresql://h/r");
        Node primary = new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", "jdbc:postgresql://h/p");
        ShardMapSnapshot map = ShardMapSnapshot.of(1, List.of(s1, replica, primary,
                new Tenant("acme", DurabilityTier.STANDARD), new Fleet("acme", "f1", "s1")));
        assertThat(map.nodesOf("s1")).extracting(Node::nodeId).containsExactly("s1-p", "s1-r");
        assertThat(map.primaryOf("s1")).contains(primary);
        assertThat(map.shardsOfTenant("acme")).containsExactly("s1");
    }

    @Test
    void inMemoryMapRejectsAStaleBaseVersion() {
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(s1), List.of());
        assertThatThrownBy(() -> map.commit(0, List.of(s2), List.of()))
                .isInstanceOf(MapVersionConflictException.class)
                .hasMessageContaining("based on version 0 but the map is at version 1");
    }
}
