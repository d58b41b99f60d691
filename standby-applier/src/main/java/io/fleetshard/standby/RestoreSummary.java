package io.fleetshard.standby;

/**
 * What a {@link PointInTimeRestore} did. {@code snapshotSeq} 0: no snapshot was used. {@code restoredToCommitTsMs} is
 * the commit time of the last event in the restored state (0 for an empty state); {@code position} is the position
 * row written on the target.
 */
public record RestoreSummary(String shardId, long toTimeMs, long snapshotSeq, long snapshotRows, long manifestsReplayed,
                             long eventsReplayed, long restoredToCommitTsMs, StandbyPosition position, long durationMs) {
}
