package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Writes one batch into one Iceberg table as Parquet files and commits them in one {@link RowDelta} whose snapshot
 * summary carries the Kafka offsets the table then reflects (ADR 0017): data and position become visible together
 * or not at all.
 */
final class TableCommitter {
    private static final FileFormat FORMAT = FileFormat.PARQUET;

    private TableCommitter() {
    }

    /** What a commit produced. */
    record Committed(long snapshotId, int dataFiles, int deleteFiles, long rows, long deletes) {
    }

    /**
     * Adds the columns the batch's rows have and the table lacks, as optional columns of their inferred type
     * (schema evolution: a column added on the shards appears in the table). Answers whether the schema changed.
     */
    static boolean evolveSchema(Table table, List<ObjectNode> rows) {
        Map<String, Type> added = new LinkedHashMap<>();
        Schema schema = table.schema();
        for (ObjectNode row : rows) {
            TableLayouts.newColumns(schema, row).forEach(added::putIfAbsent);
        }
        if (added.isEmpty()) {
            return false;
        }
        UpdateSchema update = table.updateSchema();
        added.forEach((name, type) -> update.addColumn(name, type, "added by iceberg-sink from a change event"));
        update.commit();
        table.refresh();
        return true;
    }

    /**
     * Commits {@code batch} to the current-state table: one equality delete (on the identifier fields) per key that
     * may hold a row, one data row per key that ends with a row.
     *
     * @param base the snapshot the sink's offsets came from; a commit by anyone else that added files after it
     *        fails this commit (two sinks on one table cannot both apply a batch)
     * @param offsets every partition's next offset for the summary
     */
    static Committed upsert(Table table, String topic, ChangeBatch batch, Long base, Map<Integer, Long> offsets) {
        evolveSchema(table, batch.upserts().stream().map(k -> k.last().after()).toList());
        Schema schema = table.schema();
        Schema keySchema = schema.select(schema.identifierFieldNames());
        int[] keyIds = schema.identifierFieldIds().stream().mapToInt(Integer::intValue).sorted().toArray();
        GenericFileWriterFactory writers = new GenericFileWriterFactory.Builder(table)
                .dataFileFormat(FORMAT).dataSchema(schema)
                .deleteFileFormat(FORMAT).equalityFieldIds(keyIds).equalityDeleteRowSchema(keySchema)
                .build();
        OutputFileFactory files = OutputFileFactory.builderFor(table, 1, System.currentTimeMillis()).format(FORMAT).build();
        PartitionSpec spec = table.spec();

        List<DeleteFile> deleteFiles = new ArrayList<>();
        List<List<Object>> deletes = batch.deletes();
        if (!deletes.isEmpty()) {
            List<String> keyNames = keySchema.columns().stream().map(Types.NestedField::name).toList();
            List<Record> keyRows = new ArrayList<>(deletes.size());
            for (List<Object> key : deletes) {
                Record r = GenericRecord.create(keySchema);
                for (int i = 0; i < keyNames.size(); i++) {
                    r.setField(keyNames.get(i), key.get(i));
                }
                keyRows.add(r);
            }
            deleteFiles = writePartitioned(keyRows, spec, keySchema,
                    p -> writers.newEqualityDeleteWriter(files.newOutputFile(spec, p), spec, p),
                    EqualityDeleteWriter::write, w -> w.toDeleteFile());
        }
        List<Record> rows = new ArrayList<>();
        for (ChangeBatch.KeyChange k : batch.upserts()) {
            rows.add(row(schema, k.last().after(), k.last()));
        }
        List<DataFile> dataFiles = writePartitioned(rows, spec, schema,
                p -> writers.newDataWriter(files.newOutputFile(spec, p), spec, p), DataWriter::write, DataWriter::toDataFile);

        RowDelta delta = table.newRowDelta();
        dataFiles.forEach(delta::addRows);
        deleteFiles.forEach(delta::addDeletes);
        long snapshotId = commit(table, delta, topic, base, offsets, batch.size());
        return new Committed(snapshotId, dataFiles.size(), deleteFiles.size(), rows.size(), deletes.size());
    }

