package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.Tenant;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;

/** {@code POST /v1/tenants}, {@code GET /v1/tenants} and {@code GET /v1/tenants/{tenantId}}. */
final class TenantRoutes {
    private final MapTransactionRunner runner;
    private final RequestBodyReader bodies;

    TenantRoutes(MapTransactionRunner runner, RequestBodyReader bodies) {
        this.runner = runner;
        this.bodies = bodies;
    }

    void install(RoutesConfig routes) {
        routes.post("/v1/tenants", this::create, Access.ONBOARD);
        routes.get("/v1/tenants", this::list, Access.READ_PLATFORM);
        routes.get("/v1/tenants/{tenantId}", this::get, Access.READ_TENANT);
    }

    /**
     * Creates a tenant. Creating one that exists is a 409 even when the body is identical (a retried create after a
     * lost response): the caller can tell it succeeded from {@code GET /v1/tenants/{tenantId}}.
     */
    private void create(Context ctx) {
        CreateTenantRequest req = CreateTenantRequest.parse(bodies.read(ctx));
        MapTransactionRunner.Committed<Tenant> done = runner.run("create tenant " + req.tenantId(), map -> {
            map.tenant(req.tenantId()).ifPresent(existing -> {
                throw ApiProblem.conflict("tenant " + req.tenantId() + " already exists (tier "
                        + existing.tier().wireName() + "); see GET /v1/tenants/" + req.tenantId());
            });
            Tenant tenant = new Tenant(req.tenantId(), req.tier());
            return MapTransactionRunner.Plan.put(List.of(tenant), tenant);
        });
        ctx.header("Location", "/v1/tenants/" + req.tenantId());
        ResponseJson.write(ctx, 201, view(done.result(), 0, done.mapVersion()));
    }

    /** Every tenant by id, with its tier and number of fleets (the console's tenants page). */
    private void list(Context ctx) {
        ShardMapSnapshot map = runner.readSnapshot();
        java.util.Map<String, Integer> fleets = new java.util.HashMap<>();
        map.fleets().forEach(f -> fleets.merge(f.tenantId(), 1, Integer::sum));
        ObjectNode body = ResponseJson.object().put("mapVersion", map.version());
        com.fasterxml.jackson.databind.node.ArrayNode items = body.putArray("tenants");
        map.tenants().stream().sorted(java.util.Comparator.comparing(Tenant::tenantId))
                .forEach(t -> items.add(view(t, fleets.getOrDefault(t.tenantId(), 0), map.version())
                        .without("mapVersion")));
        ResponseJson.write(ctx, 200, body);
    }

    private void get(Context ctx) {
        String tenantId = ResponseJson.pathId(ctx, "tenantId");
        Authentication.requireTenant(ctx, tenantId);
        ShardMapSnapshot map = runner.readSnapshot();
        Tenant tenant = map.tenant(tenantId)
                .orElseThrow(() -> ApiProblem.notFound("tenant " + tenantId + " does not exist"));
        ResponseJson.write(ctx, 200, view(tenant, map.fleetsOf(tenantId).size(), map.version()));
    }

    private static ObjectNode view(Tenant tenant, int fleets, long mapVersion) {
        return ResponseJson.object()
                .put("tenantId", tenant.tenantId())
                .put("tier", tenant.tier().wireName())
                .put("fleetCount", fleets)
                .put("mapVersion", mapVersion);
    }
}
