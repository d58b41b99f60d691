package io.fleetshard.router;

import java.util.concurrent.ConcurrentHashMap;

/** The latest {@link NodeHealth} of every probed node, written by the prober and read on the request path. */
final class NodeHealthBoard {
    private final ConcurrentHashMap<String, NodeHealth> byNode = new ConcurrentHashMap<>();

    NodeHealth get(String nodeId) {
        return byNode.get(nodeId);
    }

    void put(String nodeId, NodeHealth health) {
        byNode.put(nodeId, health);
    }

    void remove(String nodeId) {
        byNode.remove(nodeId);
    }

    /** Marks a node down after a request failed to reach it, until the next probe says otherwise. */
    void markDown(String nodeId, String problem, long nowMs) {
        byNode.put(nodeId, NodeHealth.down(problem, nowMs));
    }

    /** Lag of a node in ms for the metrics gauge; NaN when unknown or down. */
    double lagMsOrNaN(String nodeId) {
        NodeHealth h = byNode.get(nodeId);
        return h == null || !h.healthy() || h.lagMs() < 0 ? Double.NaN : h.lagMs();
    }

    java.util.Set<String> nodeIds() {
        return byNode.keySet();
    }
}
