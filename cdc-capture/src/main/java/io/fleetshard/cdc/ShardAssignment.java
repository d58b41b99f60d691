package io.fleetshard.cdc;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/** Which partition of the assignment topic a shard belongs to: whoever the group gives that partition captures it. */
final class ShardAssignment {
    private ShardAssignment() {
    }

    static int partitionOf(String shardId, int partitions) {
        return Utils.toPositive(Utils.murmur2(shardId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
