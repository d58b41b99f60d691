package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardKind;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.streams.DeltaSyncSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The stream processors' reconcile of delta syncs with the shard map: only a map that has caught up with its log
 * starts or keeps a delta sync (commit 9003522). A stale map — the local snapshot file at a restart, or the log read
 * part way — can still show a finished job in catch-up; its delta sync would apply the source's old changes over the
 * rows the application has written on the target since the cutover.
 */
class StreamProcessorsTest {
    private static final String JOB = "rs-1";

    private static ShardMapSnapshot mapWith(long version, ReshardPhase phase) {
        List<MapEntity> e = new ArrayList<>();
        for (String s : List.of("pg-1", "pg-2")) {
            e.add(Shard.withDefaultTokens(s, ShardStatus.ACTIVE, Engine.POSTGRES, 4));
            e.add(new Node(s + "-a", s, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a",
                    "jdbc:postgresql://127.0.0.1:1/" + s));
        }
        e.add(new ReshardJob(JOB, ReshardKind.MOVE, "pg-1", "pg-2", List.of("acme/f1"), List.of(), phase, 42, 0, 0,
                false, null));
        return ShardMapSnapshot.of(version, e);
    }

    /** A map that shows {@code stale} until it has caught up, then {@code latest}. */
    private static final class FakeMap implements StreamProcessors.FollowedMap {
        private final ShardMapSnapshot stale;
        private final ShardMapSnapshot latest;
        private final boolean catchesUpWhileWaited;
        private boolean caughtUp;
        int waits;

        FakeMap(ShardMapSnapshot stale, ShardMapSnapshot latest, boolean catchesUpWhileWaited) {
            this.stale = stale;
            this.latest = latest;
            this.catchesUpWhileWaited = catchesUpWhileWaited;
        }

        @Override
        public ShardMapSnapshot current() {
            return caughtUp ? latest : stale;
        }

        @Override
        public boolean hasCaughtUp() {
            return caughtUp;
        }

        @Override
        public boolean awaitCaughtUp(Duration timeout) {
            waits++;
            caughtUp |= catchesUpWhileWaited;
            return caughtUp;
        }
    }

    /** Records what the reconcile asked of the delta syncs. */
    private static final class RecordingDeltaSyncs implements StreamProcessors.DeltaSyncs {
        final List<List<DeltaSyncSpec>> reconciled = new ArrayList<>();
        final List<Set<String>> held = new ArrayList<>();
        final List<String> forgotten = new ArrayList<>();

        @Override
        public void reconcile(Collection<DeltaSyncSpec> wanted, Set<String> held) {
            reconciled.add(List.copyOf(wanted));
            this.held.add(Set.copyOf(held));
        }

        @Override
        public void forgetFinished(Collection<String> jobIds) {
            forgotten.addAll(jobIds);
        }
    }

    private static StreamProcessors.Reconcile reconcile(FakeMap map, RecordingDeltaSyncs syncs) {
        return new StreamProcessors.Reconcile(map, StreamProcessors.TargetLogins.DEV, syncs);
    }

    @Test
    void aStaleMapShowingAFinishedJobInCatchUpStartsNoDeltaSync() {
        FakeMap map = new FakeMap(mapWith(7, ReshardPhase.CATCHUP), mapWith(12, ReshardPhase.DONE), false);
        RecordingDeltaSyncs syncs = new RecordingDeltaSyncs();

        boolean done = reconcile(map, syncs).once(Duration.ofMillis(1));

        assertThat(done).as("a reconcile on a map that has not caught up is put off").isFalse();
        assertThat(map.waits).isEqualTo(1);
        assertThat(syncs.reconciled).as("no delta sync started or stopped on the stale map").isEmpty();
        assertThat(syncs.forgotten).isEmpty();
    }

    @Test
    void onceTheMapHasCaughtUpTheFinishedJobIsForgottenNotStarted() {
        FakeMap map = new FakeMap(mapWith(7, ReshardPhase.CATCHUP), mapWith(12, ReshardPhase.DONE), true);
        RecordingDeltaSyncs syncs = new RecordingDeltaSyncs();

        assertThat(reconcile(map, syncs).once(Duration.ofMillis(1))).isTrue();

        assertThat(syncs.reconciled).containsExactly(List.of());
        assertThat(syncs.forgotten).containsExactly(JOB);
    }

    @Test
    void aJobInCatchUpOnTheCaughtUpMapGetsItsDeltaSyncAndOneInPrecopyAHeldOne() {
        RecordingDeltaSyncs syncs = new RecordingDeltaSyncs();
        ShardMapSnapshot catchup = mapWith(3, ReshardPhase.CATCHUP);
        ShardMapSnapshot precopy = mapWith(2, ReshardPhase.PRECOPY);
        reconcile(new FakeMap(catchup, catchup, true), syncs).once(Duration.ofMillis(1));
        reconcile(new FakeMap(precopy, precopy, true), syncs).once(Duration.ofMillis(1));

        assertThat(syncs.reconciled).hasSize(2);
        DeltaSyncSpec spec = syncs.reconciled.get(0).get(0);
        assertThat(spec.jobId()).isEqualTo(JOB);
        assertThat(spec.sourceShardId()).isEqualTo("pg-1");
        assertThat(spec.startOffset()).isEqualTo(42);
        assertThat(syncs.held.get(0)).isEmpty();
        assertThat(syncs.reconciled.get(1)).extracting(DeltaSyncSpec::jobId).containsExactly(JOB);
        assertThat(syncs.held.get(1)).containsExactly(JOB);
    }
}
