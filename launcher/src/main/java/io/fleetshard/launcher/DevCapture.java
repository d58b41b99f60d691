package io.fleetshard.launcher;

import io.fleetshard.cdc.CaptureConfig;
import io.fleetshard.cdc.CaptureWorker;
import io.fleetshard.cdc.DbCredentials;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.ShardMapSource;

/** Change capture of every demo shard in {@code fleetshard dev}: one capture worker owning all shards. */
final class DevCapture {
    private DevCapture() {
    }

    static CaptureWorker start(String bootstrapServers, ShardMapSource map) {
        CaptureConfig.Builder config = CaptureConfig.builder(bootstrapServers, "dev-capture-1")
                .credentials("postgres", "");
        for (DemoTopology.DemoShard shard : DemoTopology.SHARDS) {
            if (shard.engine() != Engine.POSTGRES) {
                config.shardCredentials(shard.shardId(), new DbCredentials("root", ""));
            }
        }
        CaptureWorker worker = new CaptureWorker(config.build(), map);
        worker.start();
        return worker;
    }
}
