package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code /v1/reshards}: plan a move, split or merge (ADR 0013), list and read jobs with their progress, cancel, pause
 * and resume them. Planning and every operator action is one map transaction; the work is the orchestrator's.
 */
final class ReshardRoutes {
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    /** The problem type of a job refused because a shard's change capture does not stream yet (ADR 0036). */
    static final String CAPTURE_NOT_STREAMING = "capture-not-streaming";

    private final MapTransactionRunner runner;
    private final RequestBodyReader bodies;
    private final NodeHealthMonitor monitor;
    private final Supplier<ReshardOrchestrator> orchestrator;
    private final Clock clock;
    private final int retryAfterSeconds;
    private final SecureRandom random = new SecureRandom();

    ReshardRoutes(MapTransactionRunner runner, RequestBodyReader bodies, NodeHealthMonitor monitor,
            Supplier<ReshardOrchestrator> orchestrator, Clock clock, int retryAfterSeconds) {
        this.runner = runner;
        this.bodies = bodies;
        this.monitor = monitor;
        this.orchestrator = orchestrator;
        this.clock = clock;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    void install(RoutesConfig routes) {
        routes.post("/v1/reshards", this::create, Access.OPERATE);
        routes.get("/v1/reshards", this::list, Access.READ_PLATFORM);
        routes.get("/v1/reshards/{jobId}", this::get, Access.READ_PLATFORM);
        routes.post("/v1/reshards/{jobId}/cancel", this::cancel, Access.OPERATE);
        routes.post("/v1/reshards/{jobId}/pause", ctx -> setPaused(ctx, true), Access.OPERATE);
        routes.post("/v1/reshards/{jobId}/resume", ctx -> setPaused(ctx, false), Access.OPERATE);
    }

    private void create(Context ctx) {
        ReshardRequest req = ReshardRequest.parse(bodies.read(ctx));
        requireEnabled();
        String jobId = newJobId();
        // Capture is read outside the map transaction: plan once on the current map for the shards, refuse those
        // whose capture does not stream (ADR 0036), then plan for real (and check again if the shards changed).
        ReshardJob draft = ReshardPlanner.plan(req, runner.readSnapshot(), monitor::health, jobId, clock.millis());
        requireConvertible(draft); // a table or column that cannot move is a 422 whatever capture does
        requireCaptureStreaming(draft);
        MapTransactionRunner.Committed<ReshardJob> done = runner.run("plan reshard " + req.kind().wireName(), map -> {
            ReshardJob job = ReshardPlanner.plan(req, map, monitor::health, jobId, clock.millis());
            if (!job.sourceShardId().equals(draft.sourceShardId())
                    || !job.targetShardId().equals(draft.targetShardId())) {
                requireCaptureStreaming(job);
            }
            return MapTransactionRunner.Plan.put(List.of(job), job);
        });
        ctx.header("Location", "/v1/reshards/" + jobId);
        ResponseJson.write(ctx, 202, view(done.result(), done.mapVersion()));
    }

    private void list(Context ctx) {
        ShardMapSnapshot map = runner.readSnapshot();
        ObjectNode out = ResponseJson.object().put("mapVersion", map.version());
        ArrayNode jobs = out.putArray("reshards");
        map.reshards().stream().sorted(Comparator.comparingLong(ReshardJob::createdAtMs).reversed()
                .thenComparing(ReshardJob::jobId)).forEach(j -> jobs.add(view(j, map.version())));
        ResponseJson.write(ctx, 200, out);
    }

    private void get(Context ctx) {
        ResponseJson.write(ctx, 200, currentView(ResponseJson.pathId(ctx, "jobId")));
    }

    /** The job as {@code GET /v1/reshards/{jobId}} answers it (404 problem if it does not exist). */
    ObjectNode currentView(String jobId) {
        ShardMapSnapshot map = runner.readSnapshot();
        return view(job(map, jobId), map.version());
    }

    private void cancel(Context ctx) {
        String jobId = ResponseJson.pathId(ctx, "jobId");
        noParameters(ctx);
        MapTransactionRunner.Committed<ReshardJob> done = runner.run("cancel reshard " + jobId, map -> {
            ReshardJob job = job(map, jobId);
            if (job.phase() == ReshardPhase.CANCELLING || job.phase() == ReshardPhase.CANCELLED) {
                return MapTransactionRunner.Plan.put(List.of(), job); // idempotent
            }
            if (!job.phase().isCancellable()) {
                throw ApiProblem.conflict("reshard job " + jobId + " is in " + job.phase().wireName() + ": it can be"
                        + " cancelled only before its cutover committed (precopy, catchup, cutover)");
            }
            ReshardJob next = job.withPhase(ReshardPhase.CANCELLING, clock.millis(), "cancelled by an operator in "
                    + job.phase().wireName()).withPaused(false, clock.millis());
            return MapTransactionRunner.Plan.put(List.of(next), next);
        });
        ResponseJson.write(ctx, 202, view(done.result(), done.mapVersion()));
    }

    /** Cancel, pause and resume take no parameters: an empty body or {@code {}}; anything else is a 400. */
    private void noParameters(Context ctx) {
        RequestJson.optionalObject(bodies.read(ctx), List.of(), "{} (this action takes no parameters)");
    }

    private void setPaused(Context ctx, boolean paused) {
        String jobId = ResponseJson.pathId(ctx, "jobId");
        noParameters(ctx);
        MapTransactionRunner.Committed<ReshardJob> done = runner.run((paused ? "pause" : "resume") + " reshard "
                + jobId, map -> {
            ReshardJob job = job(map, jobId);
            if (job.phase().isTerminal()) {
                throw ApiProblem.conflict("reshard job " + jobId + " is " + job.phase().wireName()
                        + "; only a running job can be paused or resumed");
            }
            if (paused && job.phase() == ReshardPhase.CUTOVER) {
                throw ApiProblem.conflict("reshard job " + jobId + " is in cutover, where writes of its fleets are"
                        + " held; it cannot pause there (cancel it instead)");
            }
            if (job.paused() == paused) {
                return MapTransactionRunner.Plan.put(List.of(), job);
            }
            ReshardJob next = job.withPaused(paused, clock.millis());
            return MapTransactionRunner.Plan.put(List.of(next), next);
        });
        ResponseJson.write(ctx, 200, view(done.result(), done.mapVersion()));
    }

    /**
     * 409 {@code capture-not-streaming} when change capture of the job's source or target shard does not stream yet
     * (ADR 0036), with {@code Retry-After}; 503 when capture's position cannot be read.
     */
    private void requireCaptureStreaming(ReshardJob job) {
        String refusal;
        try {
            refusal = orchestrator.get().captureRefusal(job.sourceShardId(), job.targetShardId());
        } catch (ControlApiException e) {
            throw ApiProblem.unavailable("cannot tell whether change capture of shards " + job.sourceShardId()
                    + " and " + job.targetShardId() + " streams: " + e.getMessage(), retryAfterSeconds);
        }
        if (!refusal.isEmpty()) {
            throw new ApiProblem(409, CAPTURE_NOT_STREAMING, "Change capture not streaming", refusal,
                    retryAfterSeconds);
        }
    }

    /**
     * 422 naming table and column when a move between engines meets a table or column it cannot convert (ADR 0047);
     * 503 when a shard's catalog cannot be read.
     */
    private void requireConvertible(ReshardJob job) {
        String refusal;
        try {
            refusal = orchestrator.get().crossEngineRefusal(job);
        } catch (java.sql.SQLException e) {
            throw ApiProblem.unavailable("cannot read the tables of shards " + job.sourceShardId() + " and "
                    + job.targetShardId() + " to check a move between engines: " + e.getMessage(),
                    retryAfterSeconds);
        }
        if (!refusal.isEmpty()) {
            throw ApiProblem.unprocessable(refusal);
        }
    }

    private void requireEnabled() {
        if (orchestrator.get() == null) {
            throw ApiProblem.unavailable("resharding is not enabled on this control API: it needs the Kafka cluster"
                    + " of the shard logs (ControlApi.enableResharding)", retryAfterSeconds);
        }
    }

    private static ReshardJob job(ShardMapSnapshot map, String jobId) {
        return map.reshard(jobId).orElseThrow(() -> ApiProblem.notFound("reshard job " + jobId
                + " does not exist; GET /v1/reshards lists them"));
    }

    private String newJobId() {
        byte[] b = new byte[2];
        random.nextBytes(b);
        return "rs-" + ID_TIME.format(clock.instant()) + "-" + HexFormat.of().formatHex(b);
    }

    private ObjectNode view(ReshardJob j, long mapVersion) {
        ObjectNode o = ResponseJson.object()
                .put("jobId", j.jobId())
                .put("kind", j.kind().wireName())
                .put("sourceShardId", j.sourceShardId())
                .put("targetShardId", j.targetShardId())
                .put("phase", j.phase().wireName())
                .put("paused", j.paused())
                .put("startOffset", j.startOffset())
                .put("createdAtMs", j.createdAtMs())
                .put("updatedAtMs", j.updatedAtMs())
                .put("tokens", j.tokens().size())
                .put("mapVersion", mapVersion);
        ArrayNode fleets = o.putArray("fleets");
        j.fleets().forEach(fleets::add);
        if (j.detail() != null) {
            o.put("detail", j.detail());
        }
        ReshardOrchestrator orch = orchestrator.get();
        if (orch != null) {
            o.set("progress", orch.progress(j.jobId()).toJson(j.phase().wireName(), clock.millis()));
        }
        return o;
    }
}
