package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;

/** Probes one database node. Implementations bound their own time (connect, login and query timeouts). */
interface NodeProbe {

    /** Never throws for an unreachable or failing node: that is a failed {@link ProbeResult}. */
    ProbeResult probe(Node node, Engine engine);
}
