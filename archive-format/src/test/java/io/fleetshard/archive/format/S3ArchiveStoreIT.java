package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 store against a real S3 API server (S3Proxy): write-once puts, ordered listings, misses. */
class S3ArchiveStoreIT {
    @TempDir
    static Path dir;
    static S3Server s3;
    static S3ArchiveStore store;

    @BeforeAll
    static void start() {
        s3 = S3Server.start(dir.resolve("s3"));
        store = new S3ArchiveStore(s3.newClient(), "archive-it");
        store.ensureBucket();
        store.ensureBucket();
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @Test
    void aSecondPutOfAKeyNeverOverwrites() {
        byte[] first = "first".getBytes(StandardCharsets.UTF_8);
        assertThat(store.putIfAbsent("a/once", first)).isEqualTo(ArchiveStore.PutOutcome.CREATED);
        assertThat(store.putIfAbsent("a/once", "second".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(ArchiveStore.PutOutcome.ALREADY_EXISTS);
        assertThat(store.get("a/once")).get().isEqualTo(first);
        assertThat(store.get("a/never")).isEmpty();
    }

    @Test
    void listsInKeyOrderAfterAKeyAcrossPages() {
        ShardArchivePath path = new ShardArchivePath("enhanced", "ls-1");
        for (int i = 1; i <= 1005; i += 1) {
            if (i <= 3 || i > 1000) {
                store.putIfAbsent(path.manifestKey(i), new byte[] {1});
            }
        }
        assertThat(store.list(path.manifestsPrefix(), null, 10)).extracting(ArchiveStore.StoredObject::key)
                .containsExactly(path.manifestKey(1), path.manifestKey(2), path.manifestKey(3), path.manifestKey(1001),
                        path.manifestKey(1002), path.manifestKey(1003), path.manifestKey(1004), path.manifestKey(1005));
        assertThat(store.list(path.manifestsPrefix(), path.manifestKey(3), 1)).extracting(ArchiveStore.StoredObject::key)
                .containsExactly(path.manifestKey(1001));
    }
}
