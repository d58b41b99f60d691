package io.fleetshard.controlapi;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fake of the shard logs ({@link FixedShardLogs}) whose shards' change capture is in the state a test sets; a shard
 * not set streams, and none can be read while {@link #unreadable}. Counts the reads of capture's position.
 */
final class CaptureStatesShardLogs implements ShardLogs {
    private final FixedShardLogs logs = new FixedShardLogs(0L);
    private final Map<String, CaptureState.Stage> stages = new ConcurrentHashMap<>();
    final Map<String, Integer> reads = new ConcurrentHashMap<>();
    volatile boolean unreadable;

    CaptureStatesShardLogs set(String shardId, CaptureState.Stage stage) {
        stages.put(shardId, stage);
        return this;
    }

    @Override
    public CaptureState capture(String shardId) {
        reads.merge(shardId, 1, Integer::sum);
        if (unreadable) {
            throw new ControlApiException("Timeout expired while fetching topic metadata");
        }
        return new CaptureState(shardId, stages.getOrDefault(shardId, CaptureState.Stage.STREAMING), 1_000L);
    }

    @Override
    public long endOffset(String shardId) {
        return logs.endOffset(shardId);
    }

    @Override
    public Markers markers(String shardId, long fromOffset) {
        return logs.markers(shardId, fromOffset);
    }

    @Override
    public ApplicationWrites applicationWrites(String shardId, Set<String> fleets, long sinceMs) {
        return logs.applicationWrites(shardId, fleets, sinceMs);
    }
}
