package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.SnapshotDescriptor;
import io.fleetshard.archive.format.SnapshotParser;
import io.fleetshard.archive.format.SnapshotRowSeal;
import io.fleetshard.archive.format.StoredManifest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a shard to its state at a point in time into an empty target database (docs/spec/archive.md, "Applying"):
 * from the newest base snapshot whose {@code lastCommitTsMs <= T} (or from nothing), then the manifests after it,
 * applying events while {@code commitTsMs <= T} and stopping at the first later one. Everything read is verified
 * (snapshot parts by length and SHA-256, manifests by the chain); a defect stops the restore naming the object.
 */
public final class PointInTimeRestore {
    private static final Logger LOG = LoggerFactory.getLogger(PointInTimeRestore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ArchiveStore store;
    private final StandbyApplierConfig config;
    private final Clock clock;
    private final ArchiveEncryption encryption;

    public PointInTimeRestore(ArchiveStore store, StandbyApplierConfig config, Clock clock) {
        this(store, config, ArchiveEncryption.NONE, clock);
    }

    /** A restore that opens sealed records with {@code encryption}'s keys (ADR 0025). */
    public PointInTimeRestore(ArchiveStore store, StandbyApplierConfig config, ArchiveEncryption encryption, Clock clock) {
        this.encryption = encryption;
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Restores {@code path}'s shard as of {@code toTimeMs} (epoch ms, inclusive) into {@code targetJdbcUrl}.
     *
     * @throws StandbyException when the target is not empty, lacks a table with no snapshot to create it from, or fails
     * @throws ArchiveDefectException at the first defective archive object
     */
    public RestoreSummary restore(ShardArchivePath path, String targetJdbcUrl, long toTimeMs, RestoreProgress.Listener listener) {
        long startMs = clock.millis();
        Dialect dialect = Dialect.of(targetJdbcUrl);
        ArchiveReader reader = new ArchiveReader(store, path, encryption.keys());
        Optional<SnapshotDescriptor> snapshot = newestSnapshotAtOrBefore(path, reader, toTimeMs);
        StoredManifest base = snapshot.map(s -> reader.get(s.manifestSeq()).orElseThrow()).orElse(null);
        List<StoredManifest> plan = new ArrayList<>();
        StoredManifest prev = base;
        while (true) {
            Optional<StoredManifest> next = reader.next(prev);
            if (next.isEmpty() || firstTsMs(next.get().manifest()) > toTimeMs) {
                break;
            }
            plan.add(next.get());
            prev = next.get();
        }
        long snapshotRows = snapshot.map(SnapshotDescriptor::rows).orElse(0L);
        long rowsTotal = snapshotRows + plan.stream().mapToLong(m -> m.manifest().records()).sum();
        LOG.info("Restoring shard {} to {} into {}: {}, then up to {} manifests ({} rows at most)", path.shardId(), toTimeMs,
                Dialect.redact(targetJdbcUrl), snapshot.map(s -> "snapshot after manifest " + s.manifestSeq())
                        .orElse("no snapshot"), plan.size(), rowsTotal);
        listener.progress(new RestoreProgress(RestoreProgress.Phase.PLANNING, 0, plan.size(), 0, rowsTotal));

        TableCatalog catalog = new TableCatalog(dialect);
        ManifestApplier applier = new ManifestApplier(catalog, config.batchSize(), clock, () -> { });
        boolean writing = false;
        try (Connection c = dialect.connect(targetJdbcUrl, config.dbUser(), config.dbPassword())) {
            applier.positions().ensure(c, config.positionReaders());
            requireEmpty(c, catalog, applier.positions(), path.shardId());
            writing = true;
            long rowsDone = 0;
            StandbyPosition position = null;
            if (snapshot.isPresent()) {
                rowsDone = loadSnapshot(c, catalog, snapshot.get(), listener, plan.size(), rowsTotal);
                SnapshotDescriptor s = snapshot.get();
                position = new StandbyPosition(path.shardId(), s.manifestSeq(), s.manifestSha256(), s.nextOffset(),
                        "snapshot:" + s.manifestSeq(), s.lastCommitTsMs(), clock.millis());
                applier.positions().write(c, position, false);
                c.commit();
            }
            long manifests = 0;
            long events = 0;
            for (StoredManifest m : plan) {
                ManifestApplier.Result r = applier.apply(c, path.shardId(), m, reader.segments(m), toTimeMs);
                events += r.events();
                rowsDone += r.events();
                if (r.position() != null) {
                    position = r.position();
                }
                if (r.stoppedAtTime()) {
                    break;
                }
                manifests++;
                listener.progress(new RestoreProgress(RestoreProgress.Phase.REPLAYING, manifests, plan.size(), rowsDone, rowsTotal));
            }
            if (position == null) {
                position = new StandbyPosition(path.shardId(), 0, StandbyPosition.NO_MANIFEST_SHA, 0, "", 0, clock.millis());
                applier.positions().write(c, position, false);
                c.commit();
            }
            listener.progress(new RestoreProgress(RestoreProgress.Phase.DONE, manifests, plan.size(), rowsDone, rowsTotal));
            RestoreSummary summary = new RestoreSummary(path.shardId(), toTimeMs, snapshot.map(SnapshotDescriptor::manifestSeq)
                    .orElse(0L), snapshotRows, manifests, events, position.lastCommitTsMs(), position, clock.millis() - startMs);
            LOG.info("Restored shard {}: {}", path.shardId(), summary);
            return summary;
        } catch (SQLException e) {
            throw new StandbyException("restore of shard " + path.shardId() + " into " + Dialect.redact(targetJdbcUrl)
                    + " failed: " + e.getMessage() + (writing
                            ? "; the target is partly written: empty it (or use a new database) and restore again"
                            : "; nothing was written to it"), e);
        }
    }

    private Optional<SnapshotDescriptor> newestSnapshotAtOrBefore(ShardArchivePath path, ArchiveReader reader, long toTimeMs) {
        List<String> keys = new ArrayList<>();
        for (ArchiveStore.StoredObject o : store.list(path.snapshotsPrefix(), null, Integer.MAX_VALUE)) {
            if (path.snapshotSeqOf(o.key()) > 0) {
                keys.add(o.key());
            }
        }
        keys.sort(Comparator.reverseOrder());
        for (String key : keys) {
            byte[] bytes = store.get(key).orElseThrow(() -> new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED,
                    key, "listed but cannot be read"));
            SnapshotDescriptor d = SnapshotParser.parse(key, bytes);
            if (d.manifestSeq() != path.snapshotSeqOf(key) || !d.shard().equals(path.shardId())) {
                throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, "describes manifest "
                        + d.manifestSeq() + " of shard " + d.shard());
            }
            if (d.lastCommitTsMs() > toTimeMs) {
                continue;
            }
            StoredManifest m = reader.get(d.manifestSeq()).orElseThrow(() -> new ArchiveDefectException(
                    ArchiveDefectException.Kind.MISSING_MANIFEST, path.manifestKey(d.manifestSeq()),
                    "snapshot " + key + " follows it but the archive does not hold it"));
            if (!m.sha256().equals(d.manifestSha256())) {
                throw new ArchiveDefectException(ArchiveDefectException.Kind.BROKEN_CHAIN, key, "names manifest "
                        + d.manifestSeq() + " with SHA-256 " + d.manifestSha256() + ", the archive's has " + m.sha256());
            }
            return Optional.of(d);
        }
        return Optional.empty();
    }

