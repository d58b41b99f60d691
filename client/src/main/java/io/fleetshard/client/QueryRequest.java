package io.fleetshard.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One statement for one fleet, with the options of {@code POST /v1/query}. Build it with {@link #builder}.
 *
 * @param consistency null: the client's default
 * @param region preferred region of the replica that serves a relaxed read (null: the router's own region)
 * @param afterToken an explicit consistency token to read after; null: the session's token when the consistency
 *     carries it
 * @param timeout null: the client's request timeout
 */
public record QueryRequest(String tenantId, String fleetId, String sql, List<Object> params, Consistency consistency,
        String region, String afterToken, Duration timeout) {

    public QueryRequest {
        requireText(tenantId, "tenantId");
        requireText(fleetId, "fleetId");
        requireText(sql, "sql");
        params = params == null ? List.of() : QueryParams.of(params.toArray());
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
    }

    static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required, got " + (value == null ? "null" : "'" + value
                    + "'"));
        }
    }

    public static Builder builder(String tenantId, String fleetId, String sql) {
        return new Builder(tenantId, fleetId, sql);
    }

    /** Builds a {@link QueryRequest}. */
    public static final class Builder {
        private final String tenantId;
        private final String fleetId;
        private final String sql;
        private List<Object> params = List.of();
        private Consistency consistency;
        private String region;
        private String afterToken;
        private Duration timeout;

        private Builder(String tenantId, String fleetId, String sql) {
            this.tenantId = tenantId;
            this.fleetId = fleetId;
            this.sql = sql;
        }

        /** Values of the {@code ?} placeholders, in order. */
        public Builder params(Object... values) {
            this.params = QueryParams.of(values);
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

        /** Read after this write token (of any session); overrides the session's own token. */
        public Builder afterToken(String token) {
            this.afterToken = token;
            return this;
        }

        /** Per-request timeout of each attempt (the whole HTTP exchange). */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public QueryRequest build() {
            return new QueryRequest(tenantId, fleetId, sql, params, consistency, region, afterToken, timeout);
        }
    }
}
