package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What {@code GET /v1/reshards/{id}} shows of a job's catch-up probe (ADR 0033). */
class ReshardProgressTest {
    @Test
    void showsWhereTheProbeInFlightIsAndHowOldItIs() {
        ReshardProgress p = new ReshardProgress();
        p.lagRecords = 0;
        p.probe = new PipelineProbe.Status(false, 7, 1_250, 14_020, 3,
                "probe 7 not yet in the source's shard log (capture is behind the source)");

        var delta = p.toJson("catchup", 0).path("delta");

        assertThat(delta.path("lagRecords").asLong()).isZero();
        assertThat(delta.path("probe").toString()).isEqualTo("{\"current\":false,\"sent\":3,\"waitingMs\":1250,"
                + "\"lastTripMs\":14020,\"detail\":\"probe 7 not yet in the source's shard log (capture is behind"
                + " the source)\"}");
    }

    @Test
    void showsWhereTheWriteFreezeWentDownToTheMapTransactionsSteps() {
        ReshardProgress p = new ReshardProgress();
        p.freezeMs = 310;
        p.freezeFencedAtMs = 1_765_000_000_000L;
        p.freezeAppliedMs = 200;
        p.freezeNoticedMs = 203;
        p.freezeMapCommitMs = 107;
        p.freezeSnapshotMs = 4;
        p.freezeMapSteps = new MapTransactionRunner.Steps(1_449, 20, 35, 48_260, 51, 61_020);

        var o = p.toJson("validate", 0);

        assertThat(o.path("writeFreezeMs").asLong()).isEqualTo(310);
        assertThat(o.path("writeFreeze").toString()).isEqualTo("{\"fencedAtMs\":1765000000000,\"fenceAppliedMs\":200,"
                + "\"fenceNoticedMs\":203,\"mapCommitMs\":107,\"snapshotMs\":4,\"mapLockWaitMs\":1.4,"
                + "\"mapBaseWaitMs\":0.0,\"mapTransactionMs\":48.3,\"mapSeenMs\":0.1,\"mapStagedMs\":61.0}");
    }

    @Test
    void showsNoProbeBeforeCatchUpSentOne() {
        assertThat(new ReshardProgress().toJson("precopy", 0).path("delta").has("probe")).isFalse();
    }
}
