package io.fleetshard.controlapi;

import java.util.List;

/**
 * A sharded table as the resharder sees it: every table of the shard's schema that has {@code tenant_id} and
 * {@code fleet_id} columns and a primary key. {@code columns} in table order; {@code primaryKey} in key order.
 */
record ReshardTable(String name, List<String> columns, List<String> primaryKey) {
    ReshardTable {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
    }
}
