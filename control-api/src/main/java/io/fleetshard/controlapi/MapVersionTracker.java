package io.fleetshard.controlapi;

import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Lets request threads wait, with a deadline, until the map source has applied a given version. Works with any
 * {@link ShardMapSource}: it is woken by the source's listener callback, never by polling.
 */
final class MapVersionTracker {
    private final ShardMapSource source;
    private final Object applied = new Object();

    MapVersionTracker(ShardMapSource source) {
        this.source = source;
        source.addListener(snapshot -> {
            synchronized (applied) {
                applied.notifyAll();
            }
        });
    }

    ShardMapSnapshot current() {
        return source.current();
    }

    /**
     * Waits until the source is at {@code version} or later, at most {@code timeout}.
     *
     * @return the source's snapshot at {@code version} or later, or null if the deadline passed first
     */
    ShardMapSnapshot awaitAtLeast(long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (applied) {
            ShardMapSnapshot s = source.current();
            while (s.version() < version) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(applied, left);
                s = source.current();
            }
            return s;
        }
    }
}
