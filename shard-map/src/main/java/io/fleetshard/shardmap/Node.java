package io.fleetshard.shardmap;

import java.util.Objects;

/** A database server of a shard's node group. */
public record Node(String nodeId, String shardId, NodeRole role, String region, String az, String jdbcUrl)
        implements MapEntity {
    public Node {
        Ids.require("nodeId", nodeId);
        Ids.require("shardId", shardId);
        Objects.requireNonNull(role, "role");
        Ids.require("region", region);
        Ids.require("az", az);
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException("jdbcUrl of node " + nodeId + " must start with 'jdbc:', got "
                    + DurabilityTier.quote(jdbcUrl));
        }
    }

    public static String keyOf(String nodeId) {
        return "node:" + nodeId;
    }

    public Node withRole(NodeRole newRole) {
        return new Node(nodeId, shardId, newRole, region, az, jdbcUrl);
    }

    @Override
    public String entityKey() {
        return keyOf(nodeId);
    }
}
