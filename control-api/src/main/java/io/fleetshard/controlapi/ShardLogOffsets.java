package io.fleetshard.controlapi;

/**
 * Where a shard's log ({@code fleetshard.shardlog.<shard>}, ADR 0011) ends: the offset its next committed record
 * will get. A reshard job records it before the bulk copy and measures the delta sync's lag against it.
 */
interface ShardLogOffsets extends AutoCloseable {
    /** @throws ControlApiException when the log cannot be read (Kafka unreachable, no such topic) */
    long endOffset(String shardId);

    @Override
    default void close() {
    }
}
