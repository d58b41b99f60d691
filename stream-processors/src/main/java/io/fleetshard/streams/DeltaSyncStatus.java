package io.fleetshard.streams;

/**
 * A delta sync job as its service sees it.
 *
 * @param appliedOffset shard-log offset of the last record handled and committed to the target (the target's
 *     {@code fleetshard_reshard_progress.source_offset}), -1 before the first
 * @param lag records of the shard log not yet read by the job (end offset - position), -1 while unknown
 * @param eventsApplied changes applied to the target by this service instance since the job started here
 * @param fenceSeen this job's fence marker is applied: every change of the moving fleets is on the target
 * @param lastError the last failure, or null
 */
public record DeltaSyncStatus(String jobId, DeltaSyncState state, long appliedOffset, long lag, long eventsApplied,
        boolean fenceSeen, String lastError) {
}
