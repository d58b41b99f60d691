package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.DynamoDbLocal;
import io.fleetshard.testkit.SharedKafka;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbMapMirrorIT {
    private static DynamoDbLocal dynamo;
    private static DynamoDbClient client;

    @BeforeAll
    static void start() {
        dynamo = DynamoDbLocal.start();
        client = dynamo.newClient();
    }

    @AfterAll
    static void stop() {
        client.close();
        dynamo.close();
    }

    private static DynamoDbMapMirror newMirror() {
        DynamoDbMapMirror mirror = new DynamoDbMapMirror(client, "shardmap-" + UUID.randomUUID());
        mirror.ensureTable();
        return mirror;
    }

    @Test
    void anOlderVersionNeverOverwritesANewerOne() {
        DynamoDbMapMirror mirror = newMirror();
        Tenant platinum = new Tenant("acme", DurabilityTier.PLATINUM);
        assertThat(mirror.put(MapRecord.put(5, platinum))).isTrue();
        assertThat(mirror.put(MapRecord.put(3, new Tenant("acme", DurabilityTier.STANDARD)))).isFalse();
        assertThat(mirror.put(MapRecord.put(5, new Tenant("acme", DurabilityTier.STANDARD)))).isFalse();
        assertThat(mirror.readAll()).extracting(MapRecord::entity).containsExactly(platinum);
    }

    @Test
    void aTombstoneHidesTheEntityAndStillOrdersLaterWrites() {
        DynamoDbMapMirror mirror = newMirror();
        mirror.apply(List.of(MapRecord.put(2, new Fleet("acme", "f1", null))));
        mirror.apply(List.of(new MapRecord(Fleet.keyOf("acme", "f1"), 4, null)));
        assertThat(mirror.readAll()).isEmpty();
        mirror.apply(List.of(MapRecord.put(3, new Fleet("acme", "f1", "s2")))); // late replay of an older change
        assertThat(mirror.readAll()).isEmpty();
        mirror.apply(List.of(MapRecord.put(6, new Fleet("acme", "f1", "s3"))));
        assertThat(mirror.readAll()).extracting(MapRecord::entity).containsExactly(new Fleet("acme", "f1", "s3"));
    }

    @Test
    void followerTransactionsReachTheMirror() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        ShardMapLogConfig log = ShardMapLogConfig.defaults(SharedKafka.get().bootstrapServers())
                .withTopic("shardmap-mirror-" + suffix).withTransactionalId("shardmap-mirror-writer-" + suffix);
        DynamoDbMapMirror mirror = newMirror();
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                MapMirrorSync sync = MapMirrorSync.attach(follower, mirror);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v = writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                    new Fleet("acme", "f1", null)), List.of());
            v = writer.commit(v, List.of(new Fleet("acme", "f2", null)), List.of(Fleet.keyOf("acme", "f1")));
            long last = v;
            Await.condition("mirror to reach map version " + last, Duration.ofSeconds(20),
                    () -> sync.mirroredVersion() >= last);
            assertThat(sync.mirroredVersion()).isEqualTo(v);
            assertThat(mirror.readAll()).extracting(r -> r.entity().entityKey())
                    .containsExactlyInAnyOrder("tenant:acme", "fleet:acme/f2");
        }
    }

    /**
     * A process that starts without a snapshot file serves the mirror's map while Kafka cannot be reached, and the
     * log's map once it can: the mirror here is behind (it holds v1 in part, without fleet f1, and
     * still has f9, deleted at v2), so the log's map must replace the mirror's, not be applied over it. A sync attached afterwards
     * brings the mirror to the log's map.
     */
    @Test
    void aFollowerStartsFromTheMirrorAndThenServesTheLogsMap() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        ShardMapLogConfig log = ShardMapLogConfig.defaults(SharedKafka.get().bootstrapServers())
                .withTopic("shardmap-boot-" + suffix).withTransactionalId("shardmap-boot-writer-" + suffix);
        try (ShardMapFollower follower = ShardMapFollower.start(log, null);
                ShardMapWriter writer = ShardMapWriter.open(log, follower)) {
            long v = writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                    new Fleet("acme", "f1", null), new Fleet("acme", "f9", null)), List.of());
            assertThat(writer.commit(v, List.of(new Fleet("acme", "f2", null)), List.of(Fleet.keyOf("acme", "f9"))))
                    .isEqualTo(2);
        }
        DynamoDbMapMirror mirror = newMirror();
        mirror.apply(List.of(MapRecord.put(1, new Tenant("acme", DurabilityTier.STANDARD)),
                MapRecord.put(1, new Fleet("acme", "f9", null)))); // v1 in part (no f1), v2 not at all

        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        ShardMapLogConfig unreachable = ShardMapLogConfig.defaults("127.0.0.1:" + closedPort).withTopic(log.topic());
        try (ShardMapFollower cold = ShardMapFollower.start(unreachable, null, mirror)) {
            assertThat(cold.current().version()).as("the mirror's version, served at once").isEqualTo(1);
            assertThat(cold.current().fleet("acme", "f9")).as("the mirror's fleets").isPresent();
            assertThat(cold.notReadyReason()).as("a map to serve, stale").isNull();
            assertThat(cold.hasCaughtUp()).isFalse();
        }

        List<ShardMapSnapshot> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ShardMapFollower warm = ShardMapFollower.start(log, null, mirror)) {
            warm.addListener(seen::add);
            assertThat(warm.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            ShardMapSnapshot map = warm.current();
            assertThat(map.version()).isEqualTo(2);
            assertThat(map.fleet("acme", "f1")).as("of v1, which the mirror has in part").isPresent();
            assertThat(map.fleet("acme", "f2")).as("of v2").isPresent();
            assertThat(map.fleet("acme", "f9")).as("deleted in the log").isEmpty();
            assertThat(seen).as("listeners get the log's map").isNotEmpty();
            assertThat(seen.get(seen.size() - 1).fleet("acme", "f2")).isPresent();

            // the map's writer keeps the mirror: attached late, it still brings the whole mirror to the map
            try (MapMirrorSync sync = MapMirrorSync.attach(warm, mirror)) {
                Await.condition("mirror brought to map version 2", Duration.ofSeconds(20),
                        () -> sync.mirroredVersion() >= 2);
                assertThat(mirror.readAll()).extracting(r -> r.entity().entityKey())
                        .containsExactlyInAnyOrder("tenant:acme", "fleet:acme/f1", "fleet:acme/f2");
            }
        }
    }
}
