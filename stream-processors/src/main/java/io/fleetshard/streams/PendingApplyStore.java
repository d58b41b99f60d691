package io.fleetshard.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The changes a delta sync task has read but not yet applied, and the hook that applies them before every Kafka
 * commit: Kafka Streams flushes a task's stores before it commits the task's offsets (in the same exactly-once
 * transaction), so {@link #flush()} writes the pending changes to the target first. A crash before the target's
 * commit loses nothing (Kafka's offsets did not move either); a crash between the two replays records that the
 * target's progress row already covers, and they are skipped ({@link TargetWriter}). Not logged to a changelog: the
 * target's progress row is the state.
 */
final class PendingApplyStore implements StateStore {
    private final String name;
    private final Supplier<TargetWriter> writers;
    private final DeltaSyncProgress progress;
    private final DeltaSyncMetrics metrics;
    private final List<TargetChange> pending = new ArrayList<>();
    private TargetWriter writer;
    private long pendingLastOffset = -1;
    private long pendingFenceSeq;
    private long storedOffset = -1;
    private long storedFenceSeq;
    private boolean open;

    PendingApplyStore(String name, Supplier<TargetWriter> writers, DeltaSyncProgress progress, DeltaSyncMetrics metrics) {
        this.name = name;
        this.writers = writers;
        this.progress = progress;
        this.metrics = metrics;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        writer = writers.get();
        TargetProgress stored = writer.stored();
        storedOffset = stored.sourceOffset();
        storedFenceSeq = stored.fenceSeq();
        progress.applied(stored);
        context.register(root, (key, value) -> {
            throw new IllegalStateException("the pending-apply store has no changelog to restore");
        });
        open = true;
    }

    /**
     * Makes sure the target shows that the delta sync runs (its start announcement, which a held job's init skipped):
     * true once it does. Called by the processor before it handles anything.
     */
    boolean announce() {
        if (writer.announced()) {
            return true;
        }
        TargetProgress stored = writer.stored();
        storedOffset = Math.max(storedOffset, stored.sourceOffset());
        storedFenceSeq = Math.max(storedFenceSeq, stored.fenceSeq());
        progress.applied(stored);
        return writer.announced();
    }

    /** The offset the target's progress row covers: records at or below it are applied already. */
    long storedOffset() {
        return storedOffset;
    }

    /**
     * Records the handling of the record at {@code offset}: a change to apply, or none (skipped), and the marker
     * sequence number of the job's fence when the record is one (else 0).
     */
    void add(TargetChange change, long offset, long fenceSeq) {
        if (change != null) {
            pending.add(change);
        }
        pendingLastOffset = Math.max(pendingLastOffset, offset);
        pendingFenceSeq = Math.max(pendingFenceSeq, fenceSeq);
    }

    int pendingChanges() {
        return pending.size();
    }

    /** Applies what is pending in one target transaction; nothing to do when no record was handled since. */
    @Override
    public void flush() {
        if (pendingLastOffset <= storedOffset && pendingFenceSeq <= storedFenceSeq) {
            clearPending();
            return;
        }
        long start = System.nanoTime();
        TargetProgress p = writer.apply(List.copyOf(pending), pendingLastOffset, pendingFenceSeq);
        metrics.batch(System.nanoTime() - start, p.applied());
        progress.applied(p);
        storedOffset = p.sourceOffset();
        storedFenceSeq = p.fenceSeq();
        clearPending();
    }

    private void clearPending() {
        pending.clear();
        pendingLastOffset = -1;
        pendingFenceSeq = 0;
    }

    @Override
    public void close() {
        open = false;
        clearPending();
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds one store per task; never cached, never logged. */
    static StoreBuilder<PendingApplyStore> builder(String name, Supplier<TargetWriter> writers, DeltaSyncProgress progress,
            DeltaSyncMetrics metrics) {
        return new StoreBuilder<>() {
            @Override
            public StoreBuilder<PendingApplyStore> withCachingEnabled() {
                throw new UnsupportedOperationException("the pending-apply store is never cached");
            }

            @Override
            public StoreBuilder<PendingApplyStore> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<PendingApplyStore> withLoggingEnabled(Map<String, String> config) {
                throw new UnsupportedOperationException("the pending-apply store has no changelog: the target's progress row is the state");
            }

            @Override
            public StoreBuilder<PendingApplyStore> withLoggingDisabled() {
                return this;
            }

            @Override
            public PendingApplyStore build() {
                return new PendingApplyStore(name, writers, progress, metrics);
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return false;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
