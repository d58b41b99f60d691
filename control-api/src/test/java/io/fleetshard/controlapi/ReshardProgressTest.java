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
    void showsNoProbeBeforeCatchUpSentOne() {
        assertThat(new ReshardProgress().toJson("precopy", 0).path("delta").has("probe")).isFalse();
    }
}
