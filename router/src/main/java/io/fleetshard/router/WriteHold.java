package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.ShardMapSnapshot;
import java.util.Optional;

/**
 * The router's side of the write fence (ADR 0013 "The write fence lives in the database"): a write that a shard
 * refuses because its fleet is fenced there is held until a newer shard map places the fleet on another shard, then
 * retried there, once per such map; for at most {@code router.reshard.hold.ms} in all, after which the client gets 503
 * with {@code Retry-After}. Waiting is on map-change notifications ({@link ShardMapChanges}), not polling. Outcomes are
 * counted in {@code fleetshard.router.held.writes{outcome=retried|timed-out}}.
 */
final class WriteHold {

    /** What a held write does with a map. */
    enum Step {
        /** The map places the fleet on another shard than the one that fenced it (or no longer knows it): retry. */
        RETRY,
        /** The fleet is still placed on the fencing shard (or nowhere): keep waiting. */
        WAIT
    }

    private final ShardMapChanges changes;
    private final long holdMs;
    private final RouterMetrics metrics;

    WriteHold(ShardMapChanges changes, long holdMs, RouterMetrics metrics) {
        this.changes = changes;
        this.holdMs = holdMs;
        this.metrics = metrics;
    }

    /**
     * What to do with {@code map} for a write of fleet {@code fleetId} of {@code tenantId} refused by the fence on
     * shard {@code fencedShardId}. A fleet or tenant the map no longer has is retried, so that the retry answers 404.
     */
    static Step next(ShardMapSnapshot map, String tenantId, String fleetId, String fencedShardId) {
        Optional<Fleet> fleet = map.fleet(tenantId, fleetId);
        if (map.tenant(tenantId).isEmpty() || fleet.isEmpty()) {
            return Step.RETRY;
        }
        String shardId;
        try {
            shardId = map.shardFor(fleet.get());
        } catch (IllegalStateException e) {
            return Step.WAIT; // no shard owns the fleet in this map: a later one will
        }
        return shardId.equals(fencedShardId) ? Step.WAIT : Step.RETRY;
    }

    /** {@code Retry-After} seconds of a hold that ran out: the hold limit, rounded up, at least 1. */
    static int retryAfterSeconds(long holdMs) {
        return (int) Math.max(1, (holdMs + 999) / 1000);
    }

    /**
     * Blocks until a map newer than {@code seenVersion} places the fleet elsewhere than {@code fencedShardId} and
     * returns that map, or throws a 503 problem once {@code holdStartNanos + router.reshard.hold.ms} has passed.
     *
     * @param holdStartNanos {@link System#nanoTime()} when the request's write was first refused by a fence
     */
    ShardMapSnapshot awaitMove(String tenantId, String fleetId, String fencedShardId, long seenVersion,
            long holdStartNanos) {
        long deadline = holdStartNanos + holdMs * 1_000_000L;
        long version = seenVersion;
        metrics.heldWritesWaiting(1);
        try {
            for (;;) {
                ShardMapSnapshot map = changes.awaitNewerThan(version, deadline);
                if (map == null) {
                    break;
                }
                if (next(map, tenantId, fleetId, fencedShardId) == Step.RETRY) {
                    metrics.recordHeldWrite(RouterMetrics.HELD_RETRIED);
                    return map;
                }
                version = map.version();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            metrics.heldWritesWaiting(-1);
        }
        metrics.recordHeldWrite(RouterMetrics.HELD_TIMED_OUT);
        throw timedOut(tenantId, fleetId, fencedShardId, version);
    }

    /**
     * The newest map once one newer than {@code seenVersion} arrives, else the current one at
     * {@code deadlineNanos}: a write whose primary hands out no connection looks again after a failover.
     */
    ShardMapSnapshot awaitNewer(long seenVersion, long deadlineNanos) {
        try {
            ShardMapSnapshot map = changes.awaitNewerThan(seenVersion, deadlineNanos);
            if (map != null) {
                return map;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return changes.current();
    }

    private ApiProblem timedOut(String tenantId, String fleetId, String fencedShardId, long version) {
        int retryAfter = retryAfterSeconds(holdMs);
        return new ApiProblem(503, "fleet-moving", "Fleet is being moved", "fleet " + fleetId + " of tenant "
                + tenantId + " is being moved to another shard (a reshard is in progress): shard " + fencedShardId
                + " refuses its writes, and within the hold of " + holdMs + " ms (router.reshard.hold.ms) no shard"
                + " map placed it elsewhere (last seen: version " + version + "); nothing was written, retry in "
                + retryAfter + " s", retryAfter);
    }
}
