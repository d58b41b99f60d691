package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.ShardMapSnapshot;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the node that serves a statement. Writes and strong reads: the primary. {@code eventual}: the nearest healthy
 * replica, else the primary. {@code bounded}: the nearest replica whose measured lag is within the bound, else the
 * primary. With an {@code afterToken}, only a node that has replayed past the token's position qualifies. Nearest means
 * in the preferred region first, then any; equally near replicas take turns.
 *
 * <p>"Replica" includes a warm standby (role {@code standby}): a separate database kept current by the standby applier
 * from the archive, probed through its {@code fleetshard_standby_position} row. It obeys the same rules: healthy for
 * {@code eventual}, a measured lag within the bound for {@code bounded} (a standby whose lag is unknown never serves
 * bounded reads), an applied position covering the token for {@code afterToken}.
 *
 * <p>Only what the prober last measured is used, never a probe on the request path; a measurement older than
 * {@link #freshnessMs} counts as unknown, so a replica is not used on stale evidence.
 */
final class ReplicaSelector {
    private final NodeHealthBoard health;
    private final Clock clock;
    private final long freshnessMs;
    private final AtomicInteger turn = new AtomicInteger();

    ReplicaSelector(NodeHealthBoard health, Clock clock, long probeIntervalMs) {
        this.health = health;
        this.clock = clock;
        this.freshnessMs = Math.max(3 * probeIntervalMs, 1000);
    }

    /** The shard's primary; 503 when the map has none. */
    static Node primaryOf(ShardMapSnapshot map, String shardId) {
        List<Node> nodes = map.nodesOf(shardId);
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).role() == NodeRole.PRIMARY) {
                return nodes.get(i);
            }
        }
        throw ApiProblem.unavailable("shard " + shardId + " has no primary in shard map version " + map.version()
                + " (a failover may be in progress)", 1);
    }

    Node select(ShardMapSnapshot map, String shardId, StatementKind kind, ReadPreference pref) {
        Node primary = primaryOf(map, shardId);
        if (!kind.isRead() || pref.consistency() == Consistency.STRONG) {
            return primary;
        }
        long now = clock.millis();
        List<Node> nodes = map.nodesOf(shardId);
        String region = pref.region();
        if (region != null) {
            Node n = pick(nodes, pref, now, region);
            if (n != null) {
                return n;
            }
        }
        Node n = pick(nodes, pref, now, null);
        return n != null ? n : primary;
    }

    /** The next eligible replica in {@code region} (any region when null), taking turns; null when none. */
    private Node pick(List<Node> nodes, ReadPreference pref, long now, String region) {
        int count = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (eligible(nodes.get(i), pref, now, region)) {
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        int k = count == 1 ? 0 : Math.floorMod(turn.getAndIncrement(), count);
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            if (eligible(node, pref, now, region) && k-- == 0) {
                return node;
            }
        }
        return null;
    }

    private boolean eligible(Node node, ReadPreference pref, long now, String region) {
        if (!servesReads(node.role()) || (region != null && !region.equals(node.region()))) {
            return false;
        }
        NodeHealth h = health.get(node.nodeId());
        if (h == null || !h.healthy() || now - h.probedAtMs() > freshnessMs) {
            return false;
        }
        if (pref.consistency() == Consistency.BOUNDED && (h.lagMs() < 0 || h.lagMs() > pref.maxStalenessMs())) {
            return false;
        }
        ConsistencyToken after = pref.after();
        return after == null || (h.position() != null && h.position().covers(after.position()));
    }

    /** Nodes that may serve relaxed reads: streaming replicas and warm standbys; never the primary's role. */
    static boolean servesReads(NodeRole role) {
        return role == NodeRole.SYNC_REPLICA || role == NodeRole.REPLICA || role == NodeRole.STANDBY;
    }
}
