package io.fleetshard.iceberg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.expressions.UnboundTerm;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriteResult;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.RollingDataWriter;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.apache.iceberg.transforms.Transform;
import org.apache.iceberg.util.StructLikeWrapper;

/**
 * Maintenance of one table the sink writes (ADR 0019): compaction of small data files and of the equality deletes,
 * snapshot expiry, orphan-file removal. Safe to run while the sink commits, with the guarantees of ADR 0017 intact:
 * <ul>
 *   <li>A compaction is a {@code REPLACE} snapshot without {@code fleetshard.writer}: the sink finds its offsets in its
 *       own newest snapshot, and its conflict validation counts only appends, overwrites and deletes, so a compaction
 *       neither moves its position nor fails its next commit.</li>
 *   <li>Compacted files keep the data sequence number of the snapshot they were read from, so equality deletes the
 *       sink commits meanwhile still apply to them; a delete file is removed only with every data file of its
 *       partition, all rewritten with that delete applied.</li>
 *   <li>Expiry never removes the sink's newest snapshot (its position and its validation base).</li>
 * </ul>
 */
final class TableMaintenance {
    /** Summary property of maintenance snapshots, naming what made them. */
    static final String MAINTENANCE = "fleetshard.maintenance";
    /** A data file below this share of the target size is small: compaction merges it. */
    static final double SMALL_FILE_SHARE = 0.75;

    private TableMaintenance() {
    }

    /** What one compaction did. */
    record Compaction(int partitions, int dataFilesRemoved, int deleteFilesRemoved, int dataFilesAdded, long rows,
            Long snapshotId) {
        static final Compaction NONE = new Compaction(0, 0, 0, 0, 0, null);
    }

    /** The data files of one partition and the delete files that apply to them, as of one snapshot. */
    private static final class PartitionFiles {
        final StructLike partition;
        final List<DataFile> data = new ArrayList<>();
        final Map<String, DeleteFile> deletes = new LinkedHashMap<>();

        PartitionFiles(StructLike partition) {
            this.partition = partition;
        }
    }

