package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The ETA that {@code GET /v1/reshards/{id}} shows for the copy and validation phases. */
class PhasePaceTest {
    @Test
    void hasNoEstimateBeforeAnythingIsDone() {
        PhasePace pace = new PhasePace();
        assertThat(pace.eta(10, 100, 1_000, -1)).isEqualTo(-1); // not started
        pace.start(1_000);
        assertThat(pace.eta(0, 100, 1_500, -1)).isEqualTo(-1);
        assertThat(pace.eta(10, -1, 1_500, -1)).isEqualTo(-1); // no total yet
    }

    @Test
    void estimatesTheRestAtTheRateSoFarPlusTheClosingStep() {
        PhasePace pace = new PhasePace();
        pace.start(0);
        pace.record(25, 400);

        assertThat(pace.eta(25, 100, 400, -1)).isEqualTo(1_200);
        assertThat(pace.eta(25, 100, 400, 150)).isEqualTo(1_350); // the map transaction that ends the phase
        assertThat(pace.eta(25, 100, 500, -1)).isEqualTo(1_500); // no progress since: the rate falls
    }

    @Test
    void followsThePaceOfTheLaterHalfSoASlowStartDoesNotStretchIt() {
        PhasePace pace = new PhasePace();
        pace.start(0);
        pace.record(10, 1_000); // a slow first range (cold caches, the JIT)
        for (int i = 2; i <= 10; i++) {
            pace.record(i * 10L, 1_000 + (i - 1) * 100L); // then 10 rows per 100 ms
        }

        // rate over 50 -> 100 (the newest sample at or below half of 100): 50 rows in 500 ms; 100 rows left
        assertThat(pace.eta(100, 200, 1_900, -1)).isEqualTo(1_000);
    }

    @Test
    void withFewStepsTheRateIsTheWholePhasesSoOneRangeDoesNotSwingIt() {
        PhasePace pace = new PhasePace();
        pace.start(0);
        pace.record(25, 300);
        pace.record(50, 1_000); // a slow second range (lanes still busy with the copied rows)

        // over both ranges: 50 rows in 1,000 ms, 50 rows left; not the second range's 25 rows in 700 ms
        assertThat(pace.eta(50, 100, 1_000, -1)).isEqualTo(1_000);
    }

    @Test
    void whenAllRowsAreDoneOnlyTheClosingStepIsLeft() {
        PhasePace pace = new PhasePace();
        pace.start(0);
        pace.record(100, 1_000);

        assertThat(pace.eta(100, 100, 1_040, 100)).isEqualTo(60);
        assertThat(pace.eta(100, 100, 1_500, 100)).isZero();
        assertThat(pace.eta(100, 100, 1_000, -1)).isZero();
    }

    @Test
    void staysBoundedOverALongPhaseAndKeepsItsStart() {
        PhasePace pace = new PhasePace();
        pace.start(0);
        for (int i = 1; i <= 10_000; i++) {
            pace.record(i, i * 10L);
        }
        // a steady pace of 1 row per 10 ms, whatever samples were thinned out
        assertThat(pace.eta(10_000, 20_000, 100_000, -1)).isEqualTo(100_000);
        pace.start(200_000);
        assertThat(pace.eta(0, 100, 200_100, -1)).isEqualTo(-1); // a restarted phase forgets the old samples
        pace.record(50, 201_000);
        assertThat(pace.eta(50, 100, 201_000, -1)).isEqualTo(1_000);
    }
}
