package io.fleetshard.standby;

/** Progress of a {@link PointInTimeRestore}; totals are upper bounds known from the snapshot and the manifests. */
public record RestoreProgress(Phase phase, long manifestsDone, long manifestsTotal, long rowsDone, long rowsTotal) {

    /** What the restore is doing. */
    public enum Phase { PLANNING, LOADING_SNAPSHOT, REPLAYING, DONE }

    /** Receives progress reports on the restoring thread. */
    @FunctionalInterface
    public interface Listener {
        void progress(RestoreProgress progress);

        static Listener none() {
            return p -> { };
        }
    }
}
