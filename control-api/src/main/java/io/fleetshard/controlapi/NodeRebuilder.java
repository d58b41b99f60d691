package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;

/**
 * Rebuilds a failed database node as a streaming replica of its shard's primary, at the address the map has for it
 * (wiping what the node held). A failback or rejoin calls it when the node is not a replica of the primary yet. The
 * dev platform has one; in production a node is rebuilt by its operator or provisioning (docs/runbooks/failback.md)
 * and the control API runs without one.
 */
public interface NodeRebuilder {
    /**
     * Rebuilds {@code node} as a replica of {@code primary} and returns once it streams from it; says what it did.
     *
     * @throws RuntimeException when it cannot; the step fails with its message
     */
    String rebuildAsReplica(Node node, Node primary, Engine engine);
}
