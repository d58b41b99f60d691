package io.fleetshard.controlapi;

import java.util.List;

/**
 * A sharded table as the resharder sees it: every table of the shard's schema that has {@code tenant_id} and
 * {@code fleet_id} columns and a primary key. {@code columns} in table order; {@code primaryKey} in key order.
 * {@code types}, one per column, only where a cross-engine move read them (ADR 0047), else empty: a table with types is
 * copied, cut into ranges and checksummed in the engine-neutral form.
 */
record ReshardTable(String name, List<String> columns, List<String> primaryKey, List<ColumnType> types) {
    ReshardTable {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        types = List.copyOf(types);
        if (!types.isEmpty() && types.size() != columns.size()) {
            throw new IllegalArgumentException("table " + name + " has " + columns.size() + " columns but "
                    + types.size() + " types");
        }
    }

    ReshardTable(String name, List<String> columns, List<String> primaryKey) {
        this(name, columns, primaryKey, List.of());
    }

    /** Whether this table is handled in the engine-neutral form of a cross-engine move (ADR 0047). */
    boolean neutral() {
        return !types.isEmpty();
    }

    ColumnType type(String column) {
        int i = columns.indexOf(column);
        if (i < 0 || types.isEmpty()) {
            throw new IllegalArgumentException("table " + name + " has no typed column " + column);
        }
        return types.get(i);
    }
}
