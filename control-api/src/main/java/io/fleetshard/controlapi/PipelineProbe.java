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
 * sent for {@code giveUpAfterMs}, a late probe is accepted when its trip was steady — at least three quarters of the
 * trip of the probe before it. A backlog that is still draining shows as trips that keep shrinking (13.5 s, then
 * 3.6 s in an {@code OnlineReshardIT} run), and a fence sent then would still wait behind its rest; a slow machine's
 * trips stay about the same. After twice {@code giveUpAfterMs} the next probe is accepted whatever its trip.
 * Correctness never rests on the probe: the fence's own marker orders the cutover (ADR 0013); the probe only keeps
 * writes from being held behind a backlog.
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
    private boolean lastResort;
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
            lastResort = firstSentNanos >= 0 && now - firstSentNanos >= 2 * giveUpAfterMs * 1_000_000;
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
        long previousTripMs = lastTripMs;
        lastTripMs = tripMs;
        long doneSeq = seq;
        seq = -1;
        boolean steady = previousTripMs >= 0 && tripMs * 4 >= previousTripMs * 3;
        if (tripMs <= boundMs || lenient && steady || lastResort) {
            return new Status(true, doneSeq, 0, tripMs, sent, "probe " + doneSeq + " reached the target in " + tripMs
                    + " ms" + (tripMs <= boundMs ? "" : lastResort && !steady ? " (over the " + boundMs
                    + " ms bound; accepted after " + 2 * giveUpAfterMs + " ms of probing)" : " (over the " + boundMs
                    + " ms bound but steady, the one before took " + previousTripMs + " ms; accepted after "
                    + giveUpAfterMs + " ms of probing)"));
        }
        return new Status(false, doneSeq, 0, tripMs, sent, "probe " + doneSeq + " reached the target in " + tripMs
                + " ms, over the " + boundMs + " ms bound" + (lenient ? " and " + previousTripMs + " ms before it"
                + " (a backlog still draining)" : "") + ": probing again");
    }

    private Status status(boolean current, long now, String where) {
        return new Status(current, seq, Math.max(0, (now - sentNanos) / 1_000_000), lastTripMs, sent, where);
    }
}
