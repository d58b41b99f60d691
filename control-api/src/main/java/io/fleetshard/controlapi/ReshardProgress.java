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
    /** Rows copied, and when, once the copy passed {@link #WARM_FRACTION} of its rows; -1 before. */
    volatile long copyWarmRows = -1;
    volatile long copyWarmAtMs;
    volatile long lagRecords = -1;
    volatile long appliedOffset = -1;
    volatile long lagRecordsPerSec;
    volatile long rowsToValidate = -1;
    volatile long rowsValidated;
    volatile long validateStartedAtMs;
    volatile long validateWarmRows = -1;
    volatile long validateWarmAtMs;
    volatile long rowsCleaned;
    volatile long freezeMs = -1;
    /** Fence committed on the source until the delta sync wrote it on the target; -1 when unknown. */
    volatile long freezeAppliedMs = -1;
    /** Fence committed until this instance saw it applied. */
    volatile long freezeNoticedMs = -1;
    /** The map transaction of the new placement, until this instance saw it. */
    volatile long freezeMapCommitMs = -1;
    volatile String validation;
    volatile String lastError;
    volatile long lastErrorAtMs;
    final List<String> mismatches = new CopyOnWriteArrayList<>();

    /**
     * A phase's first tenth runs slower than the rest (cold caches, a JIT still compiling, the first ranges meeting
     * capture's backlog): measured, an estimate from the average rate since the start overshot by 50–90 % at a quarter
     * of the copy. Past this fraction, the estimate uses the rate since the fraction was reached.
     */
    static final double WARM_FRACTION = 0.10;

    /** Records the warm mark of the copy once {@code rowsCopied} passes {@link #WARM_FRACTION}. */
    void copyProgressed(long nowMs) {
        if (copyWarmRows < 0 && rowsTotal > 0 && rowsCopied >= rowsTotal * WARM_FRACTION) {
            copyWarmAtMs = nowMs;
            copyWarmRows = rowsCopied;
        }
    }

    /** Records the warm mark of the validation once {@code rowsValidated} passes {@link #WARM_FRACTION}. */
    void validateProgressed(long nowMs) {
        if (validateWarmRows < 0 && rowsToValidate > 0 && rowsValidated >= rowsToValidate * WARM_FRACTION) {
            validateWarmAtMs = nowMs;
            validateWarmRows = rowsValidated;
        }
    }

    /**
     * Estimated ms until a phase ends, or -1 when there is no estimate: from the rate since the warm mark
     * ({@code warmRows} done at {@code warmAtMs}) once there is progress after it, else from the average rate since
     * the phase started.
     */
    static long eta(long done, long total, long startedAtMs, long warmRows, long warmAtMs, long nowMs) {
        if (total >= 0 && done < total && warmRows >= 0 && done > warmRows && nowMs > warmAtMs) {
            return (long) ((total - done) * ((nowMs - warmAtMs) / (double) (done - warmRows)));
        }
        return eta(done, total, startedAtMs, nowMs);
    }

    /** Estimated ms until the current phase ends from its average rate, or -1 when there is no estimate. */
    static long eta(long done, long total, long startedAtMs, long nowMs) {
        long elapsed = nowMs - startedAtMs;
        if (total < 0 || done <= 0 || elapsed <= 0) {
            return -1;
        }
        if (done >= total) {
            return 0;
        }
        return (long) ((total - done) * (elapsed / (double) done));
    }

    ObjectNode toJson(String phase, long nowMs) {
        ObjectNode o = ResponseJson.object();
        ObjectNode copy = o.putObject("copy");
        copy.put("rowsCopied", rowsCopied).put("rowsTotal", rowsTotal);
        if (phase.equals("precopy")) {
            copy.put("etaMs", eta(rowsCopied, rowsTotal, copyStartedAtMs, copyWarmRows, copyWarmAtMs, nowMs));
        }
        ObjectNode delta = o.putObject("delta");
        delta.put("lagRecords", lagRecords).put("appliedOffset", appliedOffset);
        if (phase.equals("catchup") && lagRecordsPerSec > 0 && lagRecords >= 0) {
            delta.put("etaMs", lagRecords * 1000 / lagRecordsPerSec);
        }
        ObjectNode v = o.putObject("validation");
        v.put("rowsValidated", rowsValidated).put("rowsTotal", rowsToValidate);
        if (phase.equals("validate")) {
            v.put("etaMs", eta(rowsValidated, rowsToValidate, validateStartedAtMs, validateWarmRows, validateWarmAtMs,
                    nowMs));
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
                o.putObject("writeFreeze").put("fenceAppliedMs", freezeAppliedMs)
                        .put("fenceNoticedMs", freezeNoticedMs).put("mapCommitMs", freezeMapCommitMs);
            }
        }
        if (lastError != null) {
            o.put("lastError", lastError).put("lastErrorAtMs", lastErrorAtMs);
        }
        return o;
    }
}
