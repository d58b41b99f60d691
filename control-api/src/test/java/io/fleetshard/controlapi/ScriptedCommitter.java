package io.fleetshard.controlapi;

import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.ShardMapCommitter;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A committer over an {@link InMemoryShardMap} that plays scripted steps before commits: each step may change the map
 * behind the caller's back, or throw, like the real map-log writer can.
 */
final class ScriptedCommitter implements ShardMapCommitter {

    /** Runs instead of (or before) one commit; returns true to go on and commit normally. */
    @FunctionalInterface
    interface Step {
        boolean run(long baseVersion, Collection<? extends MapEntity> puts, Collection<String> deletes);
    }

    private final InMemoryShardMap map;
    private final Deque<Step> steps = new ArrayDeque<>();
    final AtomicInteger calls = new AtomicInteger();

    ScriptedCommitter(InMemoryShardMap map) {
        this.map = map;
    }

    synchronized ScriptedCommitter then(Step step) {
        steps.add(step);
        return this;
    }

    @Override
    public long commit(long baseVersion, Collection<? extends MapEntity> puts, Collection<String> deletedKeys) {
        calls.incrementAndGet();
        Step step;
        synchronized (this) {
            step = steps.poll();
        }
        if (step != null && !step.run(baseVersion, puts, deletedKeys)) {
            throw new AssertionError("a scripted step that does not commit must throw");
        }
        return map.commit(baseVersion, puts, deletedKeys);
    }
}
