package io.fleetshard.shardmap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Consistent-hash ring over the vnode tokens of the ring-owning shards. A vnode token owns the arc from the previous
 * token (exclusive) up to itself (inclusive); tokens above the largest wrap to the smallest. Tokens compare as signed
 * longs.
 *
 * <p>Immutable; {@link #shardFor(long)} is a binary search over a primitive array and allocates nothing. Memory is
 * 12 bytes per vnode (3 KB for a shard of 256 vnodes) plus one id string per shard.
 */
public final class HashRing {
    private static final HashRing EMPTY = new HashRing(new long[0], new int[0], new String[0]);

    private final long[] tokens;
    private final int[] owners;
    private final String[] shardIds;

    private HashRing(long[] tokens, int[] owners, String[] shardIds) {
        this.tokens = tokens;
        this.owners = owners;
        this.shardIds = shardIds;
    }

    public static HashRing empty() {
        return EMPTY;
    }

    /**
     * Builds the ring of the given shards that own arcs. When two shards list the same token, the shard whose id sorts
     * first owns it, so every reader builds the same ring from the same map.
     */
    public static HashRing of(Collection<Shard> shards) {
        List<Shard> owning = new ArrayList<>();
        for (Shard s : shards) {
            if (s.status().ownsRing() && s.vnodeCount() > 0) {
                owning.add(s);
            }
        }
        owning.sort(Comparator.comparing(Shard::shardId));
        int total = 0;
        for (Shard s : owning) {
            total += s.vnodeCount();
        }
        long[] packedTokens = new long[total];
        int[] packedOwners = new int[total];
        String[] ids = new String[owning.size()];
        // merge: collect (token, owner) pairs, then sort by token, then owner
        long[][] pairs = new long[total][];
        int n = 0;
        for (int o = 0; o < owning.size(); o++) {
            Shard s = owning.get(o);
            ids[o] = s.shardId();
            for (int i = 0; i < s.vnodeCount(); i++) {
                pairs[n++] = new long[] {s.tokenAt(i), o};
            }
        }
        Arrays.sort(pairs, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int w = 0;
        for (int i = 0; i < n; i++) {
            if (w > 0 && packedTokens[w - 1] == pairs[i][0]) {
                continue; // duplicate token: first shard by id keeps it
            }
            packedTokens[w] = pairs[i][0];
            packedOwners[w] = (int) pairs[i][1];
            w++;
        }
        return new HashRing(Arrays.copyOf(packedTokens, w), Arrays.copyOf(packedOwners, w), ids);
    }

    public boolean isEmpty() {
        return tokens.length == 0;
    }

    public int vnodeCount() {
        return tokens.length;
    }

    /** The shard owning {@code token}; throws if the ring is empty. */
    public String shardFor(long token) {
        if (tokens.length == 0) {
            throw new IllegalStateException("the hash ring is empty: register a shard first");
        }
        return shardIds[owners[vnodeIndexFor(token)]];
    }

    /** Index of the vnode owning {@code token}: the first token at or above it, wrapping to 0. */
    int vnodeIndexFor(long token) {
        int lo = 0;
        int hi = tokens.length - 1;
        if (token > tokens[hi]) {
            return 0;
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tokens[mid] < token) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public String toString() {
        return "HashRing[" + shardIds.length + " shards, " + tokens.length + " vnodes]";
    }
}
