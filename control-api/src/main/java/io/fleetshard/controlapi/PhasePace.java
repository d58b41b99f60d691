package io.fleetshard.controlapi;

/**
 * How fast a phase that works through a known number of rows (copy, validation) goes, for its ETA. It keeps what was
 * done when, and estimates from the rate over the later half of the work done so far when that half spans a few steps:
 * a slow start (cold caches, the JIT compiling the copy's path) does not stretch the whole estimate, yet one range
 * does not swing it alone (with fewer steps the rate is the phase's so far). The
 * phase's closing step, a map transaction that moves the job on, is added as measured the last time.
 *
 * <p>Bounded: when its sample buffer fills, every other sample is dropped, so a long phase keeps samples from its whole
 * length at a coarser grain.
 */
final class PhasePace {
    private static final int SAMPLES = 256;
    /** Fewest recorded steps the later-half rate must span; one coarse range alone swings it by half. */
    private static final int MIN_STEPS = 4;
    private final long[] atMs = new long[SAMPLES];
    private final long[] done = new long[SAMPLES];
    private int count;

    /** Starts the phase afresh at {@code nowMs} with nothing done. */
    synchronized void start(long nowMs) {
        count = 0;
        add(0, nowMs);
    }

    /** Records that {@code doneSoFar} rows of the phase are done at {@code nowMs}. */
    synchronized void record(long doneSoFar, long nowMs) {
        if (count == 0) {
            return; // not started
        }
        if (count == SAMPLES) {
            for (int i = 1; i < SAMPLES / 2; i++) { // keep samples 0, 2, 4, ...: the start stays
                atMs[i] = atMs[2 * i];
                done[i] = done[2 * i];
            }
            count = SAMPLES / 2;
        }
        add(doneSoFar, nowMs);
    }

    private void add(long d, long ms) {
        atMs[count] = ms;
        done[count] = d;
        count++;
    }

    /**
     * Estimated ms until the phase ends, or -1 when there is no estimate yet (nothing done, no total, not started).
     *
     * @param doneNow rows done now
     * @param total rows the phase works through
     * @param closingMs what the phase's last step took the last time it ran (a map transaction); -1 when unknown
     */
    synchronized long eta(long doneNow, long total, long nowMs, long closingMs) {
        long closing = Math.max(0, closingMs);
        if (count == 0 || total < 0 || doneNow <= 0) {
            return -1;
        }
        if (doneNow >= total) {
            return Math.max(0, closing - (nowMs - atMs[count - 1]));
        }
        // the newest sample at or below half of what is done: the rate is taken from there to now, if that spans
        // enough steps to average over; with few (validation's handful of coarse ranges) from the start
        int from = 0;
        for (int i = count - 1; i >= 0; i--) {
            if (done[i] * 2 <= doneNow) {
                from = count - 1 - i >= MIN_STEPS ? i : 0;
                break;
            }
        }
        long work = doneNow - done[from];
        long elapsed = nowMs - atMs[from];
        if (work <= 0 || elapsed <= 0) {
            return -1;
        }
        return (long) ((total - doneNow) * (elapsed / (double) work)) + closing;
    }
}
