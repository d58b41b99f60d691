package io.fleetshard.shardmap;

import java.util.List;
import java.util.Objects;

/**
 * A reshard job, kept in the map log as {@code reshard:<jobId>} (ADR 0013, {@code docs/spec/shard-map-records.md}):
 * the fleets that move from {@code sourceShardId} to {@code targetShardId}, the vnode tokens that change owner at
 * cutover (split and merge), and the phase it reached. Only phase changes and the start offset are written to the
 * log; progress within a phase is reported by the control API.
 *
 * @param fleets {@code tenant/fleet} keys of the moving fleets, sorted and distinct
 * @param tokens vnode tokens of the source that the target owns after cutover (empty for a move), sorted
 * @param startOffset the source shard log's end offset recorded before the bulk copy; -1 until recorded
 * @param paused an operator paused the job: it stays in its phase until resumed
 * @param detail the failure, the cancel reason or the validation result; null when there is none
 */
public record ReshardJob(String jobId, ReshardKind kind, String sourceShardId, String targetShardId,
                         List<String> fleets, List<Long> tokens, ReshardPhase phase, long startOffset,
                         long createdAtMs, long updatedAtMs, boolean paused, String detail) implements MapEntity {
    public ReshardJob {
        Ids.require("jobId", jobId);
        Objects.requireNonNull(kind, "kind");
        Ids.require("sourceShardId", sourceShardId);
        Ids.require("targetShardId", targetShardId);
        if (sourceShardId.equals(targetShardId)) {
            throw new IllegalArgumentException("source and target shard must differ, both are '" + sourceShardId + "'");
        }
        fleets = List.copyOf(fleets);
        for (int i = 0; i < fleets.size(); i++) {
            String f = fleets.get(i);
            int slash = f.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("fleets[" + i + "] must be 'tenant/fleet', got '" + f + "'");
            }
            Ids.require("fleets[" + i + "] tenant", f.substring(0, slash));
            Ids.require("fleets[" + i + "] fleet", f.substring(slash + 1));
            if (i > 0 && fleets.get(i - 1).compareTo(f) >= 0) {
                throw new IllegalArgumentException("fleets must be sorted and distinct, got '" + fleets.get(i - 1)
                        + "' before '" + f + "'");
            }
        }
        tokens = List.copyOf(tokens);
        for (int i = 1; i < tokens.size(); i++) {
            if (tokens.get(i - 1) >= tokens.get(i)) {
                throw new IllegalArgumentException("tokens must be sorted and distinct");
            }
        }
        Objects.requireNonNull(phase, "phase");
        if (startOffset < -1) {
            throw new IllegalArgumentException("startOffset must be >= -1, got " + startOffset);
        }
    }

    public static String keyOf(String jobId) {
        return "reshard:" + jobId;
    }

    /** This job in {@code next}, checked against the allowed transitions. */
    public ReshardJob withPhase(ReshardPhase next, long nowMs, String newDetail) {
        if (!phase.canMoveTo(next)) {
            throw new IllegalStateException("reshard job " + jobId + " cannot go from " + phase.wireName() + " to "
                    + next.wireName());
        }
        return new ReshardJob(jobId, kind, sourceShardId, targetShardId, fleets, tokens, next, startOffset,
                createdAtMs, nowMs, paused, newDetail);
    }

    public ReshardJob withStartOffset(long offset, long nowMs) {
        return new ReshardJob(jobId, kind, sourceShardId, targetShardId, fleets, tokens, phase, offset, createdAtMs,
                nowMs, paused, detail);
    }

    public ReshardJob withPaused(boolean p, long nowMs) {
        return new ReshardJob(jobId, kind, sourceShardId, targetShardId, fleets, tokens, phase, startOffset,
                createdAtMs, nowMs, p, detail);
    }

    public boolean moves(String tenantId, String fleetId) {
        return java.util.Collections.binarySearch(fleets, tenantId + "/" + fleetId) >= 0;
    }

    @Override
    public String entityKey() {
        return keyOf(jobId);
    }
}
