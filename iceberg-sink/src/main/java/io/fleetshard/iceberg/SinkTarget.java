package io.fleetshard.iceberg;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.types.Types;

/**
 * One Iceberg table the sink writes, with the offsets its newest sink snapshot records and the events buffered for
 * its next commit. A logical table has one (current rows) or two (plus history). Used by the sink's thread only.
 */
final class SinkTarget {
    /** Properties of every table the sink creates: v2 row-level deletes, bounded metadata history. */
    static final Map<String, String> TABLE_PROPERTIES = Map.of(
            "format-version", "2",
            "write.parquet.compression-codec", "zstd",
            "write.metadata.delete-after-commit.enabled", "true",
            "write.metadata.previous-versions-max", "100");

    enum Kind { CURRENT, HISTORY }

    private final String logicalTable;
    private final String topic;
    private final Kind kind;
    private final TableIdentifier id;
    private Table table;
    private Schema keySchema;
    private Map<Integer, Long> committed = Map.of();
    private Long baseSnapshotId;
    private ChangeBatch batch;

    SinkTarget(String logicalTable, String topic, Kind kind, String namespace) {
        this.logicalTable = logicalTable;
        this.topic = topic;
        this.kind = kind;
        this.id = TableIdentifier.of(namespace, kind == Kind.CURRENT ? logicalTable
                : IcebergSinkConfig.historyTableOf(logicalTable));
    }

    TableIdentifier id() {
        return id;
    }

    Kind kind() {
        return kind;
    }

    /** Per partition, the next offset the table reflects. */
    Map<Integer, Long> committed() {
        return committed;
    }

    Long snapshotId() {
        return baseSnapshotId;
    }

    int buffered() {
        return batch == null ? 0 : batch.size();
    }

    /** (Re)reads the table's committed offsets, dropping anything buffered: the state after a restart or failure. */
    void load(Catalog catalog) {
        batch = null;
        if (table == null && catalog.tableExists(id)) {
            adopt(catalog.loadTable(id));
        }
        if (table == null) {
            committed = Map.of();
            baseSnapshotId = null;
            return;
        }
        table.refresh();
        SnapshotOffsets.Position p = SnapshotOffsets.read(table, topic);
        committed = p.offsets();
        baseSnapshotId = p.snapshotId();
    }

    /** Creates the table if it does not exist yet, with the layout of its logical table ({@code first} for unknown ones). */
    void ensureTable(Catalog catalog, ChangeEvent first) {
        if (table != null) {
            return;
        }
        TableLayouts.Layout base = TableLayouts.of(logicalTable, first);
        TableLayouts.Layout layout = kind == Kind.CURRENT ? base : TableLayouts.history(base.schema());
        if (catalog instanceof SupportsNamespaces ns && !ns.namespaceExists(id.namespace())) {
            try {
                ns.createNamespace(id.namespace());
            } catch (AlreadyExistsException raced) {
                // another sink created it meanwhile
            }
        }
        Table t;
        try {
            t = catalog.createTable(id, layout.schema(), layout.spec(), TABLE_PROPERTIES);
        } catch (AlreadyExistsException raced) {
            t = catalog.loadTable(id);
        }
        adopt(t);
    }

    private void adopt(Table t) {
        table = t;
        Schema s = t.schema();
        keySchema = s.identifierFieldIds().isEmpty() ? null : s.select(s.identifierFieldNames());
        if (kind == Kind.CURRENT && keySchema == null) {
            throw new IcebergSinkException("table " + id + " has no identifier fields (primary key): the sink cannot"
                    + " apply updates and deletes to it; set them with ALTER TABLE ... SET IDENTIFIER FIELDS");
        }
    }

    /** True when {@code e} is not yet in the table (its offset is at or after the committed one). */
    boolean needs(ChangeEvent e) {
        return e.offset() >= committed.getOrDefault(e.partition(), 0L);
    }

    /** Buffers {@code e} for the next commit; the table must exist. */
    void add(ChangeEvent e) {
        if (batch == null) {
            batch = new ChangeBatch(kind == Kind.CURRENT ? this::keyOf : ev -> List.of(ev.partition(), ev.offset()));
        }
        batch.add(e);
    }

    /** The primary key values of {@code e}, in the order of the table's identifier columns. */
    List<Object> keyOf(ChangeEvent e) {
        List<Object> key = new ArrayList<>(keySchema.columns().size());
        for (Types.NestedField f : keySchema.columns()) {
            Object v;
            try {
                v = ColumnValues.convert(f.type(), e.key().get(f.name()));
            } catch (IllegalArgumentException ex) {
                throw new DefectiveChangeException("key column " + f.name() + " of the change at " + e.position() + ": "
                        + ex.getMessage(), ex);
            }
            if (v == null) {
                throw new DefectiveChangeException("the change at " + e.position() + " lacks key column " + f.name()
                        + " of " + id + " (key " + e.key() + ")");
            }
            key.add(v);
        }
        return key;
    }

    /** Commits the buffered events, if any; answers what was committed, or null when there was nothing. */
    TableCommitter.Committed commit() {
        return commit(Map.of());
    }

    /**
     * Commits the buffered events, if any, recording for each partition the later of the offset after its last
     * buffered event and {@code positions}: the consumer's position, past the transaction markers and aborted records
     * it skipped, so the recorded offset does not point at a marker that retention may delete (a false gap).
     *
     * @param positions per partition, an offset before which every record was either buffered here or is not a change
     */
    TableCommitter.Committed commit(Map<Integer, Long> positions) {
        Map<Integer, Long> offsets = new TreeMap<>(committed);
        positions.forEach((p, o) -> offsets.merge(p, o, Math::max));
        if (batch == null || batch.isEmpty()) {
            if (offsets.equals(committed) || table == null) {
                return null;
            }
            // only skipped records (an offload's deletes) since the last commit: record the position alone
            TableCommitter.Committed c = TableCommitter.offsetsOnly(table, topic, baseSnapshotId, offsets);
            committed = Map.copyOf(offsets);
            baseSnapshotId = c.snapshotId();
            return c;
        }
        batch.nextOffsets().forEach((p, o) -> offsets.merge(p, o, Math::max));
        TableCommitter.Committed c = kind == Kind.CURRENT
                ? TableCommitter.upsert(table, topic, batch, baseSnapshotId, offsets)
                : TableCommitter.appendHistory(table, topic, batch, baseSnapshotId, offsets);
        committed = Map.copyOf(offsets);
        baseSnapshotId = c.snapshotId();
        batch = null;
        return c;
    }
}
