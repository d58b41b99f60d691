package io.fleetshard.standby;

import static io.fleetshard.standby.StandbyApplierPostgresIT.FAST;
import static io.fleetshard.standby.StandbyApplierPostgresIT.WAIT;
import static io.fleetshard.standby.StandbyApplierPostgresIT.awaitApplied;
import static io.fleetshard.standby.StandbyApplierPostgresIT.oneToN;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applier against a real MariaDB standby: datetimes converted from ISO instants, bulk batches, exactly once. */
class StandbyApplierMariaDbIT {
    @TempDir
    static Path dir;
    static MariaDbNode maria;

    @BeforeAll
    static void start() {
        maria = MariaDbNode.start(dir.resolve("maria"));
    }

    @AfterAll
    static void stop() {
        if (maria != null) {
            maria.close();
        }
    }

    String newStandby() throws Exception {
        String db = StandbyTestSupport.unique("sb");
        maria.createDatabase(db);
        String url = maria.jdbcUrl(db);
        StandbyTestSupport.createMariaDbSchema(url, true);
        return url;
    }

    StandbyApplier applier(InMemoryArchiveStore store, ShardArchivePath path, String url) {
        return new StandbyApplier(FAST, store, path, url, new SimpleMeterRegistry(), Clock.systemUTC());
    }

    @Test
    void convergesToExactlyTheArchivedRowsAndResumesAfterARestartApplyingNothingTwice() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("mdc"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(21);
        for (int i = 0; i < 15; i++) {
            archive.append(w.next(150), 1 + i % 2);
        }
        try (StandbyApplier a = applier(store, path, url)) {
            a.start();
            awaitApplied(a, 15);
        }
        List<String> expected = StandbyTestSupport.expected(url, w.after(15));
        assertThat(StandbyTestSupport.checksum(StandbyTestSupport.actual(url))).isEqualTo(StandbyTestSupport.checksum(expected));
        for (int i = 0; i < 10; i++) {
            archive.append(w.next(150), 2);
        }
        try (StandbyApplier a = applier(store, path, url)) {
            a.start();
            awaitApplied(a, 25);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(25)));
        assertThat(StandbyTestSupport.history(url)).as("each manifest applied exactly once").isEqualTo(oneToN(25));
        StandbyPosition p = StandbyTestSupport.position(url, path.shardId()).orElseThrow();
        assertThat(p.manifestSeq()).isEqualTo(25);
        assertThat(p.manifestSha256()).isEqualTo(archive.last().sha256());
    }

    @Test
    void stopsAtASegmentWithAFlippedBitNamingItAndAppliesNothingAfterIt() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("enhanced", StandbyTestSupport.unique("mdt"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(23);
        String tampered = null;
        for (int i = 1; i <= 6; i++) {
            StoredManifest m = archive.append(w.next(60), 1);
            if (i == 4) {
                tampered = m.manifest().segments().get(0).key();
            }
        }
        byte[] bytes = store.get(tampered).orElseThrow();
        bytes[20] ^= 0x01;
        store.replace(tampered, bytes);
        try (StandbyApplier a = applier(store, path, url)) {
            a.start();
            Await.condition("the applier to stop at the defect", WAIT, () -> a.status().state() == ApplierState.DEFECT);
            assertThat(a.status().defectObjectKey()).isEqualTo(tampered);
            assertThat(a.status().appliedSeq()).isEqualTo(3);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(3)));
        assertThat(StandbyTestSupport.history(url)).isEqualTo(oneToN(3));
    }
}
