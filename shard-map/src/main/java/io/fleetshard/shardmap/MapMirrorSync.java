package io.fleetshard.shardmap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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

    /**
     * Registers a new sync as a transaction listener of {@code follower}, and brings the whole mirror to the follower's
     * map once it has read the log (see {@link #reconcile}): a follower that starts from a snapshot file, or after a
     * writer that stopped before mirroring its last transactions, is not told of those transactions again.
     */
    public static MapMirrorSync attach(ShardMapFollower follower, MapMirror mirror) {
        MapMirrorSync sync = new MapMirrorSync(mirror);
        follower.addTransactionListener(sync);
        sync.executor.execute(() -> sync.reconcileOnceCaughtUp(follower));
        return sync;
    }

    private void reconcileOnceCaughtUp(ShardMapFollower follower) {
        untilDone("bringing the mirror to the map", () -> {
            if (!follower.awaitCaughtUp(Duration.ofSeconds(10))) {
                return false;
            }
            reconcile(follower.current());
            return true;
        });
    }

    /**
     * Runs {@code step} until it returns true or the sync is closed; a failure is counted, logged, and retried after a
     * capped, doubling backoff.
     */
    private void untilDone(String what, java.util.function.BooleanSupplier step) {
        long backoff = 100;
        while (!closed) {
            try {
                if (step.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                LOG.warn("{} failed, retrying in {} ms: {}", what, backoff, e.toString());
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

    /**
     * Writes every entity of {@code map} at the map's version and a tombstone for every mirrored entity the map no
     * longer has; the mirror's version rule keeps whatever is newer.
     */
    void reconcile(ShardMapSnapshot map) {
        long v = map.version();
        List<MapRecord> records = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (MapEntity e : map.entities()) {
            records.add(MapRecord.put(v, e));
            keys.add(e.entityKey());
        }
        int removed = 0;
        for (MapRecord mirrored : mirror.readAll()) {
            if (!keys.contains(mirrored.key())) {
                records.add(new MapRecord(mirrored.key(), v, null));
                removed++;
            }
        }
        mirror.apply(records);
        mirroredVersion.accumulateAndGet(v, Math::max);
        LOG.info("mirror brought to map version {}: {} entities written, {} removed", v, keys.size(), removed);
    }

    @Override
    public void onTransaction(ShardMapSnapshot after, List<MapRecord> records) {
        executor.execute(() -> write(after.version(), records));
    }

    private void write(long version, List<MapRecord> records) {
        untilDone("mirroring map version " + version, () -> {
            mirror.apply(records);
            mirroredVersion.accumulateAndGet(version, Math::max);
            return true;
        });
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
