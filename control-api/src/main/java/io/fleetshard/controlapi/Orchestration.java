package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A failover of one shard as a durable state machine (docs/spec/orchestrations.md): the steps done so far, each with
 * its time and what it found. Every change is one event in {@code fleetshard.orchestrations} carrying the whole value,
 * so the newest event of an id is its state, and {@code seq} orders them.
 *
 * @param fromNodeId the primary being replaced
 * @param toNodeId the node promoted, once {@code declare} chose it (null before)
 * @param trigger who started it: the health monitor (with its evidence) or an operator
 */
record Orchestration(String id, String kind, String shardId, String fromNodeId, String toNodeId, State state,
        String trigger, long startedAtMs, long endedAtMs, long seq, List<Step> steps) {

    /** The steps of a failover, in order. */
    static final List<String> FAILOVER_STEPS = List.of("detect", "declare", "promote", "update-map", "verify");
    /** The steps of a planned switchover, in order: writes pause from freeze to update-map. */
    static final List<String> SWITCHOVER_STEPS = List.of("prepare", "freeze", "catch-up", "promote", "update-map",
            "verify");

    /**
     * The steps of a failback: the failed primary, rebuilt as a replica of the current primary, rejoins the shard
     * (checked, then a replica in the map), then a planned switchover makes it the primary again.
     */
    static final List<String> FAILBACK_STEPS = List.of("prepare", "rejoin", "freeze", "catch-up", "promote",
            "update-map", "verify");
    /** The steps of a rejoin: a fenced node, rebuilt as a replica of the primary, becomes a replica in the map. */
    static final List<String> REJOIN_STEPS = List.of("prepare", "rejoin");
    /**
     * The steps of a disaster recovery: the warm standby (another region, fed from the S3 archive) applies what the
     * archive holds, stops being fed, change capture is told to start over on it, and it becomes the primary.
     */
    static final List<String> PROMOTE_STANDBY_STEPS = List.of("prepare", "catch-up", "promote", "capture-reset",
            "update-map", "verify");

    enum State {
        RUNNING, DONE, FAILED, ABORTED;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }

        boolean ended() {
            return this != RUNNING;
        }
    }

    /**
     * One step done (or failed): when it started and ended, and what it found.
     *
     * @param position a WAL position a later step needs (a switchover's {@code freeze}: every committed write is at
     *     or before it), else null
     */
    record Step(String name, long startedAtMs, long endedAtMs, boolean ok, String detail, String position) {
        Step(String name, long startedAtMs, long endedAtMs, boolean ok, String detail) {
            this(name, startedAtMs, endedAtMs, ok, detail, null);
        }
    }

    Orchestration {
        steps = List.copyOf(steps);
    }

    static Orchestration failover(String id, String shardId, String fromNodeId, String trigger, long nowMs,
            String detectDetail) {
        return new Orchestration(id, "failover", shardId, fromNodeId, null, State.RUNNING, trigger, nowMs, 0, 1,
                List.of(new Step("detect", nowMs, nowMs, true, detectDetail)));
    }

    /** A planned switchover to {@code toNodeId}, prepared (checked) at {@code nowMs}. */
    static Orchestration switchover(String id, String shardId, String fromNodeId, String toNodeId, String trigger,
            long nowMs, String prepareDetail) {
        return new Orchestration(id, "switchover", shardId, fromNodeId, toNodeId, State.RUNNING, trigger, nowMs, 0, 1,
                List.of(new Step("prepare", nowMs, nowMs, true, prepareDetail)));
    }

    /** A failback or rejoin ({@code kind}) of {@code nodeId}, prepared (checked) at {@code nowMs}. */
    static Orchestration returning(String kind, String id, String shardId, String primaryNodeId, String nodeId,
            String trigger, long nowMs, String prepareDetail) {
        if (!kind.equals("failback") && !kind.equals("rejoin")) {
            throw new IllegalArgumentException("not a failback or rejoin: " + kind);
        }
        return new Orchestration(id, kind, shardId, primaryNodeId, nodeId, State.RUNNING, trigger, nowMs, 0, 1,
                List.of(new Step("prepare", nowMs, nowMs, true, prepareDetail)));
    }

    /** A disaster recovery of {@code shardId} onto its warm standby {@code standbyNodeId}, prepared at {@code nowMs}. */
    static Orchestration promoteStandby(String id, String shardId, String primaryNodeId, String standbyNodeId,
            String trigger, long nowMs, String prepareDetail) {
        return new Orchestration(id, "promote-standby", shardId, primaryNodeId, standbyNodeId, State.RUNNING, trigger,
                nowMs, 0, 1, List.of(new Step("prepare", nowMs, nowMs, true, prepareDetail)));
    }

    List<String> plannedSteps() {
        return switch (kind) {
            case "promote-standby" -> PROMOTE_STANDBY_STEPS;
            case "switchover" -> SWITCHOVER_STEPS;
            case "failback" -> FAILBACK_STEPS;
            case "rejoin" -> REJOIN_STEPS;
            default -> FAILOVER_STEPS;
        };
    }

    /** The next step to run, or null when every step is done or the orchestration ended. */
    String nextStep() {
        if (state.ended()) {
            return null;
        }
        int done = steps.size();
        return done < plannedSteps().size() ? plannedSteps().get(done) : null;
    }

    /** True once {@code step} is among the steps done. */
    boolean did(String step) {
        return steps.stream().anyMatch(s -> s.name().equals(step) && s.ok());
    }

    Orchestration withStep(Step step, String promotedNodeId) {
        List<Step> next = new ArrayList<>(steps);
        next.add(step);
        State s = !step.ok() ? State.FAILED : next.size() == plannedSteps().size() ? State.DONE : State.RUNNING;
        return new Orchestration(id, kind, shardId, fromNodeId, promotedNodeId != null ? promotedNodeId : toNodeId, s,
                trigger, startedAtMs, s.ended() ? step.endedAtMs() : 0, seq + 1, next);
    }

    /** Ends without failing over: the primary answered again. */
    Orchestration aborted(Step step) {
        List<Step> next = new ArrayList<>(steps);
        next.add(step);
        return new Orchestration(id, kind, shardId, fromNodeId, toNodeId, State.ABORTED, trigger, startedAtMs,
                step.endedAtMs(), seq + 1, next);
    }

    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("orchestrationId", id).put("kind", kind).put("shardId", shardId).put("fromNodeId", fromNodeId)
                .put("toNodeId", toNodeId).put("state", state.wireName()).put("trigger", trigger)
                .put("startedAtMs", startedAtMs).put("seq", seq);
        if (endedAtMs > 0) {
            o.put("endedAtMs", endedAtMs).put("durationMs", endedAtMs - startedAtMs);
        } else {
            o.putNull("endedAtMs");
        }
        String next = nextStep();
        if (next != null) {
            o.put("nextStep", next);
        }
        ArrayNode arr = o.putArray("steps");
        for (Step s : steps) {
            ObjectNode step = arr.addObject().put("step", s.name()).put("startedAtMs", s.startedAtMs())
                    .put("endedAtMs", s.endedAtMs()).put("durationMs", s.endedAtMs() - s.startedAtMs())
                    .put("ok", s.ok()).put("detail", s.detail());
            if (s.position() != null) {
                step.put("position", s.position());
            }
        }
        return o;
    }

    static Orchestration fromJson(JsonNode o) {
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : o.path("steps")) {
            steps.add(new Step(s.path("step").asText(), s.path("startedAtMs").asLong(), s.path("endedAtMs").asLong(),
                    s.path("ok").asBoolean(), s.path("detail").asText(), s.path("position").textValue()));
        }
        return new Orchestration(o.path("orchestrationId").asText(), o.path("kind").asText(),
                o.path("shardId").asText(), o.path("fromNodeId").asText(),
                o.path("toNodeId").isNull() || o.path("toNodeId").isMissingNode() ? null : o.path("toNodeId").asText(),
                State.parse(o.path("state").asText()), o.path("trigger").asText(), o.path("startedAtMs").asLong(),
                o.path("endedAtMs").asLong(0), o.path("seq").asLong(), steps);
    }
}
