package io.fleetshard.shardmap;

import java.util.function.Consumer;

/**
 * Where a component reads the shard map from. The real source follows the map log; tests may use
 * {@link InMemoryShardMap}.
 */
public interface ShardMapSource {

    /** The latest applied snapshot; never null (the empty snapshot at version 0 before anything is applied). */
    ShardMapSnapshot current();

    /** Called, on the source's thread, after each new snapshot is swapped in. Listeners must not block for long. */
    void addListener(Consumer<ShardMapSnapshot> listener);
}
