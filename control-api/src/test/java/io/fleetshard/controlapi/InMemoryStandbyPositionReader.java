package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The standby positions a test scripts, by node id; a node without one cannot be reached. */
final class InMemoryStandbyPositionReader implements StandbyPositionReader {
    private final Map<String, StandbyReading> byNode = new ConcurrentHashMap<>();

    InMemoryStandbyPositionReader put(String nodeId, StandbyReading reading) {
        byNode.put(nodeId, reading);
        return this;
    }

    @Override
    public StandbyReading read(Node standby, Engine engine) {
        return byNode.getOrDefault(standby.nodeId(), StandbyReading.failed("Connection to " + standby.nodeId()
                + " refused (SQLSTATE 08001)"));
    }
}
