package io.fleetshard.iceberg;

/**
 * What one maintenance run did to one table (ADR 0019).
 *
 * @param table the Iceberg table, {@code namespace.name}
 * @param partitionsCompacted partitions rewritten
 * @param dataFilesRemoved data files replaced by the compaction
 * @param deleteFilesRemoved delete files the compaction applied and removed
 * @param dataFilesAdded data files it wrote
 * @param rowsRewritten rows it wrote
 * @param compactionSnapshotId its {@code REPLACE} snapshot, or null if nothing needed compacting
 * @param snapshotsExpired snapshots expired
 * @param orphansRemoved unreferenced files deleted
 */
public record IcebergSinkMaintenance(String table, int partitionsCompacted, int dataFilesRemoved,
        int deleteFilesRemoved, int dataFilesAdded, long rowsRewritten, Long compactionSnapshotId, int snapshotsExpired,
        int orphansRemoved) {
}
