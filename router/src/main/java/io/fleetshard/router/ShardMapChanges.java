package io.fleetshard.router;

import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets request threads wait for a newer shard map: {@link #onNewMap} is registered as a listener of the
 * {@link ShardMapSource} and wakes every waiter; waiters re-read {@link ShardMapSource#current()}, so a map swapped in
 * before they started waiting is never missed.
 */
final class ShardMapChanges {
    private final ShardMapSource source;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    ShardMapChanges(ShardMapSource source) {
        this.source = source;
    }

    ShardMapSnapshot current() {
        return source.current();
    }

    /** The map listener: wakes the waiters (brief; never blocks the source's thread for long). */
    void onNewMap(ShardMapSnapshot map) {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The current map once its version is above {@code version}, or null when {@code deadlineNanos}
     * ({@link System#nanoTime()}) passes first.
     *
     * @throws InterruptedException when the waiting thread is interrupted
     */
    ShardMapSnapshot awaitNewerThan(long version, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            for (;;) {
                // read under the lock: the source swaps the map in before it calls onNewMap, which needs the lock
                ShardMapSnapshot map = source.current();
                if (map.version() > version) {
                    return map;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }
}
