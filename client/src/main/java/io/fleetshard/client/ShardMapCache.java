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
 * fleet's primary: each shard's primary region ({@code GET /v1/shards}) and each fleet's shard
 * ({@code GET /v1/tenants/{t}/fleets/{f}}, fetched on first use).
 *
 * <p>Kept for {@code refreshInterval}; then the next lookup asks {@code GET /v1/shardmap} for the map version and
 * reloads the shards, and forgets the fleets, only if it changed. The router's answers correct a fleet's shard at once
 * ({@link #observe}). The control API being down never fails a query: lookups then answer "unknown" (the caller uses
 * its default router) and the next attempt waits for the next refresh interval.
 */
final class ShardMapCache {
    private static final System.Logger LOG = System.getLogger(ShardMapCache.class.getName());

    private record Snapshot(long version, Map<String, String> primaryRegionByShard, Instant checkedAt) {
    }

    private final JsonHttp http;
    private final URI controlApi;
    private final Duration refreshInterval;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, String> shardByFleet = new ConcurrentHashMap<>();
    private volatile Snapshot snapshot;
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
        Snapshot s = fresh();
        if (s == null) {
            return Optional.empty();
        }
        String shardId = shardByFleet.get(key(tenantId, fleetId));
        if (shardId == null) {
            if (recentlyFailed(clock.instant())) {
                return Optional.empty();
            }
            RouterJson.Placement p = placement(tenantId, fleetId);
            if (p == null || p.shardId() == null) {
                return Optional.empty();
            }
            shardId = p.shardId();
            if (p.mapVersion() > s.version() && !s.primaryRegionByShard().containsKey(shardId)) {
                s = reload(); // a shard registered since the last load
                if (s == null) {
                    return Optional.empty();
                }
            }
            shardByFleet.put(key(tenantId, fleetId), shardId);
        }
        return Optional.ofNullable(s.primaryRegionByShard().get(shardId));
    }

    /** The router ran a statement of the fleet on {@code shardId}: correct the cached placement if it moved. */
    void observe(String tenantId, String fleetId, String shardId) {
        if (shardId == null) {
            return;
        }
        String key = key(tenantId, fleetId);
        String before = shardByFleet.get(key);
        if (before != null && !before.equals(shardId)) {
            shardByFleet.put(key, shardId);
            Snapshot s = snapshot;
            if (s != null && !s.primaryRegionByShard().containsKey(shardId)) {
                snapshot = new Snapshot(s.version(), s.primaryRegionByShard(), Instant.EPOCH); // reload next time
            }
        }
    }

    private static String key(String tenantId, String fleetId) {
        return tenantId + "/" + fleetId;
    }

    /** The snapshot, checked against the control API's map version once per refresh interval; null if none yet. */
    private Snapshot fresh() {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (s != null && now.isBefore(s.checkedAt().plus(refreshInterval))) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && now.isBefore(s.checkedAt().plus(refreshInterval))) {
                return s;
            }
            if (recentlyFailed(now)) {
                return s;
            }
            try {
                if (s != null && !s.checkedAt().equals(Instant.EPOCH)) {
                    long version = RouterJson.mapVersion(get("/v1/shardmap"));
                    if (version == s.version()) {
                        snapshot = new Snapshot(s.version(), s.primaryRegionByShard(), now);
                        return snapshot;
                    }
                }
                return load(now);
            } catch (IOException | FleetShardException e) {
                return failed(s, now, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return s;
            }
        }
    }

    private boolean recentlyFailed(Instant now) {
        Instant failed = lastFailureAt;
        return failed != null && now.isBefore(failed.plus(refreshInterval));
    }

    private synchronized Snapshot reload() {
        Instant now = clock.instant();
        try {
            return load(now);
        } catch (IOException | FleetShardException e) {
            return failed(snapshot, now, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return snapshot;
        }
    }

    private Snapshot load(Instant now) throws IOException, InterruptedException {
        RouterJson.ShardRegions regions = RouterJson.shardRegions(get("/v1/shards"));
        Snapshot before = snapshot;
        if (before == null || before.version() != regions.mapVersion()) {
            shardByFleet.clear();
        }
        snapshot = new Snapshot(regions.mapVersion(), regions.primaryRegionByShard(), now);
        lastFailureAt = null;
        return snapshot;
    }

    private Snapshot failed(Snapshot s, Instant now, Exception e) {
        lastFailureAt = now;
        LOG.log(Level.WARNING, "FleetShard client: cannot read the shard map from the control API at " + controlApi
                + " (" + e.getMessage() + "); using " + (s == null ? "the default router" : "map version "
                + s.version()) + " until it answers, asking again in " + refreshInterval.toMillis() + " ms");
        return s;
    }

    private RouterJson.Placement placement(String tenantId, String fleetId) {
        try {
            return RouterJson.placement(get("/v1/tenants/" + encode(tenantId) + "/fleets/" + encode(fleetId)));
        } catch (FleetShardException e) {
            if (e.status() != 404) { // an unknown fleet is the router's 404 to give
                failed(snapshot, clock.instant(), e);
            }
            return null;
        } catch (IOException e) {
            failed(snapshot, clock.instant(), e);
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
