package io.fleetshard.cdc;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;

/**
 * A capture worker in a JVM of its own, for the SIGKILL tests:
 * {@code CaptureWorkerMain <bootstrap> <prefix> <workerId> <shardId> <engine> <jdbcUrl> <user> <password>}.
 */
public final class CaptureWorkerMain {
    private CaptureWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, args[3], Engine.valueOf(args[4]), args[5]);
        CaptureConfig config = CdcTestSupport.config(args[0], args[2], args[1]).credentials(args[6], args.length > 7 ? args[7] : "").build();
        CaptureWorker worker = new CaptureWorker(config, map);
        worker.start();
        System.out.println("WORKER-STARTED " + args[2]);
        Thread.currentThread().join();
    }
}
