package io.fleetshard.cdc;

/**
 * What a worker knows about one shard it captures.
 *
 * @param state           {@code starting}, {@code running}, {@code backoff} (failed, will retry) or {@code stopped}
 * @param lastError       the last failure, with what to do, or null
 * @param eventsPublished change events committed to change topics by this worker since it took the shard
 */
public record ShardCaptureStatus(String shardId, String state, String lastError, long eventsPublished) {
}
