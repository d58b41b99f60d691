package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MapSnapshotFileTest {

    @Test
    void roundTripsASnapshotAndItsOffset(@TempDir Path dir) {
        ShardMapSnapshot s = ShardMapSnapshot.of(9, List.of(new Tenant("acme", DurabilityTier.ENHANCED),
                new Fleet("acme", "f1", "s1"), Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.MYSQL, 32),
                new Node("n1", "s1", NodeRole.PRIMARY, "r1", "r1a", "jdbc:mysql://h:1/db")));
        Path file = dir.resolve("map.json");
        MapSnapshotFile.write(file, s, 1234);
        MapSnapshotFile.Loaded loaded = MapSnapshotFile.read(file).orElseThrow();
        assertThat(loaded.snapshot()).isEqualTo(s);
        assertThat(loaded.nextOffset()).isEqualTo(1234);
    }

    @Test
    void missingFileIsEmptyAndCorruptFileIsAClearError(@TempDir Path dir) throws Exception {
        assertThat(MapSnapshotFile.read(dir.resolve("none.json"))).isEmpty();
        Path bad = Files.writeString(dir.resolve("bad.json"), "{not json");
        assertThatThrownBy(() -> MapSnapshotFile.read(bad)).isInstanceOf(MapFormatException.class)
                .hasMessageContaining("bad.json");
    }
}
