package io.fleetshard.standby;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.SnapshotDescriptor;
import io.fleetshard.archive.format.SnapshotParser;
import io.fleetshard.archive.format.SnapshotRowSeal;
import io.fleetshard.archive.format.StoredManifest;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a base snapshot of a warm standby to the archive (docs/spec/archive.md, "Base snapshot"): the standby's
 * position row and every table's rows read in ONE repeatable-read transaction, so the rows are exactly the state after
 * the position's manifest. Rows stream into gzip JSON-lines parts of bounded size (one compressed part in memory at a
 * time), each stored write-once; {@code snapshot.json} is written last, so a snapshot without it does not exist.
 */
public final class SnapshotWriter {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FETCH_SIZE = 1_000;

    private final ArchiveStore store;
    private final ShardArchivePath path;
    private final StandbyApplierConfig config;
    private final Clock clock;
    private final ArchiveEncryption encryption;
    private final Predicate<String> sealed;

    public SnapshotWriter(ArchiveStore store, ShardArchivePath path, StandbyApplierConfig config, Clock clock) {
        this(store, path, config, ArchiveEncryption.NONE, t -> false, clock);
    }

    /**
     * A writer that seals the rows (by their {@code tenant_id} column) of every tenant {@code encryption} seals, and of
     * every tenant {@code alsoSealed} names (the tenants an applier found sealed in the segments), ADR 0025.
     */
    public SnapshotWriter(ArchiveStore store, ShardArchivePath path, StandbyApplierConfig config, ArchiveEncryption encryption,
                          Predicate<String> alsoSealed, Clock clock) {
        this.encryption = encryption;
        this.sealed = t -> encryption.seals(t) || (t != null && alsoSealed.test(t));
        this.store = store;
        this.path = path;
        this.config = config;
        this.clock = clock;
    }

    /** The manifest seq of the newest complete snapshot (one with {@code snapshot.json}), 0 if none. */
    public long latestSnapshotSeq() {
        long latest = 0;
        for (ArchiveStore.StoredObject o : store.list(path.snapshotsPrefix(), null, Integer.MAX_VALUE)) {
            latest = Math.max(latest, path.snapshotSeqOf(o.key()));
        }
        return latest;
    }

