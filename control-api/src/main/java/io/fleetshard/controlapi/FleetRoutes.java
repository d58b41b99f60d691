package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;

/**
 * {@code POST /v1/tenants/{tenantId}/fleets} and {@code GET /v1/tenants/{tenantId}/fleets/{fleetId}}: onboarding a
 * fleet and reading its placement. A fleet created with a {@code shardId} is pinned there; otherwise the hash ring of
 * the map version places it.
 */
final class FleetRoutes {
    private final MapTransactionRunner runner;
    private final RequestBodyReader bodies;

    FleetRoutes(MapTransactionRunner runner, RequestBodyReader bodies) {
        this.runner = runner;
        this.bodies = bodies;
    }

    void install(RoutesConfig routes) {
        routes.post("/v1/tenants/{tenantId}/fleets", this::create, Access.ONBOARD);
        routes.get("/v1/tenants/{tenantId}/fleets", this::list, Access.READ_TENANT);
        routes.get("/v1/tenants/{tenantId}/fleets/{fleetId}", this::get, Access.READ_TENANT);
    }

    /** Where a fleet lives. */
    private record Placement(Fleet fleet, String shardId) {
    }

    private void create(Context ctx) {
        String tenantId = ResponseJson.pathId(ctx, "tenantId");
        Authentication.requireTenant(ctx, tenantId);
        CreateFleetRequest req = CreateFleetRequest.parse(bodies.read(ctx));
        String name = tenantId + "/" + req.fleetId();
        MapTransactionRunner.Committed<Placement> done = runner.run("create fleet " + name, map -> {
            requireTenant(map, tenantId);
            map.fleet(tenantId, req.fleetId()).ifPresent(existing -> {
                throw ApiProblem.conflict("fleet " + name + " already exists, placed on shard "
                        + placementOf(map, existing).shardId() + "; see GET /v1/tenants/" + tenantId + "/fleets/"
                        + req.fleetId());
            });
            Fleet fleet = new Fleet(tenantId, req.fleetId(), req.pinnedShardId());
            if (fleet.isPinned()) {
                Shard shard = map.shard(fleet.pinnedShardId()).orElseThrow(() -> ApiProblem.notFound("shard "
                        + fleet.pinnedShardId() + " does not exist, so fleet " + name + " cannot be pinned to it"));
                if (shard.status() == ShardStatus.RETIRED) {
                    throw ApiProblem.conflict("shard " + shard.shardId() + " is retired and takes no fleets; pin"
                            + " fleet " + name + " to an active shard");
                }
            }
            return MapTransactionRunner.Plan.put(List.of(fleet), placementOf(map, fleet));
        });
        ctx.header("Location", "/v1/tenants/" + tenantId + "/fleets/" + req.fleetId());
        ResponseJson.write(ctx, 201, view(done.result(), done.mapVersion(), runner.readSnapshot()));
    }

    private void get(Context ctx) {
        String tenantId = ResponseJson.pathId(ctx, "tenantId");
        Authentication.requireTenant(ctx, tenantId);
        String fleetId = ResponseJson.pathId(ctx, "fleetId");
        ShardMapSnapshot map = runner.readSnapshot();
        requireTenant(map, tenantId);
        Fleet fleet = map.fleet(tenantId, fleetId).orElseThrow(() -> ApiProblem.notFound("fleet " + tenantId + "/"
                + fleetId + " does not exist; create it with POST /v1/tenants/" + tenantId + "/fleets"));
        ResponseJson.write(ctx, 200, view(placementOf(map, fleet), map.version(), map));
    }

    /**
     * Every fleet of the tenant by id, with its placement; {@code shardId} is null for an unpinned fleet while no shard
     * owns the ring (one such fleet does not make the whole list a 409).
     */
    private void list(Context ctx) {
        String tenantId = ResponseJson.pathId(ctx, "tenantId");
        Authentication.requireTenant(ctx, tenantId);
        ShardMapSnapshot map = runner.readSnapshot();
        requireTenant(map, tenantId);
        ObjectNode body = ResponseJson.object().put("tenantId", tenantId).put("mapVersion", map.version());
        com.fasterxml.jackson.databind.node.ArrayNode items = body.putArray("fleets");
        map.fleetsOf(tenantId).stream().sorted(java.util.Comparator.comparing(Fleet::fleetId)).forEach(f -> {
            boolean placed = f.isPinned() || !map.ring().isEmpty();
            items.add(view(new Placement(f, placed ? map.shardFor(f) : null), map.version(), map)
                    .without("mapVersion"));
        });
        ResponseJson.write(ctx, 200, body);
    }

    private static void requireTenant(ShardMapSnapshot map, String tenantId) {
        if (map.tenant(tenantId).isEmpty()) {
            throw ApiProblem.notFound("tenant " + tenantId + " does not exist; create it with POST /v1/tenants");
        }
    }

    private static Placement placementOf(ShardMapSnapshot map, Fleet fleet) {
        if (!fleet.isPinned() && map.ring().isEmpty()) {
            throw ApiProblem.conflict("no active shard owns any part of the hash ring, so fleet " + fleet.tenantId()
                    + "/" + fleet.fleetId() + " has no shard: register one with POST /v1/shards, or pin the fleet"
                    + " with \"shardId\"");
        }
        return new Placement(fleet, map.shardFor(fleet));
    }

    /**
     * The placement, with the region of its shard's primary: what a client needs to pick the router near the fleet's
     * writes (client module, "Region routing") with the fleet's own tenant token, which may not read the shards.
     */
    private static ObjectNode view(Placement p, long mapVersion, ShardMapSnapshot map) {
        String primaryRegion = p.shardId() == null ? null
                : map.primaryOf(p.shardId()).map(io.fleetshard.shardmap.Node::region).orElse(null);
        return ResponseJson.object()
                .put("tenantId", p.fleet().tenantId())
                .put("fleetId", p.fleet().fleetId())
                .put("shardId", p.shardId())
                .put("pinned", p.fleet().isPinned())
                .put("primaryRegion", primaryRegion)
                .put("mapVersion", mapVersion);
    }
}
