package io.fleetshard.shardmap;

import java.util.Locale;

/** Lifecycle of a shard. Only {@link #ACTIVE} and {@link #DRAINING} shards own arcs of the ring. */
public enum ShardStatus {
    ACTIVE, DRAINING, RETIRED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean ownsRing() {
        return this != RETIRED;
    }

    public static ShardStatus parse(String s) {
        for (ShardStatus e : values()) {
            if (e.wireName().equals(s)) {
                return e;
            }
        }
        throw new IllegalArgumentException("status must be one of active, draining, retired, got " + DurabilityTier.quote(s));
    }
}
