package io.fleetshard.standby;

/**
 * What a {@link StandbyApplier} reports (control API, CLI). {@code archiveSeq} is the archive's latest manifest seq as
 * last listed; {@code lagMs} is now minus the last applied commit time while behind, else 0. {@code defectObjectKey}
 * names the archive object the applier stopped at in state {@link ApplierState#DEFECT}, else null.
 * {@code caughtUpTsMs}: the standby holds every change committed on the primary before it (the newest applied
 * watermark or last applied commit time, ADR 0048; 0: unknown); now minus it is the standby's true lag, which also
 * grows when capture, the shard log, the archiver or S3 is stuck.
 */
public record StandbyStatus(String shardId, ApplierState state, long appliedSeq, long archiveSeq, long lastCommitTsMs,
                            long lagMs, String lastError, String defectObjectKey, long caughtUpTsMs) {

    /** Now minus {@link #caughtUpTsMs}, never negative; NaN while unknown. */
    public double rpoMs(long nowMs) {
        return caughtUpTsMs > 0 ? Math.max(0, nowMs - caughtUpTsMs) : Double.NaN;
    }

    public long lagManifests() {
        return Math.max(0, archiveSeq - appliedSeq);
    }
}
