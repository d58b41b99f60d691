package io.fleetshard.controlapi;

import java.util.List;

/**
 * A sharded table as the resharder sees it: every table of the shard's schema that has {@code tenant_id} and
 * {@code fleet_id} columns and a primary key. {@code columns} in table order; {@code typeNames} the database's type
 * name of each column, in the same order.
 */
record ReshardTable(String name, List<String> columns, List<String> typeNames, List<String> primaryKey) {
    ReshardTable {
        columns = List.copyOf(columns);
        typeNames = List.copyOf(typeNames);
        primaryKey = List.copyOf(primaryKey);
        if (columns.size() != typeNames.size()) {
            throw new IllegalArgumentException("one type per column");
        }
    }
}
