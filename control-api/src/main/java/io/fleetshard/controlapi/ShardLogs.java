package io.fleetshard.controlapi;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The shards' logs ({@code fleetshard.shardlog.<shard>}, ADR 0011) as the resharder reads them: where a log ends (the
 * offset its next committed record will get), recorded before the bulk copy to measure the delta sync's lag; and the
 * application's own writes of some fleets, which explain the target's rows that changed after a cutover.
 */
interface ShardLogs extends AutoCloseable {
    /** @throws ControlApiException when the log cannot be read (Kafka unreachable, no such topic) */
    long endOffset(String shardId);

    /**
     * A reader of the untagged (application) changes of {@code fleets} in the shard's log, from the first record
     * stamped at or after {@code sinceMs}.
     */
    ApplicationWrites applicationWrites(String shardId, Set<String> fleets, long sinceMs);

    /**
     * A reader of the shard's log from {@code fromOffset} on that looks for a resharder's marker (ADR 0033: the
     * probe a cutover sends before it holds writes).
     *
     * @throws ControlApiException when the log cannot be read; by default (a reader that only serves the failover)
     */
    default Markers markers(String shardId, long fromOffset) {
        throw new ControlApiException("this reader of shard logs cannot look for resharder markers (shard " + shardId
                + ")");
    }

    /**
     * The source transaction ids (header {@code fleetshard.tx}; a MariaDB GTID) of the last {@code records} committed
     * records of the shard's log, oldest first, without repeats and without those capture retracted. The failover's
     * verify step compares them with the new primary's GTID position (ADR 0029). None by default.
     *
     * @throws ControlApiException when the log cannot be read
     */
    default List<String> lastTransactionIds(String shardId, int records) {
        return List.of();
    }

    /**
     * Where the shard's change capture is: its last position committed to capture's offsets topic (ADR 0036), which
     * says whether capture streams, is in its initial snapshot, or has committed nothing. A reader that does not
     * look at capture takes every shard as streaming.
     *
     * @throws ControlApiException when the offsets topic cannot be read
     */
    default CaptureState capture(String shardId) {
        return CaptureState.assumedStreaming(shardId);
    }

    @Override
    default void close() {
    }

    /** Committed resharder markers, read in log order. */
    interface Markers extends AutoCloseable {
        /**
         * The offset of the marker of kind {@code kind} that job {@code jobId} wrote with sequence number {@code seq}
         * or a later one, reading up to the log's end at the time of the call; -1 if it is not in the log yet.
         *
         * @throws ControlApiException when the log cannot be read
         */
        long find(String jobId, String kind, long seq);

        @Override
        void close();
    }

    /** Committed application writes, read in log order. */
    interface ApplicationWrites extends AutoCloseable {
        /**
         * Hands the key of every application write read so far and not handed yet to {@code sink}, up to the log's
         * end at the time of the call; returns how many.
         *
         * @throws ControlApiException when the log cannot be read
         */
        long readToEnd(Consumer<RowKey> sink);

        @Override
        void close();
    }
}
