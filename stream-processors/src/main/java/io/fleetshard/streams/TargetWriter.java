package io.fleetshard.streams;

import java.util.List;

/**
 * The target shard of one delta sync job (ADR 0013). Each {@link #apply} is one transaction on the target that
 * begins with the resharder's marker upsert (so capture tags it), applies the changes whose offset is above the
 * stored progress offset, in order, and moves the progress row to {@code lastOffset} (never backwards) and
 * {@code fenceSeq}, the marker sequence number of the job's newest fence applied (never backwards; 0: none in this
 * batch). A fence lifted and written again is a new marker with a higher sequence number, which is how the control
 * API tells the fence it waits for from an older one the delta sync replays. Changes at or below the stored offset were applied by an earlier
 * transaction (a replay after a crash between the target's commit and Kafka's, or a zombie instance) and are skipped,
 * so each change is applied once, in log order.
 *
 * <p>The real one is {@link JdbcTargetWriter}; tests use an in-memory fake.
 */
interface TargetWriter extends AutoCloseable {

    /** The progress stored on the target (tables created if missing). */
    TargetProgress stored();

    /**
     * Whether the target shows that the delta sync runs (its progress row at the start offset - 1 or later): false
     * only while the job is held before its first {@link #stored()} after the release (ADR 0030).
     */
    default boolean announced() {
        return true;
    }

    /** Applies {@code changes} (offsets rising, all at most {@code lastOffset}) and the progress, in one transaction. */
    TargetProgress apply(List<TargetChange> changes, long lastOffset, long fenceSeq);

    @Override
    void close();
}
