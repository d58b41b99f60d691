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
     * The source transaction ids (header {@code fleetshard.tx}; a MariaDB GTID) of the last {@code records} committed
     * records of the shard's log, oldest first, without repeats and without those capture retracted. The failover's
     * verify step compares them with the new primary's GTID position (ADR 0029). None by default.
     *
     * @throws ControlApiException when the log cannot be read
     */
    default List<String> lastTransactionIds(String shardId, int records) {
        return List.of();
    }

    @Override
    default void close() {
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
