package io.fleetshard.client;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sends queries and scatters to the right router: the router of the region of the fleet's primary when one is
 * configured for it and the shard map says where that is ({@link ShardMapCache}), else the default router; after a
 * failed connection the next attempt goes to the default router. Shared by all sessions of a client.
 */
final class RouterCalls {
    static final String QUERY_PATH = "/v1/query";
    static final String SCATTER_PATH = "/v1/query/scatter";
    static final String BATCH_PATH = "/v1/query/batch";

    private final URI defaultRouter;
    private final Map<String, URI> regionRouters;
    private final ShardMapCache map; // null without a control API
    private final RetryingSender sender;
    private final Duration requestTimeout;

    RouterCalls(URI defaultRouter, Map<String, URI> regionRouters, ShardMapCache map, RetryingSender sender,
            Duration requestTimeout) {
        this.defaultRouter = defaultRouter;
        this.regionRouters = Map.copyOf(regionRouters);
        this.map = map;
        this.sender = sender;
        this.requestTimeout = requestTimeout;
    }

    QueryResult query(QueryRequest r, Consistency c, String afterToken) {
        String what = "for fleet " + r.tenantId() + "/" + r.fleetId();
        byte[] body = sender.send(new RetryingSender.Call(what, routersForFleet(r.tenantId(), r.fleetId()),
                QUERY_PATH, RouterJson.queryBody(r, c, afterToken), timeout(r.timeout()), StatementKind.of(r.sql())));
        QueryResult result = RouterJson.queryResult(body);
        if (map != null) {
            map.observe(r.tenantId(), r.fleetId(), result.shardId());
        }
        return result;
    }

    /**
     * Sends {@code entries} as one {@code POST /v1/query/batch} (ADR 0031) to the router of their fleets' region when
     * they all share one, else the default router. Retried as a whole only where a lone call would be and nothing ran
     * (no connection): the router answers each item's failure in the item, never as the request's status.
     */
    List<RouterJson.BatchAnswer> batch(List<RouterJson.BatchEntry> entries, Duration timeout) {
        List<URI> routers = null;
        boolean writes = false;
        for (RouterJson.BatchEntry e : entries) {
            List<URI> these = routersForFleet(e.request().tenantId(), e.request().fleetId());
            routers = routers == null || routers.equals(these) ? these : List.of(defaultRouter);
            writes |= StatementKind.of(e.request().sql()) != StatementKind.READ;
        }
        byte[] body = sender.send(new RetryingSender.Call("batch of " + entries.size() + " queries", routers,
                BATCH_PATH, RouterJson.batchBody(entries), timeout(timeout),
                writes ? StatementKind.WRITE : StatementKind.READ));
        List<RouterJson.BatchAnswer> answers = RouterJson.batchResult(body, entries.size(), java.time.Instant.now());
        if (map != null) {
            for (int i = 0; i < answers.size(); i++) {
                QueryResult r = answers.get(i).result();
                if (r != null) {
                    QueryRequest q = entries.get(i).request();
                    map.observe(q.tenantId(), q.fleetId(), r.shardId());
                }
            }
        }
        return answers;
    }

    ScatterResult scatter(ScatterRequest r, Consistency c) {
        List<URI> routers = new ArrayList<>(2);
        URI regional = r.region() == null ? null : regionRouters.get(r.region());
        if (regional != null) {
            routers.add(regional);
        }
        if (!defaultRouter.equals(regional)) {
            routers.add(defaultRouter);
        }
        byte[] body = sender.send(new RetryingSender.Call("scatter for tenant " + r.tenantId(), routers,
                SCATTER_PATH, RouterJson.scatterBody(r, c), timeout(r.timeout()), StatementKind.READ)); // the router refuses writes
        return RouterJson.scatterResult(body);
    }

    /** The router near the fleet's primary first (when known and configured), then the default router. */
    List<URI> routersForFleet(String tenantId, String fleetId) {
        if (map == null || regionRouters.isEmpty()) {
            return List.of(defaultRouter);
        }
        URI regional = map.primaryRegionOf(tenantId, fleetId).map(regionRouters::get).orElse(null);
        return regional == null || regional.equals(defaultRouter) ? List.of(defaultRouter)
                : List.of(regional, defaultRouter);
    }

    private Duration timeout(Duration requested) {
        return requested != null ? requested : requestTimeout;
    }
}
