package io.fleetshard.shardmap;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** An in-memory shard map that is both source and committer: a fake of the map log for unit tests. */
public final class InMemoryShardMap implements ShardMapSource, ShardMapCommitter {
    private final List<Consumer<ShardMapSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile ShardMapSnapshot current;

    public InMemoryShardMap() {
        this(ShardMapSnapshot.empty());
    }

    public InMemoryShardMap(ShardMapSnapshot initial) {
        this.current = initial;
    }

    @Override
    public synchronized long commit(long baseVersion, Collection<? extends MapEntity> puts,
            Collection<String> deletedKeys) {
        if (baseVersion != current.version()) {
            throw new MapVersionConflictException(baseVersion, current.version());
        }
        ShardMapSnapshot next = current.apply(current.version() + 1, puts, deletedKeys);
        current = next;
        listeners.forEach(l -> l.accept(next));
        return next.version();
    }

    @Override
    public ShardMapSnapshot current() {
        return current;
    }

    @Override
    public void addListener(Consumer<ShardMapSnapshot> listener) {
        listeners.add(listener);
    }
}
