package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MapRecordCodecTest {

    @Test
    void everyEntityRoundTripsWithItsVersion() {
        List<MapEntity> entities = List.of(
                new Tenant("acme", DurabilityTier.ENHANCED),
                new Fleet("acme", "f1", null),
                new Fleet("acme", "f2", "s9"),
                Shard.withDefaultTokens("s1", ShardStatus.DRAINING, Engine.MARIADB, 8),
                Shard.withDefaultTokens("s2", ShardStatus.ACTIVE, Engine.POSTGRES, 4).nextEpoch().nextEpoch(),
                new Node("n0", "s2", NodeRole.FENCED, "us-east-1", "us-east-1b", "jdbc:postgresql://h:2/db"),
                new Node("n1", "s1", NodeRole.SYNC_REPLICA, "us-east-1", "us-east-1a", "jdbc:mariadb://h:1/db"),
                new ReshardJob("rs-1", ReshardKind.SPLIT, "s1", "s2", List.of("acme/f1", "acme/f3"), List.of(-5L, 17L),
                        ReshardPhase.CATCHUP, 1234, 1_000, 2_000, true, "copied 10 rows"));
        for (MapEntity e : entities) {
            MapRecord r = MapRecordCodec.decode(e.entityKey(), MapRecordCodec.encode(42, e), 0);
            assertThat(r.entity()).isEqualTo(e);
            assertThat(r.version()).isEqualTo(42);
        }
    }

    @Test
    void nullValueIsATombstone() {
        MapRecord r = MapRecordCodec.decode("fleet:acme/f1", null, 7);
        assertThat(r.isTombstone()).isTrue();
        assertThat(r.version()).isEqualTo(7);
    }

    @Test
    void invalidRecordNamesTheKeyAndTheProblem() {
        byte[] bad = "{\"kind\":\"tenant\",\"version\":3,\"tenantId\":\"acme\",\"tier\":\"gold\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> MapRecordCodec.decode("tenant:acme", bad, 0))
                .isInstanceOf(MapFormatException.class)
                .hasMessageContaining("tenant:acme")
                .hasMessageContaining("'gold'");
    }
}
