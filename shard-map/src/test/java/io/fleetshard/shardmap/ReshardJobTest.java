package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReshardJobTest {
    private static ReshardJob job(ReshardPhase phase) {
        return new ReshardJob("rs-1", ReshardKind.MOVE, "pg-1", "pg-2", List.of("acme/a", "acme/b"), List.of(), phase,
                -1, 0, 0, false, null);
    }

    @Test
    void movesOnlyAlongAllowedTransitions() {
        ReshardJob j = job(ReshardPhase.PRECOPY).withPhase(ReshardPhase.CATCHUP, 5, null);
        assertThat(j.phase()).isEqualTo(ReshardPhase.CATCHUP);
        assertThat(j.updatedAtMs()).isEqualTo(5);
        assertThatThrownBy(() -> job(ReshardPhase.VALIDATE).withPhase(ReshardPhase.CANCELLING, 5, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("reshard job rs-1 cannot go from validate to cancelling");
        assertThat(ReshardPhase.CUTOVER.isCancellable()).isTrue();
        assertThat(ReshardPhase.VALIDATE.isCancellable()).isFalse();
    }

    @Test
    void rejectsUnsortedFleetsAndSameShard() {
        assertThatThrownBy(() -> new ReshardJob("rs-1", ReshardKind.MOVE, "pg-1", "pg-2", List.of("acme/b", "acme/a"),
                List.of(), ReshardPhase.PRECOPY, -1, 0, 0, false, null))
                .hasMessageContaining("sorted and distinct");
        assertThatThrownBy(() -> new ReshardJob("rs-1", ReshardKind.MOVE, "pg-1", "pg-1", List.of("acme/a"),
                List.of(), ReshardPhase.PRECOPY, -1, 0, 0, false, null))
                .hasMessageContaining("must differ");
    }

    @Test
    void snapshotKeepsAndDeletesJobs() {
        ShardMapSnapshot s = ShardMapSnapshot.of(1, List.of(job(ReshardPhase.PRECOPY)));
        assertThat(s.reshard("rs-1")).isPresent();
        assertThat(job(ReshardPhase.PRECOPY).moves("acme", "b")).isTrue();
        assertThat(job(ReshardPhase.PRECOPY).moves("acme", "c")).isFalse();
        assertThat(s.apply(2, List.of(), List.of("reshard:rs-1")).reshards()).isEmpty();
    }
}
