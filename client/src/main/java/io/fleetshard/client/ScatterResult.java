package io.fleetshard.client;

import java.util.List;

/**
 * The merged answer of a scatter read ({@code POST /v1/query/scatter}) over every shard holding the tenant's fleets.
 *
 * @param tenantId the tenant
 * @param shards the shards that answered, with the node that served each and how many rows it sent
 * @param columns result column names
 * @param columnTypes type names (of the first answering shard)
 * @param rows the merged rows, sorted by {@code orderBy} and cut to {@code limit} when the request had them
 * @param partial true when some shards failed and the request allowed a partial answer
 * @param failedShards those shards, with the status and detail of their failure
 * @param shardCount how many shards hold the tenant's fleets
 */
public record ScatterResult(String tenantId, List<ShardAnswer> shards, List<String> columns,
        List<String> columnTypes, List<Row> rows, boolean partial, List<FailedShard> failedShards, int shardCount) {

    public ScatterResult {
        shards = List.copyOf(shards);
        columns = List.copyOf(columns);
        columnTypes = List.copyOf(columnTypes);
        rows = List.copyOf(rows);
        failedShards = List.copyOf(failedShards);
    }

    /** The rows as lists of values. */
    public List<List<Object>> rowValues() {
        return rows.stream().map(Row::values).toList();
    }

    /** One shard's part of the answer. */
    public record ShardAnswer(String shardId, String nodeId, String role, int rowCount) {
    }

    /** A shard that could not answer a partial scatter. */
    public record FailedShard(String shardId, int status, String detail) {
    }
}
