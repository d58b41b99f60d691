package io.fleetshard.standby;

import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.StoredManifest;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads, verifies and parses the manifest after the one being applied, on a thread of its own, so that the archive's
 * reads, the segments' decompression and the events' parsing overlap the standby database's work on the manifest
 * before it (ADR 0063). At most one manifest is read ahead. A failure of the read ahead (an archive defect, an
 * unreachable store) is thrown by {@link #take} for the manifest it concerns, exactly as reading it then would have
 * thrown it. Not thread-safe: one caller (the applier's thread).
 */
final class ManifestPrefetch implements AutoCloseable {
    /** A manifest after {@code seq - 1}, its verified segments (in its order) and their parsed events. */
    record Prepared(StoredManifest manifest, List<Segment> segments, List<ChangeEvent> events) {
    }

    private final ArchiveReader reader;
    private final ExecutorService thread;
    private Future<Optional<Prepared>> ahead;
    /** Seq of the manifest {@link #ahead} follows. */
    private long aheadAfterSeq = -1;

    ManifestPrefetch(ArchiveReader reader, String shardId) {
        this.reader = reader;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "standby-" + shardId + "-read-ahead");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The manifest after {@code last} ({@code null}: the first), read ahead if {@link #ahead} was asked for it, else
     * read now; empty when the archive holds none yet.
     */
    Optional<Prepared> take(StoredManifest last) {
        long lastSeq = last == null ? 0 : last.manifest().seq();
        Future<Optional<Prepared>> f = ahead;
        boolean forLast = f != null && aheadAfterSeq == lastSeq;
        ahead = null;
        if (f != null && !forLast) {
            f.cancel(true); // read for another position (a retry, a resume): its result is of no use
        }
        if (forLast) {
            Optional<Prepared> p = await(f);
            if (p.isPresent()) {
                return p;
            }
            // none was there when it looked ahead: look again now
        }
        return read(last);
    }

    /** Starts reading the manifest after {@code current} while the caller applies {@code current}. */
    void ahead(StoredManifest current) {
        if (ahead != null) {
            ahead.cancel(true);
        }
        aheadAfterSeq = current.manifest().seq();
        ahead = thread.submit(() -> read(current));
    }

    private Optional<Prepared> read(StoredManifest last) {
        Optional<StoredManifest> next = reader.next(last);
        if (next.isEmpty()) {
            return Optional.empty();
        }
        StoredManifest m = next.get();
        List<Segment> segments = reader.segments(m);
        return Optional.of(new Prepared(m, segments, ManifestApplier.parse(m, segments)));
    }

    private static Optional<Prepared> await(Future<Optional<Prepared>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StandbyException("interrupted while reading the next manifest ahead", e);
        } catch (CancellationException e) {
            throw new StandbyException("the read ahead of the next manifest was cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new StandbyException("reading the next manifest ahead failed: " + cause, cause);
        }
    }

    /** Stops the read ahead (interrupting a read in flight). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
