package io.fleetshard.shardmap;

/**
 * A fleet of a tenant: the unit of placement. {@code pinnedShardId} is null unless the fleet is pinned, in which case
 * it overrides the ring (dedicated shards, hot fleets).
 */
public record Fleet(String tenantId, String fleetId, String pinnedShardId) implements MapEntity {
    public Fleet {
        Ids.require("tenantId", tenantId);
        Ids.require("fleetId", fleetId);
        if (pinnedShardId != null) {
            Ids.require("shardId", pinnedShardId);
        }
    }

    public static String keyOf(String tenantId, String fleetId) {
        return "fleet:" + tenantId + "/" + fleetId;
    }

    public boolean isPinned() {
        return pinnedShardId != null;
    }

    public long token() {
        return FleetToken.of(tenantId, fleetId);
    }

    @Override
    public String entityKey() {
        return keyOf(tenantId, fleetId);
    }
}
