package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How `./fleetshard dev` restarts its MariaDB shard on kept data: the kept map's roles, the nodes' last ids. */
class DevMariaDbRestartTest {
    private static final DemoTopology.DemoShard MARIA = DemoTopology.SHARDS.stream()
            .filter(s -> s.engine() == Engine.MARIADB && s.withReplica()).findFirst().orElseThrow();

    private static ShardMapSnapshot map(NodeRole a, NodeRole b) {
        String id = MARIA.shardId();
        List<MapEntity> e = List.of(Shard.withDefaultTokens(id, ShardStatus.ACTIVE, Engine.MARIADB, 16),
                new Node(id + "-a", id, a, "r", "ra", "jdbc:mariadb://127.0.0.1:1/fleet"),
                new Node(id + "-b", id, b, "r", "ra", "jdbc:mariadb://127.0.0.1:2/fleet"));
        return ShardMapSnapshot.of(7, e);
    }

    @Test
    void aFailedOverMariaDbShardRestartsWithThePromotedNodeAsPrimaryAndTheFencedOneStopped() {
        DevPlatform.KeptRoles roles = DevPlatform.KeptRoles.of(MARIA, map(NodeRole.FENCED, NodeRole.PRIMARY));
        assertThat(roles.primaryId()).isEqualTo(MARIA.replicaNodeId());
        assertThat(roles.otherId()).isEqualTo(MARIA.primaryNodeId());
        assertThat(roles.otherStarts()).isFalse();
        assertThat(roles.why()).contains("map version 7").contains("fenced");
    }

    @Test
    void aSwitchedOverMariaDbShardRestartsSwitchedOverWithItsReplica() {
        DevPlatform.KeptRoles roles = DevPlatform.KeptRoles.of(MARIA, map(NodeRole.SYNC_REPLICA, NodeRole.PRIMARY));
        assertThat(roles.primaryId()).isEqualTo(MARIA.replicaNodeId());
        assertThat(roles.otherStarts()).isTrue();
        DevPlatform.KeptRoles layout = DevPlatform.KeptRoles.of(MARIA, map(NodeRole.PRIMARY, NodeRole.SYNC_REPLICA));
        assertThat(layout.primaryId()).isEqualTo(MARIA.primaryNodeId());
        assertThat(layout.why()).isNull();
        assertThat(DevPlatform.KeptRoles.of(MARIA, null).primaryId()).isEqualTo(MARIA.primaryNodeId());
    }

    @Test
    void aRebuiltNodesServerIdAndGtidDomainAreKeptForTheNextStart(@TempDir Path data) throws Exception {
        DevMariaDbIds layoutA = DevMariaDbIds.layout(MARIA, MARIA.primaryNodeId());
        assertThat(layoutA).isEqualTo(new DevMariaDbIds(1, 0));
        assertThat(DevMariaDbIds.layout(MARIA, MARIA.replicaNodeId())).isEqualTo(new DevMariaDbIds(3, 3));
        assertThat(DevMariaDbIds.read(data, MARIA.primaryNodeId(), layoutA)).as("never ran").isEqualTo(layoutA);

        new DevMariaDbIds(11, 11).write(data, MARIA.primaryNodeId());
        assertThat(DevMariaDbIds.read(data, MARIA.primaryNodeId(), layoutA)).isEqualTo(new DevMariaDbIds(11, 11));
        new DevMariaDbIds(12, 12).write(data, MARIA.primaryNodeId());
        assertThat(DevMariaDbIds.read(data, MARIA.primaryNodeId(), layoutA)).isEqualTo(new DevMariaDbIds(12, 12));
        try (var files = Files.list(data)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(MARIA.primaryNodeId()
                    + ".mariadb-ids");
        }

        Files.writeString(data.resolve(MARIA.replicaNodeId() + ".mariadb-ids"), "server_id=x\n");
        assertThatThrownBy(() -> DevMariaDbIds.read(data, MARIA.replicaNodeId(), layoutA))
                .hasMessageContaining("--fresh");
    }
}
