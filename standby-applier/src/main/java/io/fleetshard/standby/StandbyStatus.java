package io.fleetshard.standby;

/**
 * What a {@link StandbyApplier} reports (control API, CLI). {@code archiveSeq} is the archive's latest manifest seq as
 * last listed; {@code lagMs} is now minus the last applied commit time while behind, else 0. {@code defectObjectKey}
 * names the archive object the applier stopped at in state {@link ApplierState#DEFECT}, else null.
 */
public record StandbyStatus(String shardId, ApplierState state, long appliedSeq, long archiveSeq, long lastCommitTsMs,
                            long lagMs, String lastError, String defectObjectKey) {

    public long lagManifests() {
        return Math.max(0, archiveSeq - appliedSeq);
    }
}
