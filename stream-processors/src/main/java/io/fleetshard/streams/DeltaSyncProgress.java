package io.fleetshard.streams;

import java.util.concurrent.atomic.AtomicLong;

/** What a job's processor reports to its service: written by the stream thread, read by {@code status()}. */
final class DeltaSyncProgress {
    private volatile long appliedOffset = -1;
    private volatile long fenceSeq;
    private volatile String lastError;
    private final AtomicLong eventsApplied = new AtomicLong();

    void applied(TargetProgress p) {
        appliedOffset = Math.max(appliedOffset, p.sourceOffset());
        fenceSeq = Math.max(fenceSeq, p.fenceSeq());
        eventsApplied.addAndGet(p.applied());
    }

    void failed(String error) {
        lastError = error;
    }

    long appliedOffset() {
        return appliedOffset;
    }

    boolean fenceSeen() {
        return fenceSeq > 0;
    }

    long eventsApplied() {
        return eventsApplied.get();
    }

    String lastError() {
        return lastError;
    }
}
