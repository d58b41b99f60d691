package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Schemas and partitioning of the tables the sink maintains (ADR 0017): the demo tables as the router's
 * {@code FleetSchema} creates them on the shards, any other table from its first change event, and the history
 * table of a table.
 */
final class TableLayouts {
    /** Columns the history table adds in front of the row's own columns. */
    static final String OP = "_op";
    static final String COMMIT_TS = "_commit_ts";
    static final String TX_ID = "_tx_id";
    static final String SHARD = "_shard";
    static final String KAFKA_PARTITION = "_kafka_partition";
    static final String KAFKA_OFFSET = "_kafka_offset";
    static final String TENANT = "tenant_id";

    private TableLayouts() {
    }

    /** A table's schema and partitioning; the schema's identifier fields are the primary key. */
    record Layout(Schema schema, PartitionSpec spec) {
    }

    /** True for the tables whose layout is fixed here (created at start); others are defined by their first event. */
    static boolean isFixed(String table) {
        return table.equals("vehicles") || table.equals("telemetry");
    }

    /**
     * The layout of {@code table}: fixed for {@code vehicles} and {@code telemetry}, else inferred from
     * {@code first} (key columns required, in key order; other columns of the row optional).
     */
    static Layout of(String table, ChangeEvent first) {
        Schema schema = switch (table) {
            case "vehicles" -> new Schema(List.of(
                    Types.NestedField.required(1, "tenant_id", Types.StringType.get()),
                    Types.NestedField.required(2, "fleet_id", Types.StringType.get()),
                    Types.NestedField.required(3, "vehicle_id", Types.StringType.get()),
                    Types.NestedField.optional(4, "vin", Types.StringType.get()),
                    Types.NestedField.optional(5, "status", Types.StringType.get()),
                    Types.NestedField.optional(6, "updated_at", Types.TimestampType.withZone())), Set.of(1, 2, 3));
            case "telemetry" -> new Schema(List.of(
                    Types.NestedField.required(1, "tenant_id", Types.StringType.get()),
                    Types.NestedField.required(2, "fleet_id", Types.StringType.get()),
                    Types.NestedField.required(3, "vehicle_id", Types.StringType.get()),
                    Types.NestedField.required(4, "ts", Types.TimestampType.withZone()),
                    Types.NestedField.optional(5, "lat", Types.DoubleType.get()),
                    Types.NestedField.optional(6, "lon", Types.DoubleType.get()),
                    Types.NestedField.optional(7, "speed_kph", Types.DoubleType.get())), Set.of(1, 2, 3, 4));
            default -> inferred(table, first);
        };
        return new Layout(schema, spec(table, schema));
    }

    /** tenant (and day of {@code ts} for telemetry): the filters analysts use; only key columns, so deletes partition too. */
    private static PartitionSpec spec(String table, Schema schema) {
        if (!schema.identifierFieldNames().contains(TENANT)) {
            return PartitionSpec.unpartitioned();
        }
        PartitionSpec.Builder b = PartitionSpec.builderFor(schema).identity(TENANT);
        if (table.equals("telemetry")) {
            b.day("ts");
        }
        return b.build();
    }

    private static Schema inferred(String table, ChangeEvent first) {
        if (first == null) {
            throw new IllegalArgumentException("table " + table + " has no fixed layout: its first change event defines it");
        }
        Map<String, Type> columns = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = first.key().fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            Type t = ColumnValues.inferType(e.getValue());
            if (t == null) {
                throw new IllegalArgumentException("key column " + e.getKey() + " of " + first.position() + " is null");
            }
            columns.put(e.getKey(), t);
        }
        List<Types.NestedField> fields = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        int id = 1;
        for (Map.Entry<String, Type> e : columns.entrySet()) {
            fields.add(Types.NestedField.required(id, e.getKey(), e.getValue()));
            ids.add(id++);
        }
        for (Map.Entry<String, Type> e : newColumns(new Schema(fields), first.image()).entrySet()) {
            fields.add(Types.NestedField.optional(id++, e.getKey(), e.getValue()));
        }
        return new Schema(fields, Set.copyOf(ids));
    }

    /** Columns of {@code row} that {@code schema} lacks, with their inferred types (null-valued ones wait). */
    static Map<String, Type> newColumns(Schema schema, ObjectNode row) {
        Map<String, Type> out = new LinkedHashMap<>();
        if (row == null) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (schema.findField(e.getKey()) == null) {
                Type t = ColumnValues.inferType(e.getValue());
                if (t != null) {
                    out.put(e.getKey(), t);
                }
            }
        }
        return out;
    }

    /**
     * The history table of a table with schema {@code base}: one row per change event, its {@code _op},
     * {@code _commit_ts}, {@code _tx_id}, {@code _shard}, {@code _kafka_partition}, {@code _kafka_offset}, then the
     * row image (after, or before for a delete), every column optional. Append-only, no identifier fields.
     */
    static Layout history(Schema base) {
        List<Types.NestedField> fields = new ArrayList<>(List.of(
                Types.NestedField.required(1, OP, Types.StringType.get()),
                Types.NestedField.required(2, COMMIT_TS, Types.TimestampType.withZone()),
                Types.NestedField.optional(3, TX_ID, Types.StringType.get()),
                Types.NestedField.optional(4, SHARD, Types.StringType.get()),
                Types.NestedField.required(5, KAFKA_PARTITION, Types.IntegerType.get()),
                Types.NestedField.required(6, KAFKA_OFFSET, Types.LongType.get())));
        int id = 7;
        for (Types.NestedField f : base.columns()) {
            fields.add(Types.NestedField.optional(id++, f.name(), f.type()));
        }
        Schema schema = new Schema(fields);
        PartitionSpec.Builder b = PartitionSpec.builderFor(schema);
        if (schema.findField(TENANT) != null) {
            b.identity(TENANT);
        }
        return new Layout(schema, b.day(COMMIT_TS).build());
    }
}
