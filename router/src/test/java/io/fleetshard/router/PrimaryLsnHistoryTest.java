package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrimaryLsnHistoryTest {

    @Test
    void unknownUntilTheFirstSample() {
        assertThat(new PrimaryLsnHistory().lagMs(5, 1000)).isEqualTo(-1);
    }

    @Test
    void aReplicaAtOrPastThePrimarysLastPositionHasNoLag() {
        PrimaryLsnHistory h = new PrimaryLsnHistory();
        h.record(1000, 100);
        h.record(1100, 200);
        assertThat(h.lagMs(200, 1150)).isZero();
        assertThat(h.lagMs(250, 1150)).isZero();
    }

    @Test
    void lagIsHowLongAgoThePrimaryWasLastSeenAtOrBeforeTheReplicasPosition() {
        PrimaryLsnHistory h = new PrimaryLsnHistory();
        h.record(1000, 100);
        h.record(1100, 200);
        h.record(1200, 300);
        assertThat(h.lagMs(250, 1210)).isEqualTo(110); // last seen <= 250 at 1100 (lsn 200)
        assertThat(h.lagMs(100, 1210)).isEqualTo(210);
    }

    @Test
    void anIdlePrimaryKeepsOneEntryAndLagGrowsWhileAReplicaStaysBehind() {
        PrimaryLsnHistory h = new PrimaryLsnHistory();
        h.record(1000, 100);
        h.record(1100, 200);
        for (long t = 1200; t < 60_000; t += 100) {
            h.record(t, 200);
        }
        assertThat(h.size()).isEqualTo(2);
        assertThat(h.lagMs(200, 60_000)).isZero();
        // paused at 100: the primary left 100 after it was last seen there at 1000
        assertThat(h.lagMs(100, 60_000)).isEqualTo(59_000);
    }

    @Test
    void aReplicaBehindEverythingRememberedGetsAtLeastTheHistorysAge() {
        PrimaryLsnHistory h = new PrimaryLsnHistory();
        for (int i = 0; i < PrimaryLsnHistory.CAPACITY + 10; i++) {
            h.record(1000 + i * 100L, 1000 + i);
        }
        long now = 1000 + (PrimaryLsnHistory.CAPACITY + 10) * 100L;
        long oldestRemembered = 1000 + 10 * 100L;
        assertThat(h.lagMs(5, now)).isEqualTo(now - oldestRemembered);
    }

    @Test
    void ignoresAPositionThatGoesBack() {
        PrimaryLsnHistory h = new PrimaryLsnHistory();
        h.record(1000, 100);
        h.record(1100, 50);
        assertThat(h.size()).isEqualTo(1);
        assertThat(h.lagMs(100, 1200)).isZero();
    }
}
