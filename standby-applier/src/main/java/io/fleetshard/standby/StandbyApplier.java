package io.fleetshard.standby;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchiveStoreUnavailableException;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one shard's archive into a warm standby database: each verified manifest's events and the standby's position
 * row in one transaction (ADR 0012), resuming from the stored position after any restart. Stops for good at an
 * archive defect (state {@link ApplierState#DEFECT}, the object named in {@link #status()}); an unreachable archive
 * store or standby database is retried with a bounded doubling backoff.
 *
 * <p>The standby user must bypass row-level security (PostgreSQL: superuser or {@code BYPASSRLS}), else rows of other
 * tenants would silently not be written.
 */
public final class StandbyApplier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StandbyApplier.class);

    private final StandbyApplierConfig config;
    private final ArchiveStore store;
    private final ShardArchivePath path;
    private final String jdbcUrl;
    private final Dialect dialect;
    private final Clock clock;
    private final ArchiveReader reader;
    private final StandbyMetrics metrics;
    private final SnapshotWriter snapshots;
    /** Reads the next manifest while one is applied (ADR 0063); used by the applier's thread only. */
    private final ManifestPrefetch prefetch;
    private final Object lock = new Object();

    private volatile ApplierState state = ApplierState.NEW;
    private volatile long appliedSeq;
    private volatile long archiveSeq;
    private volatile long lastCommitTsMs;
    private volatile long caughtUpTsMs;
    private volatile String lastError;
    private volatile String defectObjectKey;
    private volatile boolean closed;

    private Thread thread;
    private Connection connection;
    private TableCatalog catalog;
    private ManifestApplier applier;
    private StoredManifest last;
    private long lastLagRefreshMs;
    private long lastSnapshotSeq;
    private long lastSnapshotMs;
    /** Tenants found sealed in applied segments: their snapshot rows are sealed too, whatever the config says. */
    private final java.util.Set<String> sealedTenants = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public StandbyApplier(StandbyApplierConfig config, ArchiveStore store, ShardArchivePath path, String standbyJdbcUrl,
                          MeterRegistry registry, Clock clock) {
        this(config, store, ArchiveEncryption.NONE, path, standbyJdbcUrl, registry, clock);
    }

    /**
     * An applier that opens sealed records with {@code encryption}'s keys (ADR 0025). A sealed record whose key is not
     * configured, missing or revoked stops it in {@code DEFECT} with kind {@code key-unavailable}, naming the segment,
     * tenant and key id; nothing after it is applied.
     */
    public StandbyApplier(StandbyApplierConfig config, ArchiveStore store, ArchiveEncryption encryption, ShardArchivePath path,
                          String standbyJdbcUrl, MeterRegistry registry, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.path = Objects.requireNonNull(path, "path");
        this.jdbcUrl = Objects.requireNonNull(standbyJdbcUrl, "standbyJdbcUrl");
        this.dialect = Dialect.of(standbyJdbcUrl);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.reader = new ArchiveReader(store, path, encryption.keys());
        this.prefetch = new ManifestPrefetch(reader, path.shardId());
        this.metrics = new StandbyMetrics(registry, path.shardId(), this::status, clock);
        this.snapshots = new SnapshotWriter(store, path, config, encryption, sealedTenants::contains, clock);
    }

    public String shardId() {
        return path.shardId();
    }

    /** Starts the applier's thread; returns at once. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("standby applier of shard " + shardId() + " was already started");
        }
        LOG.info("Starting standby applier of shard {} from s3 prefix {} into {} with {}", shardId(), path.prefix(),
                Dialect.redact(jdbcUrl), config);
        thread = new Thread(this::run, "standby-" + shardId());
        thread.setDaemon(true);
        thread.start();
    }

    public StandbyStatus status() {
        long applied = appliedSeq;
        long archive = Math.max(archiveSeq, applied);
        long lag = archive > applied && lastCommitTsMs > 0 ? Math.max(0, clock.millis() - lastCommitTsMs) : 0;
        return new StandbyStatus(shardId(), state, applied, archive, lastCommitTsMs, lag, lastError, defectObjectKey,
                caughtUpTsMs);
    }

    /** Stops the thread after its current transaction (which commits or rolls back whole) and closes the connection. */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t == null) {
            moveTo(ApplierState.STOPPED);
        }
    }

    private void run() {
        long backoffMs = config.retryBackoffMs();
        long idlePauseMs = config.pollIntervalMs();
        try {
            while (!closed) {
                try {
                    if (connection == null) {
                        open();
                    }
                    if (step()) {
                        backoffMs = config.retryBackoffMs();
                        idlePauseMs = config.pollIntervalMs();
                    } else {
                        moveTo(ApplierState.CAUGHT_UP);
                        lastError = null;
                        backoffMs = config.retryBackoffMs();
                        pause(idlePauseMs);
                        idlePauseMs = nextIdlePauseMs(idlePauseMs, config);
                    }
                } catch (ArchiveDefectException e) {
                    defect(e);
                    return;
                } catch (StandbyPromotedException e) {
                    lastError = e.getMessage();
                    moveTo(ApplierState.PROMOTED);
                    LOG.warn("Standby applier of shard {} stops after manifest {}: {}", shardId(), appliedSeq,
                            e.getMessage());
                    return;
                } catch (ArchiveStoreUnavailableException e) {
                    backoffMs = retry("archive-unavailable", e, backoffMs, false);
                } catch (SQLException e) {
                    backoffMs = retry("standby-db", e, backoffMs, true);
                } catch (StandbyException e) {
                    backoffMs = retry("standby-schema", e, backoffMs, true);
                } catch (ArchiveException e) {
                    backoffMs = retry("archive-refused", e, backoffMs, false);
                } catch (RuntimeException e) {
                    backoffMs = retry("internal", e, backoffMs, true);
                }
            }
        } finally {
            prefetch.close();
            closeConnection();
            if ((state != ApplierState.DEFECT && state != ApplierState.PROMOTED) || closed) {
                moveTo(ApplierState.STOPPED);
            }
        }
    }

    /**
     * The pause after the next empty look: doubled, at most {@code poll.idle.max.ms} (0: always
     * {@code poll.interval.ms}). Each look is a listing request to
     * the archive store; a caught-up standby of an idle shard made five a second at a fixed 200 ms.
     */
    static long nextIdlePauseMs(long pauseMs, StandbyApplierConfig config) {
        if (config.pollIdleMaxMs() == 0) {
            return config.pollIntervalMs();
        }
        return Math.min(config.pollIdleMaxMs(), Math.max(config.pollIntervalMs(), pauseMs * 2));
    }

    /** Connects, creates the position table if missing, and resumes from the stored position. */
    private void open() throws SQLException {
        moveTo(ApplierState.STARTING);
        connection = dialect.connect(jdbcUrl, config.dbUser(), config.dbPassword());
        catalog = new TableCatalog(dialect);
        applier = new ManifestApplier(catalog, config.batchSize(), clock, () -> metrics.error("unknown-column"));
        applier.positions().ensure(connection, config.positionReaders());
        Optional<StandbyPosition> stored = applier.positions().read(connection, shardId());
        connection.commit();
        last = resume(stored);
        appliedSeq = last == null ? 0 : last.manifest().seq();
        lastCommitTsMs = stored.map(StandbyPosition::lastCommitTsMs).orElse(0L);
        caughtUpTsMs = stored.map(StandbyPosition::caughtUpTsMs).orElse(0L);
        if (config.snapshotsEnabled() && lastSnapshotMs == 0) {
            lastSnapshotSeq = snapshots.latestSnapshotSeq();
            lastSnapshotMs = clock.millis();
        }
        refreshArchiveSeq();
        LOG.info("Standby of shard {} resumes after manifest {} (archive has {})", shardId(), appliedSeq, archiveSeq);
    }

    /** The stored position's manifest, checked against the archive: a mismatch is a defect. */
    private StoredManifest resume(Optional<StandbyPosition> stored) {
        if (stored.isEmpty() || stored.get().manifestSeq() == 0) {
            return null;
        }
        StandbyPosition p = stored.get();
        String key = path.manifestKey(p.manifestSeq());
        StoredManifest m = reader.get(p.manifestSeq()).orElseThrow(() -> new ArchiveDefectException(
                ArchiveDefectException.Kind.MISSING_MANIFEST, key, "the standby's position names manifest "
                + p.manifestSeq() + " but the archive does not hold it"));
        if (!m.sha256().equals(p.manifestSha256())) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.BROKEN_CHAIN, key, "the standby applied a manifest "
                    + p.manifestSeq() + " with SHA-256 " + p.manifestSha256() + ", the archive's has " + m.sha256());
        }
        return m;
    }

    /** Applies the next manifest if there is one; false when caught up. */
    private boolean step() throws SQLException {
        Optional<ManifestPrefetch.Prepared> next = prefetch.take(last);
        if (next.isEmpty()) {
            archiveSeq = appliedSeq;
            return false;
        }
        moveTo(ApplierState.APPLYING);
        StoredManifest m = next.get().manifest();
        prefetch.ahead(m); // the next one is read, decompressed and parsed while this one is written
        for (Segment s : next.get().segments()) {
            s.keys().forEach(k -> sealedTenants.add(k.tenant()));
        }
        long start = System.nanoTime();
        ManifestApplier.Result r = applier.applyParsed(connection, shardId(), m, next.get().events(), Long.MAX_VALUE);
        metrics.applied(r.events(), System.nanoTime() - start);
        last = m;
        appliedSeq = m.manifest().seq();
        lastCommitTsMs = r.position().lastCommitTsMs();
        caughtUpTsMs = r.position().caughtUpTsMs();
        lastError = null;
        if (archiveSeq <= appliedSeq || clock.millis() - lastLagRefreshMs >= config.lagRefreshMs()) {
            refreshArchiveSeq();
        }
        maybeSnapshot();
        return true;
    }

    /** Lists the manifests after the applied one (cheap: from the applied key on) to learn the archive's latest seq. */
    private void refreshArchiveSeq() {
        lastLagRefreshMs = clock.millis();
        String after = last == null ? null : last.key();
        long latest = appliedSeq;
        while (true) {
            List<ArchiveStore.StoredObject> page = store.list(path.manifestsPrefix(), after, 1000);
            for (ArchiveStore.StoredObject o : page) {
                latest = Math.max(latest, path.manifestSeqOf(o.key()));
            }
            if (page.size() < 1000) {
                break;
            }
            after = page.get(page.size() - 1).key();
        }
        archiveSeq = latest;
    }

    private void maybeSnapshot() {
        if (!config.snapshotsEnabled() || appliedSeq <= lastSnapshotSeq) {
            return;
        }
        boolean byCount = config.snapshotEveryManifests() > 0 && appliedSeq - lastSnapshotSeq >= config.snapshotEveryManifests();
        boolean byAge = config.snapshotEveryMs() > 0 && clock.millis() - lastSnapshotMs >= config.snapshotEveryMs();
        if (!byCount && !byAge) {
            return;
        }
        try {
            var d = snapshots.write(jdbcUrl);
            lastSnapshotSeq = d.manifestSeq();
            LOG.info("Base snapshot of shard {} after manifest {}: {} rows in {} tables", shardId(), d.manifestSeq(),
                    d.rows(), d.tables().size());
        } catch (ArchiveDefectException e) {
            throw e;
        } catch (RuntimeException e) {
            metrics.error("snapshot");
            LOG.warn("Base snapshot of shard {} after manifest {} failed, applying goes on; next attempt after the next "
                    + "interval: {}", shardId(), appliedSeq, e.toString());
        } finally {
            lastSnapshotMs = clock.millis();
        }
    }

    private void defect(ArchiveDefectException e) {
        metrics.error("defect");
        metrics.error("defect-" + e.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        lastError = e.getMessage();
        defectObjectKey = e.objectKey();
        moveTo(ApplierState.DEFECT);
        String todo = e.kind() == ArchiveDefectException.Kind.KEY_UNAVAILABLE
                ? "Restore or re-enable the tenant's key (or configure archive.encryption.* with it), then restart the "
                        + "applier (ADR 0025)"
                : "Repair the archive (restore the object from a replica bucket) or rebuild the standby from a snapshot "
                        + "before the defect, then restart the applier";
        LOG.error("Standby applier of shard {} STOPPED at archive object {} after manifest {}: {}. Nothing after it is "
                + "applied. {}.", shardId(), e.objectKey(), appliedSeq, e.getMessage(), todo);
    }

    private long retry(String kind, Exception e, long backoffMs, boolean reconnect) {
        metrics.error(kind);
        lastError = kind + ": " + e.getMessage();
        if (reconnect) {
            closeConnection();
        }
        moveTo(ApplierState.RETRYING);
        LOG.warn("Standby applier of shard {} ({} applied, state {}): {} failed ({}); retrying in {} ms", shardId(),
                appliedSeq, state, kind, e.getMessage(), backoffMs);
        pause(backoffMs);
        return Math.min(config.retryBackoffMaxMs(), backoffMs * 2);
    }

    private void pause(long ms) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            try {
                lock.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
        }
    }

    private void closeConnection() {
        if (connection != null) {
            ManifestApplier.rollbackQuietly(connection);
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken already
            }
            connection = null;
        }
    }

    /** The one transition method: checks the move is allowed, logs it. */
    private synchronized void moveTo(ApplierState next) {
        ApplierState current = state;
        if (current == next) {
            return;
        }
        if (!current.canMoveTo(next)) {
            throw new IllegalStateException("standby applier of shard " + shardId() + " cannot move from " + current
                    + " to " + next);
        }
        state = next;
        if (next == ApplierState.APPLYING || next == ApplierState.CAUGHT_UP) {
            LOG.debug("Standby applier of shard {}: {} -> {}", shardId(), current, next);
        } else {
            LOG.info("Standby applier of shard {}: {} -> {}", shardId(), current, next);
        }
    }
}
