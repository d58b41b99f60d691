package io.fleetshard.controlapi;

import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A follower that lags its map until told to catch up, like a map follower behind the log. */
final class HeldBackSource implements ShardMapSource {
    private final InMemoryShardMap log;
    private final List<Consumer<ShardMapSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile ShardMapSnapshot applied;

    HeldBackSource(InMemoryShardMap log) {
        this.log = log;
        this.applied = log.current();
    }

    /** Applies everything committed so far. */
    void catchUp() {
        applied = log.current();
        listeners.forEach(l -> l.accept(applied));
    }

    @Override
    public ShardMapSnapshot current() {
        return applied;
    }

    @Override
    public void addListener(Consumer<ShardMapSnapshot> listener) {
        listeners.add(listener);
    }
}
