package io.fleetshard.streams;

/** Where a delta sync job's Kafka Streams app is (derived from {@code KafkaStreams.State}). */
public enum DeltaSyncState {
    /** Created, or starting: seeding the start offset, first rebalance. */
    STARTING,
    /** Partition assignment changing; applies resume after it. */
    REBALANCING,
    /** Applying (or caught up: see {@link DeltaSyncStatus#lag()}). */
    RUNNING,
    /** Stopped by a fatal error ({@link DeltaSyncStatus#lastError()}); the next {@code reconcile} that still wants
     * the job starts it again from its committed offset. */
    FAILED,
    /** Closing or closed. */
    STOPPED
}
