package io.fleetshard.cdc;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;

/**
 * A capture worker in a JVM of its own, for the SIGKILL tests:
 * {@code CaptureWorkerMain <bootstrap> <prefix> <workerId> <shardIds> <engine> <jdbcUrls> <user> <password>}, where
 * {@code shardIds} and {@code jdbcUrls} are comma-separated lists of the same length.
 */
public final class CaptureWorkerMain {
    private CaptureWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        InMemoryShardMap map = new InMemoryShardMap();
        String[] shards = args[3].split(",");
        String[] urls = args[5].split(",");
        for (int i = 0; i < shards.length; i++) {
            CdcTestSupport.addShard(map, shards[i], Engine.valueOf(args[4]), urls[i]);
        }
        CaptureConfig config = CdcTestSupport.config(args[0], args[2], args[1]).credentials(args[6], args.length > 7 ? args[7] : "").build();
        CaptureWorker worker = new CaptureWorker(config, map);
        worker.start();
        System.out.println("WORKER-STARTED " + args[2]);
        Thread.currentThread().join();
    }
}
