package io.fleetshard.shardmap;

/**
 * The routing token of a fleet: Murmur3 x64_128 (low 64 bits) of the UTF-8 bytes of {@code tenantId + "/" + fleetId}.
 * See {@code docs/spec/shard-map-records.md}; every component that places or finds a fleet uses this one function.
 */
public final class FleetToken {
    private FleetToken() {
    }

    public static long of(String tenantId, String fleetId) {
        return Murmur3.hash64(tenantId, '/', fleetId);
    }

    /** Token of vnode {@code index} of a shard, used when a shard is registered without explicit tokens. */
    public static long ofVnode(String shardId, int index) {
        return Murmur3.hash64(shardId, '#', Integer.toString(index));
    }
}
