package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;

/** Reads a warm standby's applied position. Implementations bound their own time, like a {@link NodeProbe}. */
interface StandbyPositionReader {

    /**
     * The row of {@code standby}'s shard in the standby's {@code fleetshard_standby_position} table. Never throws for
     * an unreachable node, a missing table or row: that is a failed {@link StandbyReading} saying so.
     */
    StandbyReading read(Node standby, Engine engine);
}