    /**
     * Rewrites each partition that has delete files, or at least {@code minInputFiles} small data files, into data
     * files of about {@code targetFileSizeBytes} with its deletes applied, in one {@code REPLACE} commit. The rows
     * read are the table's rows as of its current snapshot; nothing else changes.
     */
    static Compaction compact(Table table, long targetFileSizeBytes, int minInputFiles) {
        table.refresh();
        Snapshot base = table.currentSnapshot();
        if (base == null) {
            return Compaction.NONE;
        }
        PartitionSpec spec = table.spec();
        Map<StructLikeWrapper, PartitionFiles> byPartition = new LinkedHashMap<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(base.snapshotId()).planFiles()) {
            for (FileScanTask task : tasks) {
                DataFile file = task.file();
                if (file.specId() != spec.specId()) {
                    continue; // files of an older partition spec: none exist in the sink's tables
                }
                StructLikeWrapper key = StructLikeWrapper.forType(spec.partitionType()).set(file.partition());
                PartitionFiles p = byPartition.computeIfAbsent(key, k -> new PartitionFiles(file.partition()));
                if (p.data.stream().noneMatch(d -> d.location().equals(file.location()))) {
                    p.data.add(file);
                }
                task.deletes().forEach(d -> p.deletes.put(d.location(), d));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not plan the compaction of " + table.name(), e);
        }
        long small = (long) (targetFileSizeBytes * SMALL_FILE_SHARE);
        List<PartitionFiles> chosen = new ArrayList<>();
        for (PartitionFiles p : byPartition.values()) {
            long smallFiles = p.data.stream().filter(d -> d.fileSizeInBytes() < small).count();
            if (!p.deletes.isEmpty() || (smallFiles >= minInputFiles && p.data.size() > 1)) {
                chosen.add(p);
            }
        }
        if (chosen.isEmpty()) {
            return Compaction.NONE;
        }
        GenericFileWriterFactory writers = new GenericFileWriterFactory.Builder(table)
                .dataFileFormat(FileFormat.PARQUET).dataSchema(table.schema()).build();
        OutputFileFactory files = OutputFileFactory.builderFor(table, 3, System.currentTimeMillis())
                .format(FileFormat.PARQUET).build();
        Set<DataFile> removedData = new HashSet<>();
        Set<DeleteFile> removedDeletes = new HashSet<>();
        Set<DataFile> added = new HashSet<>();
        long rows = 0;
        for (PartitionFiles p : chosen) {
            RollingDataWriter<Record> writer = new RollingDataWriter<>(writers, files, table.io(), targetFileSizeBytes,
                    spec, spec.isUnpartitioned() ? null : p.partition);
            try (CloseableIterable<Record> records = IcebergGenerics.read(table).useSnapshot(base.snapshotId())
                    .where(partitionFilter(table, spec, p.partition)).build()) {
                try (writer) {
                    for (Record r : records) {
                        writer.write(r);
                        rows++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not rewrite a partition of " + table.name(), e);
            }
            DataWriteResult result = writer.result();
            added.addAll(result.dataFiles());
            removedData.addAll(p.data);
            removedDeletes.addAll(p.deletes.values());
        }
        RewriteFiles rewrite = table.newRewrite()
                .validateFromSnapshot(base.snapshotId())
                .dataSequenceNumber(base.sequenceNumber());
        removedData.forEach(rewrite::deleteFile);
        removedDeletes.forEach(rewrite::deleteFile);
        added.forEach(rewrite::addFile);
        rewrite.set(MAINTENANCE, "compaction");
        rewrite.commit();
        return new Compaction(chosen.size(), removedData.size(), removedDeletes.size(), added.size(), rows,
                table.currentSnapshot().snapshotId());
    }

    /**
     * The rows of exactly one partition: each partition field's transform of its source column equals the partition's
     * value (or is null).
     */
    @SuppressWarnings("unchecked")
    private static Expression partitionFilter(Table table, PartitionSpec spec, StructLike partition) {
        Expression filter = Expressions.alwaysTrue();
        List<PartitionField> fields = spec.fields();
        for (int i = 0; i < fields.size(); i++) {
            PartitionField f = fields.get(i);
            String source = table.schema().findColumnName(f.sourceId());
            Object value = partition.get(i, Object.class);
            UnboundTerm<Object> term = f.transform().isIdentity() ? Expressions.ref(source)
                    : Expressions.transform(source, (Transform<?, Object>) f.transform());
            filter = Expressions.and(filter, value == null ? Expressions.isNull(term) : Expressions.equal(term, value));
        }
        return filter;
    }

    /**
     * Expires the snapshots older than {@code maxAgeMs} beyond the newest {@code retainLast}, and the files only they
     * referenced; never the sink's newest snapshot (nor anything after it), which holds its position. Answers how many
     * snapshots expired.
     */
    static int expireSnapshots(Table table, long nowMs, long maxAgeMs, int retainLast) {
        table.refresh();
        if (table.currentSnapshot() == null) {
            return 0;
        }
        long olderThan = nowMs - maxAgeMs;
        Long sinkSnapshot = newestSinkSnapshot(table);
        if (sinkSnapshot != null) {
            olderThan = Math.min(olderThan, table.snapshot(sinkSnapshot).timestampMillis());
        }
        int before = countSnapshots(table);
        table.expireSnapshots().expireOlderThan(olderThan).retainLast(retainLast).commit();
        table.refresh();
        return before - countSnapshots(table);
    }

    private static Long newestSinkSnapshot(Table table) {
        for (Snapshot s : org.apache.iceberg.util.SnapshotUtil.currentAncestors(table)) {
            if (SnapshotOffsets.WRITER_VALUE.equals(s.summary().get(SnapshotOffsets.WRITER))) {
                return s.snapshotId();
            }
        }
        return null;
    }

    private static int countSnapshots(Table table) {
        int n = 0;
        for (Snapshot ignored : table.snapshots()) {
            n++;
        }
        return n;
    }

    /**
     * Deletes the files under the table's location that no snapshot, manifest or metadata file references and that
     * were written before {@code olderThanMs} — the files of commits that failed or crashed. The age keeps the files
     * of a commit still in flight (written, not yet committed) safe. Answers the deleted locations.
     */
    static List<String> removeOrphans(Table table, long olderThanMs) {
        table.refresh();
        FileIO io = table.io();
        if (!(io instanceof SupportsPrefixOperations prefixes)) {
            throw new IcebergSinkException("orphan removal needs a FileIO that lists (S3FileIO does); "
                    + table.name() + " has " + io.getClass().getName());
        }
        Set<String> reachable = reachableFiles(table);
        List<String> orphans = new ArrayList<>();
        String location = table.location().endsWith("/") ? table.location() : table.location() + "/";
        for (FileInfo f : prefixes.listPrefix(location)) {
            if (f.createdAtMillis() < olderThanMs && !reachable.contains(normalize(f.location()))) {
                orphans.add(f.location());
            }
        }
        // a commit landing between the listing and the reachability check would add files newer than the cut-off:
        // reachability was taken first, and only files older than the cut-off are deleted
        orphans.forEach(io::deleteFile);
        return orphans;
    }

    /** Every file a valid snapshot or the metadata references: metadata, manifest lists, manifests, data, deletes. */
    static Set<String> reachableFiles(Table table) {
        FileIO io = table.io();
        Set<String> out = new HashSet<>();
        ReachableFileUtil.metadataFileLocations(table, true).forEach(l -> out.add(normalize(l)));
        out.add(normalize(ReachableFileUtil.versionHintLocation(table)));
        ReachableFileUtil.manifestListLocations(table).forEach(l -> out.add(normalize(l)));
        ReachableFileUtil.statisticsFilesLocations(table).forEach(l -> out.add(normalize(l)));
        Set<String> manifests = new HashSet<>();
        for (Snapshot s : table.snapshots()) {
            for (ManifestFile m : s.allManifests(io)) {
                if (!manifests.add(m.path())) {
                    continue;
                }
                out.add(normalize(m.path()));
                try (CloseableIterable<? extends ContentFile<?>> entries = switch (m.content()) {
                    case DATA -> ManifestFiles.read(m, io, table.specs());
                    case DELETES -> ManifestFiles.readDeleteManifest(m, io, table.specs());
                }) {
                    entries.forEach(f -> out.add(normalize(f.location())));
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read manifest " + m.path(), e);
                }
            }
        }
        return out;
    }

    /** {@code s3a://} and {@code s3://} name the same object. */
    private static String normalize(String location) {
        return location.startsWith("s3a://") ? "s3://" + location.substring("s3a://".length()) : location;
    }
}
