package io.fleetshard.client;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the client knows of the shard map, from the control API (control-api/README.md), for picking a router near a
 * fleet's primary: each fleet's shard and the region of that shard's primary ({@code GET /v1/tenants/{t}/fleets/{f}},
 * fetched on first use), and each tenant's map version ({@code GET /v1/tenants/{t}}). Both are open to the tenant's
 * own token, so an application needs no operator token for region routing.
 *
 * <p>Kept for {@code refreshInterval}; then the next lookup of a tenant's fleet asks for the tenant's map version and
 * forgets the tenant's placements only if it changed (a move or a failover changes it). The router's answers correct a
 * fleet at once ({@link #observe}: a fleet that ran on another shard is read again). The control API being down never
 * fails a query: lookups then answer "unknown" (the caller uses its default router) and the next attempt waits for the
 * next refresh interval.
 */
final class ShardMapCache {
    private static final System.Logger LOG = System.getLogger(ShardMapCache.class.getName());

    private record TenantVersion(long version, Instant checkedAt) {
    }

    private record Placed(String shardId, String primaryRegion) {
    }

    private final JsonHttp http;
    private final URI controlApi;
    private final Duration refreshInterval;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, TenantVersion> tenants = new ConcurrentHashMap<>();
    private final Map<String, Placed> fleets = new ConcurrentHashMap<>();
    private volatile Instant lastFailureAt;

    ShardMapCache(JsonHttp http, URI controlApi, Duration refreshInterval, Duration timeout, Clock clock) {
        this.http = http;
        this.controlApi = controlApi;
        this.refreshInterval = refreshInterval;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** The region of the primary of the fleet's shard, when known. */
    Optional<String> primaryRegionOf(String tenantId, String fleetId) {
        Instant now = clock.instant();
        checkVersion(tenantId, now);
        String key = key(tenantId, fleetId);
        Placed placed = fleets.get(key);
        if (placed == null) {
            if (recentlyFailed(now)) {
                return Optional.empty();
            }
            RouterJson.Placement p = placement(tenantId, fleetId);
            if (p == null || p.shardId() == null) {
                return Optional.empty();
            }
            placed = new Placed(p.shardId(), p.primaryRegion());
            fleets.put(key, placed);
            tenants.putIfAbsent(tenantId, new TenantVersion(p.mapVersion(), now));
        }
        return Optional.ofNullable(placed.primaryRegion());
    }

    /** The router ran a statement of the fleet on {@code shardId}: a fleet cached on another shard is read again. */
    void observe(String tenantId, String fleetId, String shardId) {
        if (shardId == null) {
            return;
        }
        String key = key(tenantId, fleetId);
        Placed before = fleets.get(key);
        if (before != null && !before.shardId().equals(shardId)) {
            fleets.remove(key, before);
        }
    }

    private static String key(String tenantId, String fleetId) {
        return tenantId + "/" + fleetId;
    }

    /** Once per refresh interval and tenant: a changed map version forgets the tenant's placements. */
    private void checkVersion(String tenantId, Instant now) {
        TenantVersion v = tenants.get(tenantId);
        if (v == null || now.isBefore(v.checkedAt().plus(refreshInterval)) || recentlyFailed(now)) {
            return;
        }
        synchronized (this) {
            v = tenants.get(tenantId);
            if (v == null || now.isBefore(v.checkedAt().plus(refreshInterval))) {
                return;
            }
            try {
                long version = RouterJson.mapVersion(get("/v1/tenants/" + encode(tenantId)));
                if (version != v.version()) {
                    fleets.keySet().removeIf(k -> k.startsWith(tenantId + "/"));
                }
                tenants.put(tenantId, new TenantVersion(version, now));
                lastFailureAt = null;
            } catch (IOException | FleetShardException e) {
                failed(now, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean recentlyFailed(Instant now) {
        Instant failed = lastFailureAt;
        return failed != null && now.isBefore(failed.plus(refreshInterval));
    }

    private void failed(Instant now, Exception e) {
        lastFailureAt = now;
        LOG.log(Level.WARNING, "FleetShard client: cannot read the shard map from the control API at " + controlApi
                + " (" + e.getMessage() + "); using what it knows (else the default router) until it answers, asking"
                + " again in " + refreshInterval.toMillis() + " ms");
    }

    private RouterJson.Placement placement(String tenantId, String fleetId) {
        try {
            RouterJson.Placement p = RouterJson.placement(get("/v1/tenants/" + encode(tenantId) + "/fleets/"
                    + encode(fleetId)));
            lastFailureAt = null;
            return p;
        } catch (FleetShardException e) {
            if (e.status() != 404) { // an unknown fleet is the router's 404 to give
                failed(clock.instant(), e);
            }
            return null;
        } catch (IOException e) {
            failed(clock.instant(), e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private byte[] get(String path) throws IOException, InterruptedException {
        URI uri = RetryingSender.resolve(controlApi, path);
        JsonHttp.Response r = http.get(uri, timeout);
        if (!r.ok()) {
            Problem p = Problem.parse(r.status(), r.retryAfter(), r.body(), clock.instant());
            throw p.toException("GET " + uri, false);
        }
        return r.body();
    }

    private static String encode(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8);
    }
}
