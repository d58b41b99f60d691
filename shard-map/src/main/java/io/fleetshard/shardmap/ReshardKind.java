package io.fleetshard.shardmap;

import java.util.Locale;

/** What a reshard job does; every kind is a set of fleets moving from one shard to another (ADR 0013). */
public enum ReshardKind {
    /** Named fleets move; at cutover they are pinned to the target. */
    MOVE,
    /** Half of the source's vnode arcs move; at cutover their tokens belong to the target. */
    SPLIT,
    /** All of the source moves; at cutover its tokens and pins go to the target and it drains. */
    MERGE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ReshardKind parse(String s) {
        for (ReshardKind k : values()) {
            if (k.wireName().equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("kind must be one of move, split, merge, got " + DurabilityTier.quote(s));
    }
}
