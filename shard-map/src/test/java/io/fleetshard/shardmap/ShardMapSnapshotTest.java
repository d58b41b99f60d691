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

    @Test
    void listsTheStrayFleetsEachShardOfAJobMayHoldForItsTenant() {
        Shard s3 = Shard.withDefaultTokens("s3", ShardStatus.ACTIVE, Engine.POSTGRES, 256);
        ReshardJob afterCutover = job("j1", "s1", "s2", List.of("acme/moved", "beta/b1"), ReshardPhase.CLEANUP);
        ReshardJob beforeCutover = job("j2", "s2", "s3", List.of("acme/moving"), ReshardPhase.CATCHUP);
        ReshardJob failed = job("j3", "s3", "s1", List.of("acme/gone", "acme/stayed"), ReshardPhase.FAILED);
        ShardMapSnapshot map = ShardMapSnapshot.of(1, List.of(s1, s2, s3, new Tenant("acme", DurabilityTier.STANDARD),
                new Tenant("beta", DurabilityTier.STANDARD), new Fleet("acme", "moved", "s2"),
                new Fleet("beta", "b1", "s2"), new Fleet("acme", "moving", "s2"), new Fleet("acme", "stayed", "s3"),
                new Fleet("acme", "home", "s1"), afterCutover, beforeCutover, failed));
        // the source of a cut-over move until its cleanup; the failed job's target; "gone" is not in the map
        assertThat(map.strayFleetsOn("s1", "acme")).containsExactly("moved", "stayed");
        assertThat(map.strayFleetsOn("s1", "beta")).containsExactly("b1");
        // the owner of every fleet its jobs name
        assertThat(map.strayFleetsOn("s2", "acme")).isEmpty();
        // the target of a move before its cutover
        assertThat(map.strayFleetsOn("s3", "acme")).containsExactly("moving");
        assertThat(map.strayFleetsOn("s3", "beta")).isEmpty();
        assertThat(map.strayFleetsOn("nope", "acme")).isEmpty();
        // a new placement changes the answer: the snapshot after it indexes again
        ShardMapSnapshot next = map.apply(2, List.of(new Fleet("acme", "moving", "s3")), List.of());
        assertThat(next.strayFleetsOn("s3", "acme")).isEmpty();
        assertThat(next.strayFleetsOn("s2", "acme")).containsExactly("moving");
    }

    private static ReshardJob job(String id, String source, String target, List<String> fleets, ReshardPhase phase) {
        return new ReshardJob(id, ReshardKind.MOVE, source, target, fleets, List.of(), phase, -1, 0, 0, false, null);
    }
}