    /** Refuses a target that holds rows in any table, or a position of this shard. */
    private static void requireEmpty(Connection c, TableCatalog catalog, PositionTable positions, String shardId)
            throws SQLException {
        if (positions.read(c, shardId).isPresent()) {
            throw new StandbyException("the target already holds a position of shard " + shardId + " in "
                    + Dialect.POSITION_TABLE + " (it is a standby or an earlier restore): restore into an empty database");
        }
        List<String> notEmpty = new ArrayList<>();
        for (String table : catalog.tables(c)) {
            if (table.equals(Dialect.POSITION_TABLE)) {
                continue;
            }
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT 1 FROM " + catalog.dialect().quote(table) + " LIMIT 1")) {
                if (rs.next()) {
                    notEmpty.add(table);
                }
            }
        }
        c.commit();
        if (!notEmpty.isEmpty()) {
            throw new StandbyException("the restore target is not empty: table(s) " + String.join(", ", notEmpty)
                    + " hold rows; restore into an empty database (or truncate those tables first)");
        }
    }

    private long loadSnapshot(Connection c, TableCatalog catalog, SnapshotDescriptor s, RestoreProgress.Listener listener,
                              long manifestsTotal, long rowsTotal) throws SQLException {
        long rows = 0;
        for (SnapshotDescriptor.Table t : s.tables()) {
            if (catalog.find(c, t.table()).isEmpty()) {
                createTable(c, catalog.dialect(), t);
            }
            ChangeWriter writer = new ChangeWriter(c, catalog, config.batchSize(), () -> { });
            try {
                for (SnapshotDescriptor.Part part : t.parts()) {
                    loadPart(part, row -> writer.apply(new ChangeEvent(0, 'r', t.table(), null, row, "", s.lastCommitTsMs())));
                    writer.flush();
                    c.commit();
                    rows += part.rows();
                    listener.progress(new RestoreProgress(RestoreProgress.Phase.LOADING_SNAPSHOT, 0, manifestsTotal, rows, rowsTotal));
                }
            } finally {
                writer.close();
            }
        }
        return rows;
    }

    private static void createTable(Connection c, Dialect dialect, SnapshotDescriptor.Table t) throws SQLException {
        StringBuilder sql = new StringBuilder("CREATE TABLE ").append(dialect.quote(t.table())).append(" (");
        for (SnapshotDescriptor.Column col : t.columns()) {
            sql.append(dialect.quote(col.name())).append(' ').append(col.type()).append(col.nullable() ? "" : " NOT NULL")
                    .append(", ");
        }
        sql.append("PRIMARY KEY (");
        dialect.appendList(sql, t.primaryKey());
        sql.append("))");
        try (Statement st = c.createStatement()) {
            st.execute(sql.toString());
        } catch (SQLException e) {
            throw new StandbyException("cannot create table '" + t.table() + "' on the restore target from the snapshot's "
                    + "columns (" + sql + "): " + e.getMessage() + "; create it yourself (a snapshot of another engine "
                    + "carries that engine's types) and restore again", e);
        }
        c.commit();
        LOG.info("Created table {} on the restore target from the snapshot's columns (no indexes, policies or grants)",
                t.table());
    }

    /** Receives one snapshot row. */
    @FunctionalInterface
    private interface RowSink {
        void accept(JsonNode row) throws SQLException;
    }

    /**
     * Streams a part's rows into {@code sink} after checking its length and SHA-256 against the descriptor; a row count
     * that differs from the descriptor's is a defect thrown before the caller commits.
     */
    private void loadPart(SnapshotDescriptor.Part part, RowSink sink) throws SQLException {
        byte[] bytes = store.get(part.key()).orElseThrow(() -> new ArchiveDefectException(
                ArchiveDefectException.Kind.MISSING_SEGMENT, part.key(), "listed by snapshot.json but not in the store"));
        if (bytes.length != part.bytes() || !Sha256.hex(bytes).equals(part.sha256())) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.CHECKSUM_MISMATCH, part.key(), "is " + bytes.length
                    + " bytes with SHA-256 " + Sha256.hex(bytes) + ", snapshot.json lists " + part.bytes() + " bytes with "
                    + part.sha256());
        }
        long rows = 0;
        try (SnapshotRowSeal seal = new SnapshotRowSeal(part.key(), encryption.keys());
             BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                new ByteArrayInputStream(bytes), 1 << 16), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode row = seal.rowOf(JSON.readTree(line), rows);
                if (row == null) {
                    continue; // a tenant's key line
                }
                if (!row.isObject()) {
                    throw new IOException("line " + (rows + 1) + " has no row object");
                }
                sink.accept(row);
                rows++;
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof StandbyException se) {
                throw se;
            }
            if (e instanceof ArchiveDefectException de) {
                throw de;
            }
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, part.key(), "unreadable row file: "
                    + e.getMessage());
        }
        if (rows != part.rows()) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.RANGE_MISMATCH, part.key(), "holds " + rows
                    + " rows, snapshot.json lists " + part.rows());
        }
    }

    /** Commit time of a manifest's first event; of its watermark if it lists no segment (ADR 0048). */
    private static long firstTsMs(io.fleetshard.archive.format.Manifest m) {
        return m.hasSegments() ? m.segments().get(0).firstCommitTsMs() : m.watermark().commitTsMs();
    }
}
