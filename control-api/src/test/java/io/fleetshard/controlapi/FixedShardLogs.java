package io.fleetshard.controlapi;

import java.util.Set;
import java.util.function.Consumer;

/**
 * A fake of the shard logs: every log ends at {@code endOffset} and holds no application writes; a marker looked for
 * is at the end.
 */
record FixedShardLogs(long endOffset) implements ShardLogs {
    @Override
    public long endOffset(String shardId) {
        return endOffset;
    }

    @Override
    public Markers markers(String shardId, long fromOffset) {
        return new Markers() {
            @Override
            public long find(String jobId, String kind, long seq) {
                return endOffset;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public ApplicationWrites applicationWrites(String shardId, Set<String> fleets, long sinceMs) {
        return new ApplicationWrites() {
            @Override
            public long readToEnd(Consumer<RowKey> sink) {
                return 0;
            }

            @Override
            public void close() {
            }
        };
    }
}
