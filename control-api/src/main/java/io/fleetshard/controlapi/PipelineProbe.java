package io.fleetshard.controlapi;

import java.sql.SQLException;
import java.util.function.LongSupplier;

/**
 * Tells a reshard job's catch-up whether the path a fence would take — the source's change capture, its shard log,
 * the delta sync, the target — is current, before the cutover holds writes (ADR 0033). The delta sync's lag in the
 * shard log cannot show that: what capture has not read from the source's WAL or binlog yet is in no log. So the
 * catch-up sends a <em>probe</em>, a tagged resharder transaction on the source with marker kind {@code probe} that
 * holds nothing (no fence, no row of any fleet), finds it in the source's shard log, and waits for the target's
 * progress row to show the delta sync past it. A probe that made that trip within {@code boundMs} says a fence sent
 * now would too; a slower one is followed by another once it has arrived.
 *
 * <p>A machine that is merely slow, without a backlog, could keep every probe over the bound: once probes have been
 * sent for {@code giveUpAfterMs}, the next probe sent is accepted as soon as it arrives, whatever its trip took (it
 * was sent after any backlog that delayed the earlier ones had drained). Correctness never rests on the probe: the
 * fence's own marker orders the cutover (ADR 0013); the probe only keeps writes from being held behind a backlog.
 *
 * <p>Not thread-safe: one job's worker calls {@link #check} in its catch-up loop.
 */
final class PipelineProbe {
    /** What the probe needs of the pipeline, one job's source and target. */
    interface Pipeline {
        /** Commits an empty tagged transaction with marker kind {@code probe} on the source; its marker's sequence number. */
        long send() throws SQLException;

        /** The shard-log offset of the probe marker {@code seq}, or -1 while capture has not published it. */
        long offsetOf(long seq);

        /** The last shard-log offset the delta sync applied on the target (its progress row), -1 if none. */
        long applied() throws SQLException;
    }

    /** Where the probe is: {@code current} once the cutover may go; {@code waitingMs} the age of the probe in flight. */
    record Status(boolean current, long seq, long waitingMs, long lastTripMs, int sent, String where) {
    }

    private final Pipeline pipeline;
    private final long boundMs;
    private final long giveUpAfterMs;
    private final LongSupplier nanos;
    private long firstSentNanos = -1;
    private long seq = -1;
    private long sentNanos;
    private long offset = -1;
    private boolean lenient;
    private long lastTripMs = -1;
    private int sent;

    PipelineProbe(Pipeline pipeline, long boundMs, long giveUpAfterMs, LongSupplier nanos) {
        if (boundMs <= 0 || giveUpAfterMs < 0) {
            throw new IllegalArgumentException("boundMs must be positive and giveUpAfterMs not negative, got "
                    + boundMs + " and " + giveUpAfterMs);
        }
        this.pipeline = pipeline;
        this.boundMs = boundMs;
        this.giveUpAfterMs = giveUpAfterMs;
        this.nanos = nanos;
    }

    /** Whether a probe is on its way (the caller polls faster then: its arrival time is the measurement). */
    boolean inFlight() {
        return seq >= 0;
    }

    /**
     * Sends a probe if none is in flight, else looks where the one in flight is. Returns {@code current} once a probe
     * arrived within the bound (or, after {@code giveUpAfterMs} of probing, at all); a probe that arrived late is
     * followed by a new one at the next call.
     */
    Status check() throws SQLException {
        long now = nanos.getAsLong();
        if (seq < 0) {
            lenient = firstSentNanos >= 0 && now - firstSentNanos >= giveUpAfterMs * 1_000_000;
            seq = pipeline.send();
            sentNanos = nanos.getAsLong();
            offset = -1;
            sent++;
            if (firstSentNanos < 0) {
                firstSentNanos = sentNanos;
            }
            return status(false, sentNanos, "probe " + seq + " sent on the source");
        }
        if (offset < 0) {
            offset = pipeline.offsetOf(seq);
            if (offset < 0) {
                return status(false, now, "probe " + seq + " not yet in the source's shard log (capture is behind"
                        + " the source)");
            }
        }
        long applied = pipeline.applied();
        if (applied < offset) {
            return status(false, now, "probe " + seq + " at shard-log offset " + offset + ", the delta sync applied"
                    + " through " + applied);
        }
        long tripMs = (now - sentNanos) / 1_000_000;
        lastTripMs = tripMs;
        long doneSeq = seq;
        seq = -1;
        if (tripMs <= boundMs || lenient) {
            return new Status(true, doneSeq, 0, tripMs, sent, "probe " + doneSeq + " reached the target in " + tripMs
                    + " ms" + (tripMs <= boundMs ? "" : " (over the " + boundMs + " ms bound; accepted after "
                    + giveUpAfterMs + " ms of probing)"));
        }
        return new Status(false, doneSeq, 0, tripMs, sent, "probe " + doneSeq + " reached the target in " + tripMs
                + " ms, over the " + boundMs + " ms bound: probing again");
    }

    private Status status(boolean current, long now, String where) {
        return new Status(current, seq, Math.max(0, (now - sentNanos) / 1_000_000), lastTripMs, sent, where);
    }
}
