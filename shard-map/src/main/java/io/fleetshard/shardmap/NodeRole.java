package io.fleetshard.shardmap;

/** Role of a node in its shard's node group. */
public enum NodeRole {
    PRIMARY("primary"), SYNC_REPLICA("sync-replica"), REPLICA("replica"), STANDBY("standby"),
    /** A former primary replaced by a failover: out of service, never routed to, kept for failback. */
    FENCED("fenced");

    private final String wireName;

    NodeRole(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** True for nodes that serve reads but not writes. */
    public boolean isReplica() {
        return this == SYNC_REPLICA || this == REPLICA || this == STANDBY;
    }

    public static NodeRole parse(String s) {
        for (NodeRole r : values()) {
            if (r.wireName.equals(s)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role must be one of primary, sync-replica, replica, standby, fenced, got "
                + DurabilityTier.quote(s));
    }
}
