package io.fleetshard.streams;

/**
 * The target's {@code fleetshard_reshard_progress} row of a job after a transaction ({@code sourceOffset} -1 when
 * there is none yet), and how many changes that transaction applied.
 */
record TargetProgress(long sourceOffset, boolean fenceSeen, int applied) {
    static final TargetProgress NONE = new TargetProgress(-1, false, 0);
}
