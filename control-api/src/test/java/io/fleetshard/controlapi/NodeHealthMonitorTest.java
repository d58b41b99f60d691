package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NodeHealthMonitorTest {
    private final InMemoryShardMap map = new InMemoryShardMap();
    private final Map<String, ProbeResult> results = new ConcurrentHashMap<>();
    private final List<String> probeOrder = new CopyOnWriteArrayList<>();
    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InMemoryStandbyPositionReader standbyPositions = new InMemoryStandbyPositionReader();
    private final NodeHealthMonitor monitor = new NodeHealthMonitor(map, (node, engine) -> {
        probeOrder.add(node.nodeId());
        return results.getOrDefault(node.nodeId(), ProbeResult.failed("refused", 1));
    }, standbyPositions, clock, pool, Duration.ofMillis(200), 3, registry,
            new GaugeScrapeLock());

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private void shard(String shardId, Engine engine, String... nodeIds) {
        List<io.fleetshard.shardmap.MapEntity> puts = new java.util.ArrayList<>();
        puts.add(Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, engine, 4));
        String scheme = engine == Engine.POSTGRES ? "jdbc:postgresql://h/" : "jdbc:mariadb://h/";
        for (int i = 0; i < nodeIds.length; i++) {
            puts.add(new Node(nodeIds[i], shardId, i == 0 ? NodeRole.PRIMARY : NodeRole.REPLICA, "r1", "r1a",
                    scheme + nodeIds[i]));
        }
        map.commit(map.current().version(), puts, List.of());
    }

    @Test
    void nodeNotProbedYetIsUnknown() {
        assertThat(monitor.health("n1")).isEqualTo(NodeHealth.UNKNOWN);
        assertThat(monitor.health("n1").status()).isEqualTo(HealthStatus.UNKNOWN);
    }

    @Test
    void failingNodeIsSuspectThenDownAfterTheThresholdAndUpAgainOnSuccess() throws Exception {
        shard("s1", Engine.POSTGRES, "p");
        monitor.probeRound();
        assertThat(monitor.health("p").status()).isEqualTo(HealthStatus.SUSPECT);
        monitor.probeRound();
        assertThat(monitor.health("p").status()).isEqualTo(HealthStatus.SUSPECT);
        monitor.probeRound();
        NodeHealth down = monitor.health("p");
        assertThat(down.status()).isEqualTo(HealthStatus.DOWN);
        assertThat(down.consecutiveFailures()).isEqualTo(3);
        assertThat(down.lastError()).isEqualTo("refused");

        results.put("p", ProbeResult.up(2));
        clock.now = Instant.parse("2025-01-01T00:00:05Z");
        monitor.probeRound();
        NodeHealth up = monitor.health("p");
        assertThat(up.status()).isEqualTo(HealthStatus.UP);
        assertThat(up.consecutiveFailures()).isZero();
        assertThat(up.lastError()).isNull();
        assertThat(up.lastSuccessAt()).isEqualTo(clock.now);
        assertThat(registry.get("fleetshard.node.up").tag("node", "p").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void postgresReplicaLagIsPrimaryPositionMinusReplayPositionAndZeroMsWhenCaughtUp() throws Exception {
        shard("s1", Engine.POSTGRES, "p", "behind", "caught-up");
        results.put("p", new ProbeResult(null, 1, false, PgLsn.parse("0/3000000"), null, null, null));
        results.put("behind", new ProbeResult(null, 1, true, PgLsn.parse("0/2000000"), PgLsn.parse("0/2800000"),
                750L, null));
        results.put("caught-up", new ProbeResult(null, 1, true, PgLsn.parse("0/3000000"), PgLsn.parse("0/3000000"),
                60_000L, null));

        monitor.probeRound();

        assertThat(monitor.health("behind").replicationLagBytes()).isEqualTo(0x1000000);
        assertThat(monitor.health("behind").replicationLagMs()).isEqualTo(750);
        assertThat(monitor.health("caught-up").replicationLagBytes()).isZero();
        assertThat(monitor.health("caught-up").replicationLagMs()).as("idle primary: no lag").isZero();
        assertThat(monitor.health("p").replicationLagBytes()).isNull();
        assertThat(registry.get("fleetshard.node.replication.lag.bytes").tag("node", "behind").gauge().value())
                .isEqualTo(0x1000000);
    }

    @Test
    void replicasAreReadBeforeTheirPrimary() throws Exception {
        shard("s1", Engine.POSTGRES, "p", "r1", "r2");
        monitor.probeRound();
        assertThat(probeOrder.indexOf("p")).isGreaterThan(probeOrder.indexOf("r1")).isGreaterThan(
                probeOrder.indexOf("r2"));
    }

    @Test
    void lagIsUnknownWhenThePrimaryCannotBeReached() throws Exception {
        shard("s1", Engine.POSTGRES, "p", "r");
        results.put("r", new ProbeResult(null, 1, true, PgLsn.parse("0/10"), PgLsn.parse("0/10"), 5L, null));

        monitor.probeRound();

        assertThat(monitor.health("r").status()).isEqualTo(HealthStatus.UP);
        assertThat(monitor.health("r").replicationLagBytes()).isNull();
        assertThat(monitor.health("r").replicationLagMs()).isNull();
        assertThat(registry.find("fleetshard.node.replication.lag.ms").tag("node", "r").gauge()).isNull();
    }

    @Test
    void mysqlReplicaLagIsWhatTheServerReports() throws Exception {
        shard("m1", Engine.MARIADB, "mp", "mr");
        results.put("mp", ProbeResult.up(1));
        results.put("mr", new ProbeResult(null, 1, null, null, null, null, 3000L));

        monitor.probeRound();

        assertThat(monitor.health("mr").replicationLagMs()).isEqualTo(3000);
        assertThat(monitor.health("mr").replicationLagBytes()).isNull();
    }

    @Test
    void hungProbeIsReportedAsFailedAndDoesNotBlockTheRoundForever() throws Exception {
        shard("s1", Engine.POSTGRES, "p");
        CountDownLatch never = new CountDownLatch(1);
        NodeHealthMonitor hanging = new NodeHealthMonitor(map, (node, engine) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ProbeResult.up(1);
        }, standbyPositions, clock, pool, Duration.ofMillis(50), 3, registry,
                new GaugeScrapeLock());

        hanging.probeRound();

        assertThat(hanging.health("p").status()).isEqualTo(HealthStatus.SUSPECT);
        assertThat(hanging.health("p").lastError()).isEqualTo("probe did not finish within 200 ms");
    }

    @Test
    void removedNodesDisappearFromHealthAndGauges() throws Exception {
        shard("s1", Engine.POSTGRES, "p", "r");
        monitor.probeRound();
        assertThat(registry.find("fleetshard.node.up").tag("node", "r").gauge()).isNotNull();

        map.commit(map.current().version(), List.of(), List.of(Node.keyOf("r")));
        monitor.probeRound();

        assertThat(monitor.health("r")).isEqualTo(NodeHealth.UNKNOWN);
        assertThat(registry.find("fleetshard.node.up").tag("node", "r").gauge()).isNull();
    }

    private void standbyShard(Engine engine) {
        String scheme = engine == Engine.POSTGRES ? "jdbc:postgresql://h/" : "jdbc:mariadb://h/";
        map.commit(map.current().version(), List.of(Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, engine, 4),
                new Node("p", "s1", NodeRole.PRIMARY, "r1", "r1a", scheme + "p"),
                new Node("r", "s1", NodeRole.REPLICA, "r1", "r1b", scheme + "r"),
                new Node("sb", "s1", NodeRole.STANDBY, "r2", "r2a", scheme + "sb")), List.of());
    }

    private static StandbyPosition position(String lastPosition, long lastCommitTsMs) {
        return new StandbyPosition("s1", 7, "ab".repeat(32), 420, lastPosition, lastCommitTsMs, lastCommitTsMs + 40);
    }

    @Test
    void standbyPositionsAreReadBeforeReplicasAndPrimariesAreProbed() throws Exception {
        standbyShard(Engine.POSTGRES);
        List<String> order = new CopyOnWriteArrayList<>();
        NodeHealthMonitor ordered = new NodeHealthMonitor(map, (node, engine) -> {
            order.add("probe " + node.nodeId());
            return ProbeResult.up(1);
        }, (node, engine) -> {
            order.add("read " + node.nodeId());
            return StandbyReading.nothingApplied(node.shardId());
        }, clock, pool, Duration.ofMillis(200), 3, registry,
            new GaugeScrapeLock());

        ordered.probeRound();

        assertThat(order.get(0)).isEqualTo("read sb");
        assertThat(order.indexOf("probe p")).isEqualTo(3);
    }

    @Test
    void postgresStandbyIsBehindByTheWalFromItsLastAppliedLsnToThePrimarysAndLagsByTheAgeOfThatChange()
            throws Exception {
        standbyShard(Engine.POSTGRES);
        long now = clock.now.toEpochMilli();
        results.put("p", new ProbeResult(null, 1, false, PgLsn.parse("0/3000000"), null, null, null));
        // a standby is a primary-mode server: its own WAL position says nothing about the shard's primary
        results.put("sb", new ProbeResult(null, 1, false, PgLsn.parse("5/0"), null, null, null));
        standbyPositions.put("sb", StandbyReading.of(position("0/2FFF000", now - 1500)));

        monitor.probeRound();

        StandbyStatus sb = monitor.standby("sb");
        assertThat(sb.reading().position().manifestSeq()).isEqualTo(7);
        assertThat(sb.behindBytes()).isEqualTo(0x1000);
        assertThat(sb.appliedLagMs(now)).isEqualTo(1500);
        assertThat(sb.readAt()).isEqualTo(clock.now);
        assertThat(monitor.health("sb").replicationLagBytes()).isEqualTo(0x1000);
        assertThat(monitor.health("sb").replicationLagMs()).isEqualTo(1500);
        assertThat(monitor.standby("r")).as("not a standby").isNull();

        clock.now = clock.now.plusSeconds(2);
        assertThat(registry.get("fleetshard.standby.applied.lag.ms").tag("shard", "s1").tag("node", "sb").gauge()
                .value()).as("the gauge ages between rounds").isEqualTo(3500);
    }

    @Test
    void standbyLagIsKnownWithoutBytesOnMariaDbAndWhenThePrimaryIsDown() throws Exception {
        standbyShard(Engine.MARIADB);
        long now = clock.now.toEpochMilli();
        results.put("sb", ProbeResult.up(1));
        standbyPositions.put("sb", StandbyReading.of(position("0-1-42@mariadb-bin.000003:1234#0", now - 2000)));

        monitor.probeRound();

        assertThat(monitor.standby("sb").behindBytes()).isNull();
        assertThat(monitor.standby("sb").appliedLagMs(now)).isEqualTo(2000);
    }

    @Test
    void anUnreadableStandbyKeepsItsErrorAndHasNoLagGauge() throws Exception {
        standbyShard(Engine.POSTGRES);
        results.put("sb", ProbeResult.up(1));
        standbyPositions.put("sb", StandbyReading.failed(StandbyReading.NOT_A_STANDBY));

        monitor.probeRound();

        assertThat(monitor.standby("sb").reading().error())
                .isEqualTo("not a FleetShard standby: no fleetshard_standby_position table");
        assertThat(monitor.health("sb").replicationLagMs()).isNull();
        assertThat(registry.find("fleetshard.standby.applied.lag.ms").tag("node", "sb").gauge()).isNull();
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends java.time.Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