    /** Appends every event of {@code batch} to a history table ({@link TableLayouts#history}), offsets as in {@link #upsert}. */
    static Committed appendHistory(Table table, String topic, ChangeBatch batch, Long base, Map<Integer, Long> offsets) {
        evolveSchema(table, batch.events().stream().map(ChangeEvent::image).toList());
        Schema schema = table.schema();
        GenericFileWriterFactory writers = new GenericFileWriterFactory.Builder(table)
                .dataFileFormat(FORMAT).dataSchema(schema).build();
        OutputFileFactory files = OutputFileFactory.builderFor(table, 2, System.currentTimeMillis()).format(FORMAT).build();
        PartitionSpec spec = table.spec();
        List<Record> rows = new ArrayList<>();
        for (ChangeEvent e : batch.events()) {
            Record r = row(schema, e.image(), e);
            r.setField(TableLayouts.OP, e.op().code());
            r.setField(TableLayouts.COMMIT_TS, Instant.ofEpochMilli(e.commitTsMs()).atOffset(ZoneOffset.UTC));
            r.setField(TableLayouts.TX_ID, e.txId());
            r.setField(TableLayouts.SHARD, e.shard());
            r.setField(TableLayouts.KAFKA_PARTITION, e.partition());
            r.setField(TableLayouts.KAFKA_OFFSET, e.offset());
            rows.add(r);
        }
        List<DataFile> dataFiles = writePartitioned(rows, spec, schema,
                p -> writers.newDataWriter(files.newOutputFile(spec, p), spec, p), DataWriter::write, DataWriter::toDataFile);
        RowDelta delta = table.newRowDelta();
        dataFiles.forEach(delta::addRows);
        long snapshotId = commit(table, delta, topic, base, offsets, batch.size());
        return new Committed(snapshotId, dataFiles.size(), 0, rows.size(), 0);
    }

    /**
     * Commits a snapshot that adds no file and only moves the recorded offsets on, past records the sink skipped
     * (an offload's deletes, ADR 0023); the same conflict check as a data commit.
     */
    static Committed offsetsOnly(Table table, String topic, Long base, Map<Integer, Long> offsets) {
        long snapshotId = commit(table, table.newRowDelta(), topic, base, offsets, 0);
        return new Committed(snapshotId, 0, 0, 0, 0);
    }

    /** The generic record of {@code image} under {@code schema}; columns the image lacks stay null. */
    static Record row(Schema schema, ObjectNode image, ChangeEvent e) {
        Record r = GenericRecord.create(schema);
        for (Types.NestedField f : schema.columns()) {
            JsonNode v = image.get(f.name());
            try {
                r.setField(f.name(), ColumnValues.convert(f.type(), v));
            } catch (IllegalArgumentException ex) {
                throw new DefectiveChangeException("column " + f.name() + " of the change at " + e.position() + ": "
                        + ex.getMessage() + " (a retyped column needs a new table column: see docs/spec/change-events.md"
                        + " \"Schema changes\")", ex);
            }
        }
        return r;
    }

    private static long commit(Table table, RowDelta delta, String topic, Long base, Map<Integer, Long> offsets, int events) {
        if (base != null) {
            delta.validateFromSnapshot(base)
                    .conflictDetectionFilter(Expressions.alwaysTrue())
                    .validateNoConflictingDataFiles()
                    .validateNoConflictingDeleteFiles();
        }
        offsets.forEach((p, o) -> delta.set(SnapshotOffsets.property(topic, p), Long.toString(o)));
        delta.set(SnapshotOffsets.WRITER, SnapshotOffsets.WRITER_VALUE);
        delta.set("fleetshard.events", Integer.toString(events));
        delta.commit();
        Snapshot s = table.currentSnapshot(); // the commit refreshed the table to its own result
        return s.snapshotId();
    }

    @FunctionalInterface
    private interface WriterOpener<W> {
        W open(PartitionKey partition);
    }

    @FunctionalInterface
    private interface RowSink<W> {
        void write(W writer, Record row);
    }

    /** Writes {@code rows} into one file per partition of {@code spec}; answers the files. */
    private static <W extends java.io.Closeable, F> List<F> writePartitioned(List<Record> rows, PartitionSpec spec,
            Schema schema, WriterOpener<W> open, RowSink<W> sink, Function<W, F> result) {
        if (rows.isEmpty()) {
            return List.of();
        }
        Map<PartitionKey, W> writers = new HashMap<>();
        PartitionKey key = new PartitionKey(spec, schema);
        InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
        List<F> out = new ArrayList<>();
        try {
            for (Record row : rows) {
                key.partition(wrapper.wrap(row));
                W w = writers.get(key);
                if (w == null) {
                    PartitionKey copy = key.copy();
                    w = open.open(spec.isUnpartitioned() ? null : copy);
                    writers.put(copy, w);
                }
                sink.write(w, row);
            }
            for (W w : writers.values()) {
                w.close();
            }
            for (W w : writers.values()) {
                out.add(result.apply(w));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write a data or delete file: " + e.getMessage(), e);
        }
    }
}
