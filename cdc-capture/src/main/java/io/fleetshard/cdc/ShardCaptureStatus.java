package io.fleetshard.cdc;

/**
 * What a worker knows about one shard it captures.
 *
 * @param state           {@code starting}, {@code running}, {@code backoff} (failed, will retry) or {@code stopped}
 * @param streaming       the engine reads the source's change stream: its initial snapshot (if any) is done, so a
 *                        write committed from now on reaches the change topics as {@code c}/{@code u}/{@code d},
 *                        never as a snapshot read {@code r}; only ever true in state {@code running}
 * @param lastError       the last failure, with what to do, or null
 * @param eventsPublished change events committed to change topics by this worker since it took the shard
 * @param lostTransactions MariaDB: the last time capture found it had published transactions the shard's current
 *                        primary does not hold (after a failover) and what it retracted (ADR 0029), or null
 */
public record ShardCaptureStatus(String shardId, String state, boolean streaming, String lastError,
                                 long eventsPublished, String lostTransactions) {
    public ShardCaptureStatus(String shardId, String state, boolean streaming, String lastError, long eventsPublished) {
        this(shardId, state, streaming, lastError, eventsPublished, null);
    }
}
