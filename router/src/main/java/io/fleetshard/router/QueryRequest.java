package io.fleetshard.router;

import java.util.List;

/** A validated {@code POST /v1/query} body. {@code params} may hold nulls; the token is not yet checked against a shard. */
record QueryRequest(String tenantId, String fleetId, String sql, List<Object> params, ReadPreference read) {
}
