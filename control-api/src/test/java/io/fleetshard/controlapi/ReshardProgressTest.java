package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The ETAs of a reshard job's copy and validation follow the recent speed, not the average since the start. */
class ReshardProgressTest {

    @Test
    void etaFollowsTheRateOfTheLastSecondsAfterASlowStart() {
        ReshardProgress.RecentRate rate = new ReshardProgress.RecentRate();
        rate.add(0, 0);
        rate.add(4_000, 10_000);   // slow start: 2.5 rows/ms
        rate.add(5_000, 20_000);   // then 10 rows/ms
        rate.add(6_000, 30_000);
        rate.add(7_000, 40_000);
        // the window (3 s) holds 4 000..7 000 ms: 30 000 rows in 3 000 ms; 60 000 rows left -> 6 000 ms
        assertThat(rate.etaMs(100_000)).isEqualTo(6_000);
        // the average since the start (40 000 rows in 7 000 ms) would have said 10 500 ms
        assertThat(ReshardProgress.eta(40_000, 100_000, 0, 7_000)).isEqualTo(10_500);
    }

    @Test
    void noEstimateWithoutTwoSamplesApartOrWithoutProgress() {
        ReshardProgress.RecentRate rate = new ReshardProgress.RecentRate();
        assertThat(rate.etaMs(100)).isEqualTo(-1);
        rate.add(0, 0);
        assertThat(rate.etaMs(100)).isEqualTo(-1);
        rate.add(100, 50); // too close together to say a speed
        assertThat(rate.etaMs(100)).isEqualTo(-1);
        rate.reset();
        rate.add(0, 10);
        rate.add(1_000, 10);
        assertThat(rate.etaMs(100)).isEqualTo(-1);
        rate.add(2_000, 100);
        assertThat(rate.etaMs(100)).isZero();
    }
}
