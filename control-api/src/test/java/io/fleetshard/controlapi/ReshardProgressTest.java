package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReshardProgressTest {

    @Test
    void theEstimateUsesTheRateAfterTheSlowFirstTenth() {
        ReshardProgress p = new ReshardProgress();
        p.rowsTotal = 100_000;
        p.copyStartedAtMs = 0;
        p.rowsCopied = 10_000; // the first tenth took 3 s
        p.copyProgressed(3_000);
        p.rowsCopied = 25_000; // the next 15,000 rows 1.5 s: 10,000 rows/s from here
        long eta = p.toJson("precopy", 4_500).path("copy").path("etaMs").asLong();
        assertThat(eta).isEqualTo(7_500); // 75,000 rows at 10,000 rows/s; the average rate would say 13,500
        assertThat(ReshardProgress.eta(25_000, 100_000, 0, 4_500)).isEqualTo(13_500);
    }

    @Test
    void beforeTheWarmMarkAndAtTheEndTheEstimateFallsBack() {
        ReshardProgress p = new ReshardProgress();
        p.rowsToValidate = 1_000;
        p.validateStartedAtMs = 0;
        p.rowsValidated = 50;
        p.validateProgressed(1_000);
        assertThat(p.validateWarmRows).as("not a tenth yet").isEqualTo(-1);
        assertThat(p.toJson("validate", 1_000).path("validation").path("etaMs").asLong()).isEqualTo(19_000);
        p.rowsValidated = 1_000;
        p.validateProgressed(2_000);
        assertThat(p.toJson("validate", 2_000).path("validation").path("etaMs").asLong()).isZero();
        assertThat(ReshardProgress.eta(0, 1_000, 0, 1_000)).isEqualTo(-1);
    }
}
