package io.fleetshard.shardmap;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies each map transaction a follower applies to a {@link MapMirror}, off the follower's thread, in order. A
 * failed write is retried with capped backoff until it succeeds or the sync is closed; the mirror's version rule
 * makes retries and replays harmless.
 */
public final class MapMirrorSync implements MapTransactionListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MapMirrorSync.class);
    private static final long MAX_BACKOFF_MS = 5_000;

    private final MapMirror mirror;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "shardmap-mirror");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong mirroredVersion = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean closed;

    public MapMirrorSync(MapMirror mirror) {
        this.mirror = mirror;
    }

    /** Registers a new sync as a transaction listener of {@code follower}. */
    public static MapMirrorSync attach(ShardMapFollower follower, MapMirror mirror) {
        MapMirrorSync sync = new MapMirrorSync(mirror);
        follower.addTransactionListener(sync);
        return sync;
    }

    @Override
    public void onTransaction(ShardMapSnapshot after, List<MapRecord> records) {
        executor.execute(() -> write(after.version(), records));
    }

    private void write(long version, List<MapRecord> records) {
        long backoff = 100;
        while (!closed) {
            try {
                mirror.apply(records);
                mirroredVersion.accumulateAndGet(version, Math::max);
                return;
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                LOG.warn("mirroring map version {} failed, retrying in {} ms: {}", version, backoff, e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
    }

    /** The highest map version fully written to the mirror. */
    public long mirroredVersion() {
        return mirroredVersion.get();
    }

    public long failures() {
        return failures.get();
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
