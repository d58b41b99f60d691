package io.fleetshard.shardmap;

import java.util.Arrays;
import java.util.Objects;

/**
 * A shard: a node group holding the fleets whose tokens fall on its vnodes' arcs. Each vnode token owns the arc of the
 * ring up to and including it.
 */
public final class Shard implements MapEntity {
    public static final int DEFAULT_VNODES = 256;

    private final String shardId;
    private final ShardStatus status;
    private final Engine engine;
    private final long[] vnodeTokens; // sorted, distinct
    private final long epoch;

    /** A shard at epoch 0: no failover yet. */
    public Shard(String shardId, ShardStatus status, Engine engine, long[] vnodeTokens) {
        this(shardId, status, engine, vnodeTokens, 0);
    }

    /**
     * @param epoch how many times the shard's primary was replaced (failover, switchover); nodes of an older epoch
     *     (role {@code fenced}) are never routed to
     */
    public Shard(String shardId, ShardStatus status, Engine engine, long[] vnodeTokens, long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch of shard " + shardId + " must be >= 0, got " + epoch);
        }
        this.epoch = epoch;
        this.shardId = Ids.require("shardId", shardId);
        this.status = Objects.requireNonNull(status, "status");
        this.engine = Objects.requireNonNull(engine, "engine");
        long[] tokens = vnodeTokens.clone();
        Arrays.sort(tokens);
        for (int i = 1; i < tokens.length; i++) {
            if (tokens[i] == tokens[i - 1]) {
                throw new IllegalArgumentException("shard " + shardId + " lists vnode token " + tokens[i] + " twice");
            }
        }
        this.vnodeTokens = tokens;
    }

    /** A shard with {@code vnodes} tokens derived from its id ({@link FleetToken#ofVnode}). */
    public static Shard withDefaultTokens(String shardId, ShardStatus status, Engine engine, int vnodes) {
        if (vnodes < 1 || vnodes > 4096) {
            throw new IllegalArgumentException("vnodes must be between 1 and 4096, got " + vnodes);
        }
        long[] tokens = new long[vnodes];
        for (int i = 0; i < vnodes; i++) {
            tokens[i] = FleetToken.ofVnode(Ids.require("shardId", shardId), i);
        }
        return new Shard(shardId, status, engine, tokens);
    }

    public static String keyOf(String shardId) {
        return "shard:" + shardId;
    }

    public String shardId() {
        return shardId;
    }

    public ShardStatus status() {
        return status;
    }

    public Engine engine() {
        return engine;
    }

    public int vnodeCount() {
        return vnodeTokens.length;
    }

    /** Sorted vnode tokens (a copy). */
    public long[] vnodeTokens() {
        return vnodeTokens.clone();
    }

    long tokenAt(int i) {
        return vnodeTokens[i];
    }

    public long epoch() {
        return epoch;
    }

    public Shard withStatus(ShardStatus newStatus) {
        return new Shard(shardId, newStatus, engine, vnodeTokens, epoch);
    }

    /** The same shard owning {@code tokens} instead (a split, move of vnodes or merge). */
    public Shard withVnodeTokens(long[] tokens) {
        return new Shard(shardId, status, engine, tokens, epoch);
    }

    /** The same shard with its epoch one higher: its primary was replaced. */
    public Shard nextEpoch() {
        return new Shard(shardId, status, engine, vnodeTokens, epoch + 1);
    }

    @Override
    public String entityKey() {
        return keyOf(shardId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shard s && shardId.equals(s.shardId) && status == s.status && engine == s.engine
                && epoch == s.epoch && Arrays.equals(vnodeTokens, s.vnodeTokens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(shardId, status, engine, epoch, Arrays.hashCode(vnodeTokens));
    }

    @Override
    public String toString() {
        return "Shard[" + shardId + ", " + status.wireName() + ", " + engine.wireName() + ", " + vnodeTokens.length
                + " vnodes, epoch " + epoch + "]";
    }
}
