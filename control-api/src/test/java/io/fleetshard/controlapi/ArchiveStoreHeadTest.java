package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link ArchiveStoreHead} on archive-format's in-memory store. */
class ArchiveStoreHeadTest {
    private final InMemoryArchiveStore store = new InMemoryArchiveStore();

    @Test
    void readsTheNewestManifestsLastSegment() {
        new TestArchive(store, new ShardArchivePath("standard", "pg-1")).append(3);

        LatestManifest m = new ArchiveStoreHead(store, "standard").latest("pg-1").orElseThrow();

        assertThat(m).isEqualTo(new LatestManifest("pg-1", 3, TestArchive.lastCommitTsMs(3),
                TestArchive.lastPosition(3), TestArchive.createdMs(3)));
    }

    @Test
    void anIdleShardsArchiveReachesAsFarAsTheWatermarkItsNewestManifestCarries() {
        long watermarkTs = TestArchive.lastCommitTsMs(2) + 600_000;
        new TestArchive(store, new ShardArchivePath("standard", "pg-1")).append(2)
                .watermark("0/9A00", watermarkTs, watermarkTs + 40);

        LatestManifest m = new ArchiveStoreHead(store, "standard").latest("pg-1").orElseThrow();

        assertThat(m).isEqualTo(new LatestManifest("pg-1", 3, watermarkTs, "0/9A00", watermarkTs + 40));
    }

    @Test
    void aShardWithoutManifestsOrInAnotherTierHasNone() {
        new TestArchive(store, new ShardArchivePath("platinum", "pg-1")).append(1);

        assertThat(new ArchiveStoreHead(store, "standard").latest("pg-1")).isEmpty();
        assertThat(new ArchiveStoreHead(store, "platinum").latest("pg-2")).isEmpty();
        assertThat(new ArchiveStoreHead(store, "platinum").latest("pg-1")).isPresent();
    }

    @Test
    void aNewestManifestThatIsNotOneIsADefect() {
        ShardArchivePath path = new ShardArchivePath("standard", "pg-1");
        new TestArchive(store, path).append(1);
        store.putIfAbsent(path.manifestKey(2), "{".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> new ArchiveStoreHead(store, "standard").latest("pg-1"))
                .isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining(path.manifestKey(2));
    }

    @Test
    void theTierMustBeAnArchiveTier() {
        assertThatThrownBy(() -> new ArchiveStoreHead(store, "gold"))
                .hasMessage("archive tier must be one of standard, enhanced, platinum, got 'gold'");
    }
}
