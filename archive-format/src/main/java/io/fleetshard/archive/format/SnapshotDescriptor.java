package io.fleetshard.archive.format;

import java.util.List;
import java.util.Objects;

/**
 * A base snapshot's {@code snapshot.json} (docs/spec/archive.md, "Base snapshot"): the state after applying manifests
 * {@code 1..manifestSeq}, table by table, with each table's columns (engine type text), primary key and row files.
 */
public record SnapshotDescriptor(String shard, String tier, long manifestSeq, String manifestSha256, long nextOffset,
                                 long lastCommitTsMs, long createdMs, List<Table> tables) {

    /** One column as the source engine names its type ({@code format_type()} / {@code COLUMN_TYPE}). */
    public record Column(String name, String type, boolean nullable) {
        public Column {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    /** A row file of a table: gzip JSON lines, one {@code {"row":R}} per row. */
    public record Part(String key, long rows, long bytes, String sha256) {
        public Part {
            Objects.requireNonNull(key, "key");
            if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("snapshot part " + key + ": sha256 must be 64 lower-case hex digits");
            }
            if (rows < 0 || bytes < 0) {
                throw new IllegalArgumentException("snapshot part " + key + ": rows and bytes must be non-negative");
            }
        }
    }

    /** One table of the snapshot. */
    public record Table(String table, List<Column> columns, List<String> primaryKey, List<Part> parts) {
        public Table {
            Objects.requireNonNull(table, "table");
            columns = List.copyOf(columns);
            primaryKey = List.copyOf(primaryKey);
            parts = List.copyOf(parts);
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("snapshot table " + table + " lists no column");
            }
            if (primaryKey.isEmpty()) {
                throw new IllegalArgumentException("snapshot table " + table + " has no primary key");
            }
            for (String k : primaryKey) {
                if (columns.stream().noneMatch(c -> c.name().equals(k))) {
                    throw new IllegalArgumentException("snapshot table " + table + ": key column " + k + " is not a column");
                }
            }
        }

        public long rows() {
            return parts.stream().mapToLong(Part::rows).sum();
        }
    }

    public SnapshotDescriptor {
        Objects.requireNonNull(shard, "shard");
        Objects.requireNonNull(tier, "tier");
        if (manifestSeq < 1) {
            throw new IllegalArgumentException("a snapshot follows manifest 1 or later, got " + manifestSeq);
        }
        if (manifestSha256 == null || !manifestSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("snapshot " + manifestSeq + ": manifestSha256 must be 64 lower-case hex digits");
        }
        tables = List.copyOf(tables);
    }

    public long rows() {
        return tables.stream().mapToLong(Table::rows).sum();
    }
}
