package io.fleetshard.router;

import java.util.List;

/**
 * A validated {@code POST /v1/query/scatter} body. {@code orderBy} is parsed but not yet matched with result columns;
 * {@code limit} is -1 when absent.
 */
record ScatterRequest(String tenantId, String sql, List<Object> params, List<OrderBy.Term> orderBy, int limit,
        boolean allowPartial, ReadPreference read) {
}
