package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaSelectorTest {
    private final ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_000_000));
    private final NodeHealthBoard health = new NodeHealthBoard();
    private final ReplicaSelector selector = new ReplicaSelector(health, clock, 100);

    private final Node primary = node("p", NodeRole.PRIMARY, "eu");
    private final Node euReplica = node("r-eu", NodeRole.REPLICA, "eu");
    private final Node usReplica = node("r-us", NodeRole.SYNC_REPLICA, "us");
    private final Node standby = node("sb", NodeRole.STANDBY, "ap");
    private final ShardMapSnapshot map = ShardMapSnapshot.of(1, List.of(
            Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 8), primary, euReplica, usReplica,
            standby));

    private static Node node(String id, NodeRole role, String region) {
        return new Node(id, "s1", role, region, region + "-a", "jdbc:postgresql://h/" + id);
    }

    private static ReadPreference pref(Consistency c, long maxStalenessMs, String region, ConsistencyToken after) {
        return new ReadPreference(c, maxStalenessMs, region, after);
    }

    private void up(Node n, long lagMs, String lsn) {
        health.put(n.nodeId(), NodeHealth.up(lagMs, Lsn.parse(lsn), clock.millis()));
    }

    private Node read(ReadPreference p) {
        return selector.select(map, "s1", StatementKind.READ, p);
    }

    @Test
    void writesAndStrongReadsGoToThePrimary() {
        up(euReplica, 0, "0/100");
        assertThat(selector.select(map, "s1", StatementKind.WRITE, pref(Consistency.EVENTUAL, 0, "eu", null)))
                .isEqualTo(primary);
        assertThat(read(ReadPreference.STRONG)).isEqualTo(primary);
    }

    @Test
    void eventualPrefersAHealthyReplicaInTheHintedRegionThenAny() {
        up(euReplica, 50, "0/100");
        up(usReplica, 0, "0/100");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "us", null))).isEqualTo(usReplica);
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", null))).isEqualTo(euReplica);
        health.markDown(euReplica.nodeId(), "connection refused", clock.millis());
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", null))).isEqualTo(usReplica);
        health.markDown(usReplica.nodeId(), "connection refused", clock.millis());
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", null))).isEqualTo(primary);
    }

    @Test
    void equallyNearReplicasTakeTurns() {
        up(euReplica, 0, "0/100");
        up(usReplica, 0, "0/100");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            seen.add(read(pref(Consistency.EVENTUAL, 0, null, null)).nodeId());
        }
        assertThat(seen).containsExactlyInAnyOrder("r-eu", "r-us");
    }

    @Test
    void eventualReadsInTheStandbysRegionAreServedByTheStandby() {
        up(euReplica, 0, "0/100");
        up(standby, -1, "0/100");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", null))).isEqualTo(standby);
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", null))).as("nearest first").isEqualTo(euReplica);
    }

    @Test
    void strongReadsAndWritesNeverGoToAStandby() {
        up(standby, 0, "0/100");
        assertThat(read(pref(Consistency.STRONG, 0, "ap", null))).isEqualTo(primary);
        assertThat(selector.select(map, "s1", StatementKind.WRITE, pref(Consistency.EVENTUAL, 0, "ap", null)))
                .isEqualTo(primary);
    }

    @Test
    void aStandbyThatIsDownOrNotProbedIsNotUsed() {
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", null))).as("never probed").isEqualTo(primary);
        health.put(standby.nodeId(), NodeHealth.down("standby has not applied anything yet", clock.millis()));
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", null))).isEqualTo(primary);
        up(usReplica, 0, "0/100");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", null))).as("then any region").isEqualTo(usReplica);
    }

    @Test
    void boundedReadsUseAStandbyOnlyWithAMeasuredLagWithinTheBound() {
        up(standby, -1, "0/100");
        assertThat(read(pref(Consistency.BOUNDED, 60_000, "ap", null))).as("unknown lag").isEqualTo(primary);
        up(standby, 250, "0/100");
        assertThat(read(pref(Consistency.BOUNDED, 300, "ap", null))).isEqualTo(standby);
        assertThat(read(pref(Consistency.BOUNDED, 200, "ap", null))).isEqualTo(primary);
    }

    @Test
    void readYourWritesUsesAStandbyOnlyWhenItsAppliedPositionCoversTheToken() {
        ConsistencyToken token = new ConsistencyToken("s1", Engine.POSTGRES, Lsn.parse("0/200"));
        up(standby, -1, "0/1FF");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", token))).isEqualTo(primary);
        up(standby, -1, "0/200");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", token))).isEqualTo(standby);
    }

    @Test
    void aMariaDbStandbyServesTokensItsGtidCovers() {
        ConsistencyToken token = new ConsistencyToken("s1", Engine.MARIADB, GtidPosition.parse("0-1-42"));
        LogPosition applied = MariaDbDialect.INSTANCE.parseStandbyPosition("0-1-41@mariadb-bin.000003:1234#0");
        health.put(standby.nodeId(), NodeHealth.up(-1, applied, clock.millis()));
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", token))).isEqualTo(primary);
        applied = MariaDbDialect.INSTANCE.parseStandbyPosition("0-1-42@mariadb-bin.000003:1388#0");
        health.put(standby.nodeId(), NodeHealth.up(-1, applied, clock.millis()));
        assertThat(read(pref(Consistency.EVENTUAL, 0, "ap", token))).isEqualTo(standby);
    }

    @Test
    void boundedUsesOnlyReplicasWithinTheBound() {
        up(euReplica, 300, "0/100");
        up(usReplica, 80, "0/100");
        assertThat(read(pref(Consistency.BOUNDED, 500, "eu", null))).isEqualTo(euReplica);
        assertThat(read(pref(Consistency.BOUNDED, 100, "eu", null))).isEqualTo(usReplica);
        assertThat(read(pref(Consistency.BOUNDED, 50, "eu", null))).isEqualTo(primary);
        health.put(euReplica.nodeId(), NodeHealth.up(-1, Lsn.parse("0/100"), clock.millis()));
        health.put(usReplica.nodeId(), NodeHealth.up(-1, Lsn.parse("0/100"), clock.millis()));
        assertThat(read(pref(Consistency.BOUNDED, 60_000, "eu", null))).as("unknown lag").isEqualTo(primary);
    }

    @Test
    void staleMeasurementsDoNotCount() {
        up(euReplica, 0, "0/100");
        clock.advance(Duration.ofMillis(1001));
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", null))).isEqualTo(primary);
    }

    @Test
    void readYourWritesNeedsAReplicaThatReplayedPastTheToken() {
        ConsistencyToken token = new ConsistencyToken("s1", Engine.POSTGRES, Lsn.parse("0/200"));
        up(euReplica, 0, "0/1FF");
        up(usReplica, 0, "0/100");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", token))).isEqualTo(primary);
        up(usReplica, 0, "0/200");
        assertThat(read(pref(Consistency.EVENTUAL, 0, "eu", token))).isEqualTo(usReplica);
        assertThat(read(pref(Consistency.STRONG, 0, "eu", token))).isEqualTo(primary);
    }

    @Test
    void aShardWithoutPrimaryIsUnavailable() {
        ShardMapSnapshot noPrimary = ShardMapSnapshot.of(7, List.of(euReplica));
        assertThatThrownBy(() -> selector.select(noPrimary, "s1", StatementKind.READ, ReadPreference.STRONG))
                .isInstanceOfSatisfying(ApiProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(503);
                    assertThat(p.retryAfterSeconds()).isNotNull();
                    assertThat(p.detail()).contains("shard s1 has no primary in shard map version 7");
                });
    }
}
