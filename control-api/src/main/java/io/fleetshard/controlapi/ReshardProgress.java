package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What this instance knows about a running job beyond its phase in the map: rows copied and validated, the delta
 * sync's lag, the last write freeze, the last error. Written by the job's worker, read by {@code GET /v1/reshards}.
 * Lost on a restart (the worker measures again).
 */
final class ReshardProgress {
    volatile long rowsTotal = -1;
    volatile long rowsCopied;
    volatile long copyStartedAtMs;
    final PhasePace copyPace = new PhasePace();
    volatile long lagRecords = -1;
    volatile long appliedOffset = -1;
    volatile long lagRecordsPerSec;
    /** The last look at catch-up's probe of the pipeline (ADR 0033), null before one. */
    volatile PipelineProbe.Status probe;
    volatile long rowsToValidate = -1;
    volatile long rowsValidated;
    volatile long validateStartedAtMs;
    final PhasePace validatePace = new PhasePace();
    /** The job's last map transaction, until this instance saw it: how long a phase's closing step takes; -1 before. */
    volatile long lastMapCommitMs = -1;
    volatile long rowsCleaned;
    volatile long freezeMs = -1;
    /** When the fence committed on the source (this instance's wall clock, epoch ms): where the freeze began. */
    volatile long freezeFencedAtMs = -1;
    /** Fence committed on the source until the delta sync wrote it on the target; -1 when unknown. */
    volatile long freezeAppliedMs = -1;
    /** Fence committed until this instance saw it applied. */
    volatile long freezeNoticedMs = -1;
    /** The map transaction of the new placement, until this instance saw it. */
    volatile long freezeMapCommitMs = -1;
    /** Of {@link #freezeMapCommitMs}: taking validation's snapshot of the target before the map transaction. */
    volatile long freezeSnapshotMs = -1;
    /** Of {@link #freezeMapCommitMs}: the map transaction's steps. */
    volatile MapTransactionRunner.Steps freezeMapSteps = MapTransactionRunner.Steps.NONE;
    /** The steps of the job's last map transaction. */
    volatile MapTransactionRunner.Steps lastMapSteps = MapTransactionRunner.Steps.NONE;
    volatile String validation;
    volatile String lastError;
    volatile long lastErrorAtMs;
    final List<String> mismatches = new CopyOnWriteArrayList<>();

    ObjectNode toJson(String phase, long nowMs) {
        ObjectNode o = ResponseJson.object();
        ObjectNode copy = o.putObject("copy");
        copy.put("rowsCopied", rowsCopied).put("rowsTotal", rowsTotal);
        if (phase.equals("precopy")) {
            copy.put("etaMs", copyPace.eta(rowsCopied, rowsTotal, nowMs, lastMapCommitMs));
        }
        ObjectNode delta = o.putObject("delta");
        delta.put("lagRecords", lagRecords).put("appliedOffset", appliedOffset);
        if (phase.equals("catchup") && lagRecordsPerSec > 0 && lagRecords >= 0) {
            delta.put("etaMs", lagRecords * 1000 / lagRecordsPerSec);
        }
        PipelineProbe.Status pr = probe;
        if (pr != null) {
            delta.putObject("probe").put("current", pr.current()).put("sent", pr.sent())
                    .put("waitingMs", pr.waitingMs()).put("lastTripMs", pr.lastTripMs()).put("detail", pr.where());
        }
        ObjectNode v = o.putObject("validation");
        v.put("rowsValidated", rowsValidated).put("rowsTotal", rowsToValidate);
        if (phase.equals("validate")) {
            v.put("etaMs", validatePace.eta(rowsValidated, rowsToValidate, nowMs, lastMapCommitMs));
        }
        if (validation != null) {
            v.put("result", validation);
        }
        ArrayNode m = v.putArray("mismatches");
        mismatches.forEach(m::add);
        o.put("rowsCleaned", rowsCleaned);
        if (freezeMs >= 0) {
            o.put("writeFreezeMs", freezeMs);
            if (freezeNoticedMs >= 0) {
                MapTransactionRunner.Steps steps = freezeMapSteps;
                o.putObject("writeFreeze").put("fencedAtMs", freezeFencedAtMs).put("fenceAppliedMs", freezeAppliedMs)
                        .put("fenceNoticedMs", freezeNoticedMs).put("mapCommitMs", freezeMapCommitMs)
                        .put("snapshotMs", freezeSnapshotMs).put("mapLockWaitMs", ms(steps.lockWaitUs()))
                        .put("mapBaseWaitMs", ms(steps.baseWaitUs())).put("mapTransactionMs", ms(steps.commitUs()))
                        .put("mapSeenMs", ms(steps.seenUs())).put("mapStagedMs", ms(steps.stagedUs()));
            }
        }
        if (lastError != null) {
            o.put("lastError", lastError).put("lastErrorAtMs", lastErrorAtMs);
        }
        return o;
    }

    /** µs as ms with one decimal; -1 stays -1 (unknown). */
    private static double ms(long us) {
        return us < 0 ? -1 : Math.round(us / 100.0) / 10.0;
    }
}