    /**
     * Snapshots the standby at {@code standbyJdbcUrl} at its current position; if a snapshot of that manifest exists
     * already, returns it unchanged.
     *
     * @throws StandbyException when the standby has applied nothing yet or cannot be read
     */
    public SnapshotDescriptor write(String standbyJdbcUrl) {
        Dialect dialect = Dialect.of(standbyJdbcUrl);
        TableCatalog catalog = new TableCatalog(dialect);
        PositionTable positions = new PositionTable(dialect);
        try (Connection c = dialect.connect(standbyJdbcUrl, config.dbUser(), config.dbPassword())) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                if (dialect == Dialect.MARIADB) {
                    try (var s = c.createStatement()) {
                        s.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
                    }
                }
                StandbyPosition p = positions.read(c, path.shardId()).filter(x -> x.manifestSeq() > 0).orElseThrow(() ->
                        new StandbyException("the standby has applied no manifest of shard " + path.shardId()
                                + " yet: a base snapshot is taken after the first manifest"));
                Optional<byte[]> existing = store.get(path.snapshotKey(p.manifestSeq()));
                if (existing.isPresent()) {
                    c.rollback();
                    return SnapshotParser.parse(path.snapshotKey(p.manifestSeq()), existing.get());
                }
                checkAgainstArchive(p);
                List<SnapshotDescriptor.Table> tables = new ArrayList<>();
                for (String table : catalog.tables(c)) {
                    if (table.equals(Dialect.POSITION_TABLE) || table.equals(PositionTable.PROMOTED_TABLE)) {
                        continue;
                    }
                    TableShape shape = catalog.find(c, table).orElseThrow();
                    if (shape.primaryKey().isEmpty()) {
                        LOG.warn("Table '{}' of shard {}'s standby has no primary key and is left out of the snapshot", table,
                                path.shardId());
                        continue;
                    }
                    tables.add(writeTable(c, dialect, shape, p.manifestSeq()));
                }
                c.rollback();
                SnapshotDescriptor d = new SnapshotDescriptor(path.shardId(), path.tier(), p.manifestSeq(), p.manifestSha256(),
                        p.nextOffset(), p.lastCommitTsMs(), clock.millis(), tables);
                String key = path.snapshotKey(p.manifestSeq());
                if (store.putIfAbsent(key, SnapshotParser.toBytes(d)) == ArchiveStore.PutOutcome.ALREADY_EXISTS) {
                    return SnapshotParser.parse(key, store.get(key).orElseThrow());
                }
                return d;
            } finally {
                ManifestApplier.rollbackQuietly(c);
            }
        } catch (SQLException e) {
            throw new StandbyException("base snapshot of shard " + path.shardId() + " from " + Dialect.redact(standbyJdbcUrl)
                    + " failed: " + e.getMessage() + "; check the standby is reachable and the user may read every table", e);
        }
    }

    /** The standby's position must be a manifest of the archive, with its hash. */
    private void checkAgainstArchive(StandbyPosition p) {
        StoredManifest m = new ArchiveReader(store, path).get(p.manifestSeq()).orElseThrow(() -> new ArchiveDefectException(
                ArchiveDefectException.Kind.MISSING_MANIFEST, path.manifestKey(p.manifestSeq()),
                "the standby's position names it but the archive does not hold it"));
        if (!m.sha256().equals(p.manifestSha256())) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.BROKEN_CHAIN, m.key(), "the standby applied a "
                    + "manifest with SHA-256 " + p.manifestSha256() + ", the archive's has " + m.sha256());
        }
    }

    private SnapshotDescriptor.Table writeTable(Connection c, Dialect dialect, TableShape shape, long seq) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ");
        dialect.appendList(sql, shape.columns().stream().map(TableShape.Column::name).toList());
        sql.append(" FROM ").append(dialect.quote(shape.table())).append(" ORDER BY ");
        dialect.appendList(sql, shape.primaryKey());
        List<SnapshotDescriptor.Part> parts = new ArrayList<>();
        int tenantColumn = shape.columns().stream().map(TableShape.Column::name).toList().indexOf("tenant_id");
        try (PreparedStatement ps = c.prepareStatement(sql.toString(), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
            ps.setFetchSize(FETCH_SIZE);
            try (ResultSet rs = ps.executeQuery()) {
                PartBuffer part = null;
                while (rs.next()) {
                    if (part == null) {
                        part = new PartBuffer(path.snapshotPartKey(seq, shape.table(), parts.size() + 1), encryption.keys());
                    }
                    String tenant = tenantColumn < 0 ? null : rs.getString(tenantColumn + 1);
                    if (tenant != null && sealed.test(tenant)) {
                        if (encryption.keys() == null) {
                            throw new StandbyException("rows of tenant " + tenant + " are sealed in the archive but this "
                                    + "applier has no key provider (archive.encryption.*): no snapshot is written in the clear");
                        }
                        com.fasterxml.jackson.databind.node.ObjectNode row = JSON.createObjectNode();
                        int i = 1;
                        for (TableShape.Column col : shape.columns()) {
                            row.set(col.name(), ColumnValues.read(dialect, rs, i++, col));
                        }
                        part.sealedRow(tenant, row.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    } else {
                        part.begin();
                        int i = 1;
                        for (TableShape.Column col : shape.columns()) {
                            JsonNode v = ColumnValues.read(dialect, rs, i++, col);
                            part.field(col.name(), v);
                        }
                        part.end();
                    }
                    if (part.uncompressedBytes() >= config.snapshotPartMaxBytes()) {
                        parts.add(upload(part));
                        part = null;
                    }
                }
                if (part != null) {
                    parts.add(upload(part));
                }
            }
        }
        List<SnapshotDescriptor.Column> columns = shape.columns().stream()
                .map(col -> new SnapshotDescriptor.Column(col.name(), col.type(), col.nullable())).toList();
        return new SnapshotDescriptor.Table(shape.table(), columns, shape.primaryKey(), parts);
    }

    private SnapshotDescriptor.Part upload(PartBuffer part) {
        byte[] bytes = part.finish();
        // A part with sealed rows is other bytes at every attempt (fresh data keys): an earlier incomplete attempt's
        // part conflicts below and this snapshot fails; the next one is taken at a later manifest (ADR 0025).
        String sha = Sha256.hex(bytes);
        if (store.putIfAbsent(part.key, bytes) == ArchiveStore.PutOutcome.ALREADY_EXISTS) {
            // an earlier attempt at this seq crashed before snapshot.json; same state, same rows, same bytes
            byte[] earlier = store.get(part.key).orElse(new byte[0]);
            if (!Sha256.hex(earlier).equals(sha)) {
                throw new StandbyException("snapshot part " + part.key + " exists with other content (an earlier, "
                        + "incomplete snapshot of the same manifest with other settings): delete the objects under its "
                        + "prefix (it has no snapshot.json, so no reader uses it) and retry");
            }
        }
        return new SnapshotDescriptor.Part(part.key, part.rows, bytes.length, sha);
    }

    /** One row file being written: gzip of {@code {"row":R}} lines into a byte array. */
    private static final class PartBuffer {
        private final String key;
        private final ByteArrayOutputStream compressed = new ByteArrayOutputStream(1 << 16);
        private final CountingStream counting;
        private final JsonGenerator json;
        private long rows;
        private final SnapshotRowSeal seal;

        PartBuffer(String key, io.fleetshard.archive.format.TenantKeyProvider keys) {
            this.key = key;
            this.seal = new SnapshotRowSeal(key, keys);
            try {
                this.counting = new CountingStream(new GZIPOutputStream(compressed, 1 << 16));
                this.json = JSON.getFactory().createGenerator((OutputStream) counting, JsonEncoding.UTF8);
                json.setRootValueSeparator(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A row of a sealed tenant: its key line first if it is the tenant's first in this part, then the sealed line. */
        void sealedRow(String tenant, byte[] rowJson) {
            try {
                String keyLine = seal.keyLine(tenant);
                if (keyLine != null) {
                    json.writeRaw(keyLine);
                    json.writeRaw('\n');
                }
                json.writeRaw(seal.sealedLine(tenant, rows, rowJson));
                json.writeRaw('\n');
                json.flush();
                rows++;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void begin() {
            try {
                json.writeStartObject();
                json.writeFieldName("row");
                json.writeStartObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void field(String name, JsonNode value) {
            try {
                json.writeFieldName(name);
                JSON.writeTree(json, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void end() {
            try {
                json.writeEndObject();
                json.writeEndObject();
                json.writeRaw('\n');
                json.flush();
                rows++;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        long uncompressedBytes() {
            return counting.count;
        }

        byte[] finish() {
            try {
                json.close();
                counting.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                seal.close();
            }
            return compressed.toByteArray();
        }
    }

    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
