package io.fleetshard.streams;

/**
 * The target's {@code fleetshard_reshard_progress} row of a job after a transaction ({@code sourceOffset} -1 when
 * there is none yet), the marker sequence number of the newest fence of the job applied (0: none), and how many
 * changes that transaction applied.
 */
record TargetProgress(long sourceOffset, long fenceSeq, int applied) {
    static final TargetProgress NONE = new TargetProgress(-1, 0, 0);

    /** Some fence marker of the job is applied ({@code fenceSeq} is its marker's sequence number, 0 for none). */
    boolean fenceSeen() {
        return fenceSeq > 0;
    }
}
