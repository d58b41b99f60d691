package io.fleetshard.bench;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.HashRing;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the retained heap of a 1000 × 256 ring and of the shard entities behind it (goal ≤ 5 KB per shard), by
 * the used-heap difference around building it, after full GCs.
 */
public final class RingFootprint {
    private RingFootprint() {
    }

    public static void main(String[] args) {
        int shards = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int vnodes = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        long before = usedAfterGc();
        List<Shard> list = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            list.add(Shard.withDefaultTokens("shard-" + s, ShardStatus.ACTIVE, Engine.POSTGRES, vnodes));
        }
        long withShards = usedAfterGc();
        HashRing ring = HashRing.of(list);
        long withRing = usedAfterGc();
        System.out.printf("shards=%d vnodes=%d ring=%d vnodes%n", shards, vnodes, ring.vnodeCount());
        System.out.printf("ring bytes/shard: %.0f%n", (withRing - withShards) / (double) shards);
        System.out.printf("shard entities bytes/shard: %.0f%n", (withShards - before) / (double) shards);
        System.out.printf("total map bytes/shard: %.0f%n", (withRing - before) / (double) shards);
        if (list.size() + ring.vnodeCount() < 0) {
            System.out.println("unreachable: keeps both alive");
        }
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int k = 0; k < 4; k++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
