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
}
