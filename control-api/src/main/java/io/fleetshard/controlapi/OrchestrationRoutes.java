package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code /v1/orchestrations} (failovers and switchovers with every step and its time), {@code POST
 * /v1/shards/{shardId}/failover} (an operator's failover of a shard whose primary is down) and {@code POST
 * /v1/shards/{shardId}/switchover} (a planned switch to a replica), {@code POST /v1/shards/{shardId}/failback} (a
 * failed primary, rebuilt as a replica, becomes the primary again) and {@code POST /v1/shards/{shardId}/rejoin} (a
 * fenced node, rebuilt as a replica, becomes a replica in the map). The work is the {@link FailoverOrchestrator}'s.
 */
final class OrchestrationRoutes {
    static final int MAX_REASON_CHARS = 1000;

    private final RequestBodyReader bodies;
    private final Supplier<FailoverOrchestrator> orchestrator;
    private final int retryAfterSeconds;

    OrchestrationRoutes(RequestBodyReader bodies, Supplier<FailoverOrchestrator> orchestrator, int retryAfterSeconds) {
        this.bodies = bodies;
        this.orchestrator = orchestrator;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    void install(RoutesConfig routes) {
        routes.get("/v1/orchestrations", this::list, Access.READ_PLATFORM);
        routes.get("/v1/orchestrations/{orchestrationId}", this::get, Access.READ_PLATFORM);
        routes.post("/v1/shards/{shardId}/failover", this::failover, Access.OPERATE);
        routes.post("/v1/shards/{shardId}/switchover", this::switchover, Access.OPERATE);
        routes.post("/v1/shards/{shardId}/failback", ctx -> returning(ctx, "failback"), Access.OPERATE);
        routes.post("/v1/shards/{shardId}/rejoin", ctx -> returning(ctx, "rejoin"), Access.OPERATE);
        routes.post("/v1/shards/{shardId}/promote-standby", this::promoteStandby, Access.OPERATE);
    }

    private void list(Context ctx) {
        ObjectNode out = ResponseJson.object();
        ArrayNode arr = out.putArray("orchestrations");
        FailoverOrchestrator o = orchestrator.get();
        if (o != null) {
            o.list().forEach(x -> arr.add(x.toJson()));
        }
        out.put("failoverEnabled", o != null);
        out.put("loaded", o == null || o.loaded()); // false: a just-started instance may not list every one yet
        ResponseJson.write(ctx, 200, out);
    }

    private void get(Context ctx) {
        String id = ResponseJson.pathId(ctx, "orchestrationId");
        FailoverOrchestrator orchestrations = enabled();
        Orchestration o = orchestrations.get(id).orElseThrow(() -> orchestrations.loaded()
                ? ApiProblem.notFound("no orchestration " + id)
                : ApiProblem.unavailable("this control API is still reading the orchestration log; retry", 1));
        ResponseJson.write(ctx, 200, o.toJson());
    }

    private void failover(Context ctx) {
        String shardId = ResponseJson.pathId(ctx, "shardId");
        ObjectNode body = optionalBody(ctx, List.of("reason"));
        accepted(ctx, enabled().requestFailover(shardId, reason(body)));
    }

    private void switchover(Context ctx) {
        String shardId = ResponseJson.pathId(ctx, "shardId");
        ObjectNode body = optionalBody(ctx, List.of("to", "reason"));
        accepted(ctx, enabled().requestSwitchover(shardId, RequestJson.optionalId(body, "", "to"),
                reason(body)));
    }

    /** Disaster recovery: body {@code {"reason", "force"}}, both optional. */
    private void promoteStandby(Context ctx) {
        String shardId = ResponseJson.pathId(ctx, "shardId");
        ObjectNode body = optionalBody(ctx, List.of("reason", "force"));
        com.fasterxml.jackson.databind.JsonNode force = body.get("force");
        if (force != null && !force.isBoolean()) {
            throw ApiProblem.badRequest("force must be true or false, got " + force);
        }
        accepted(ctx, enabled().requestPromoteStandby(shardId, reason(body),
                force != null && force.asBoolean()));
    }

    /** A failback or rejoin: body {@code {"node", "reason"}}, both optional. */
    private void returning(Context ctx, String kind) {
        String shardId = ResponseJson.pathId(ctx, "shardId");
        ObjectNode body = optionalBody(ctx, List.of("node", "reason"));
        accepted(ctx, enabled().requestReturn(kind, shardId, RequestJson.optionalId(body, "", "node"),
                reason(body)));
    }

    /**
     * The optional {@code reason}: a line for the orchestration's trigger and the audit trail, so at most
     * {@value #MAX_REASON_CHARS} characters (the body limit alone would let 64 KiB into every record that names it).
     */
    private static String reason(ObjectNode body) {
        String reason = RequestJson.optionalText(body, "", "reason");
        if (reason != null && reason.length() > MAX_REASON_CHARS) {
            throw ApiProblem.badRequest("reason has " + reason.length() + " characters; at most " + MAX_REASON_CHARS);
        }
        return reason;
    }

    /** The request's JSON object of (only) {@code fields}, all optional; an empty body is an empty object. */
    private ObjectNode optionalBody(Context ctx, List<String> fields) {
        return RequestJson.optionalObject(bodies.read(ctx), fields, "{\"" + String.join("\",\"", fields) + "\"}");
    }

    /** 202 with the orchestration started and where to follow it. */
    private static void accepted(Context ctx, Orchestration o) {
        ctx.header("Location", "/v1/orchestrations/" + o.id());
        ResponseJson.write(ctx, 202, o.toJson());
    }

    private FailoverOrchestrator enabled() {
        FailoverOrchestrator o = orchestrator.get();
        if (o == null) {
            throw ApiProblem.unavailable("failover is not enabled on this control API: it needs the Kafka cluster of"
                    + " the orchestration log (ControlApi.enableFailover)", retryAfterSeconds);
        }
        return o;
    }
}
