package io.fleetshard.router;

/**
 * Recent WAL positions of a shard's primary, as probed: a ring of change points {@code (firstSeenMs, lastSeenMs, lsn)},
 * one per distinct LSN, so an idle primary keeps one entry however long it idles. It answers how stale a replica is:
 * how long ago the primary was last seen at or before the replica's replayed position.
 *
 * <p>The answer is an upper bound with the resolution of the probe interval (the primary may have passed the replica's
 * position any time after it was last seen there). When the replica is behind everything remembered, the answer is
 * the age of the oldest entry, a lower bound; the ring holds {@link #CAPACITY} changes (about 50 s at a 100 ms probe
 * interval under constant writes). Thread-safe.
 */
final class PrimaryLsnHistory {
    static final int CAPACITY = 512;

    private final long[] firstSeen = new long[CAPACITY];
    private final long[] lastSeen = new long[CAPACITY];
    private final long[] lsns = new long[CAPACITY];
    private int size;
    private int newest = -1;

    /** Records that the primary was at {@code lsn} at {@code timeMs}. LSNs never go back; a smaller one is ignored. */
    synchronized void record(long timeMs, long lsn) {
        if (newest >= 0) {
            int cmp = Long.compareUnsigned(lsn, lsns[newest]);
            if (cmp == 0) {
                lastSeen[newest] = Math.max(lastSeen[newest], timeMs);
                return;
            }
            if (cmp < 0) {
                return;
            }
        }
        newest = (newest + 1) % CAPACITY;
        firstSeen[newest] = timeMs;
        lastSeen[newest] = timeMs;
        lsns[newest] = lsn;
        size = Math.min(size + 1, CAPACITY);
    }

    /**
     * Staleness in ms of a replica that has replayed up to {@code replayLsn}, measured at {@code nowMs}: 0 when it has
     * everything the primary was last seen at, else how long ago the primary was last seen at or before its position;
     * -1 when nothing is known yet.
     */
    synchronized long lagMs(long replayLsn, long nowMs) {
        if (size == 0) {
            return -1;
        }
        if (Long.compareUnsigned(replayLsn, lsns[newest]) >= 0) {
            return 0;
        }
        int at = newest;
        for (int k = 0; k < size; k++) {
            if (Long.compareUnsigned(lsns[at], replayLsn) <= 0) {
                return Math.max(0, nowMs - lastSeen[at]);
            }
            at = (at - 1 + CAPACITY) % CAPACITY;
        }
        int oldest = (newest - size + 1 + CAPACITY) % CAPACITY;
        return Math.max(0, nowMs - firstSeen[oldest]);
    }

    synchronized int size() {
        return size;
    }
}
