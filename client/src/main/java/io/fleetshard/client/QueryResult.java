package io.fleetshard.client;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The answer to one statement ({@code POST /v1/query}).
 *
 * @param shardId the shard that ran it
 * @param nodeId the node that ran it
 * @param role that node's role: {@code primary}, {@code sync-replica}, {@code replica} or {@code standby}
 * @param columns result column names (empty for a write without {@code RETURNING})
 * @param columnTypes the database's type names of the columns
 * @param rows the rows
 * @param rowsAffected a write's update count, when it returned no rows
 * @param token a write's consistency token ({@code <shardId>@<engine>:<position>}); opaque. The session already
 *     remembers it for read-your-writes.
 */
public record QueryResult(String shardId, String nodeId, String role, List<String> columns, List<String> columnTypes,
        List<Row> rows, OptionalLong rowsAffected, Optional<String> token) {

    public QueryResult {
        columns = List.copyOf(columns);
        columnTypes = List.copyOf(columnTypes);
        rows = List.copyOf(rows);
    }

    /** The rows as lists of values. */
    public List<List<Object>> rowValues() {
        return rows.stream().map(Row::values).toList();
    }

    /** The only row, or empty when there is none; more than one is an error. */
    public Optional<Row> singleRow() {
        if (rows.size() > 1) {
            throw new IllegalStateException("expected at most one row, got " + rows.size());
        }
        return rows.stream().findFirst();
    }
}
