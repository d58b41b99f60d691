package io.fleetshard.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One read over every shard of a tenant, with the options of {@code POST /v1/query/scatter}. Build it with
 * {@link #builder}.
 *
 * @param orderBy result column names with {@code asc}/{@code desc} and {@code nulls first|last}, by which the router
 *     sorts the merged rows (null: none)
 * @param limit how many merged rows to keep (null: all)
 * @param allowPartial answer with the shards that could, instead of 503 when one cannot
 * @param consistency null: the client's default
 * @param region preferred replica region, and the router region used when one is configured for it
 * @param timeout null: the client's request timeout
 */
public record ScatterRequest(String tenantId, String sql, List<Object> params, String orderBy, Integer limit,
        boolean allowPartial, Consistency consistency, String region, Duration timeout) {

    public ScatterRequest {
        QueryRequest.requireText(tenantId, "tenantId");
        QueryRequest.requireText(sql, "sql");
        params = params == null ? List.of() : QueryParams.of(params.toArray());
        if (limit != null && limit < 0) {
            throw new IllegalArgumentException("limit must be 0 or more, got " + limit);
        }
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    public static Builder builder(String tenantId, String sql) {
        return new Builder(tenantId, sql);
    }

    /** Builds a {@link ScatterRequest}. */
    public static final class Builder {
        private final String tenantId;
        private final String sql;
        private List<Object> params = List.of();
        private String orderBy;
        private Integer limit;
        private boolean allowPartial;
        private Consistency consistency;
        private String region;
        private Duration timeout;

        private Builder(String tenantId, String sql) {
            this.tenantId = tenantId;
            this.sql = sql;
        }

        public Builder params(Object... values) {
            this.params = QueryParams.of(values);
            return this;
        }

        public Builder orderBy(String orderBy) {
            this.orderBy = orderBy;
            return this;
        }

        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        public Builder allowPartial(boolean allowPartial) {
            this.allowPartial = allowPartial;
            return this;
        }

        public Builder consistency(Consistency c) {
            this.consistency = Objects.requireNonNull(c, "consistency");
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public ScatterRequest build() {
            return new ScatterRequest(tenantId, sql, params, orderBy, limit, allowPartial, consistency, region,
                    timeout);
        }
    }
}
