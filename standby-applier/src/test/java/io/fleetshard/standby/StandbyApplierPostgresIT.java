package io.fleetshard.standby;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applier against a real PostgreSQL 17 standby: convergence, exactly once across restarts, stop at defects. */
class StandbyApplierPostgresIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final StandbyApplierConfig FAST = StandbyApplierConfig.builder()
            .set(StandbyApplierConfig.Key.POLL_INTERVAL_MS, 20)
            .set(StandbyApplierConfig.Key.RETRY_BACKOFF_MS, 20)
            .set(StandbyApplierConfig.Key.RETRY_BACKOFF_MAX_MS, 200)
            .set(StandbyApplierConfig.Key.BATCH_SIZE, 64)
            .build();

    @TempDir
    static Path dir;
    static PostgresNode pg;

    @BeforeAll
    static void start() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    String newStandby() throws Exception {
        String db = StandbyTestSupport.unique("sb");
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        StandbyTestSupport.createPostgresSchema(url, true);
        return url;
    }

    static StandbyApplier applier(InMemoryArchiveStore store, ShardArchivePath path, String url, SimpleMeterRegistry registry) {
        return new StandbyApplier(FAST, store, path, url, registry, Clock.systemUTC());
    }

    static void awaitApplied(StandbyApplier a, long seq) {
        Await.condition("the standby of " + a.shardId() + " to apply manifest " + seq + " (status " + a.status() + ")", WAIT,
                () -> a.status().appliedSeq() >= seq && a.status().state() == ApplierState.CAUGHT_UP);
    }

    static List<Long> oneToN(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    @Test
    void convergesToExactlyTheArchivedRowsAndStoresItsPosition() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgc"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(7);
        for (int i = 0; i < 20; i++) {
            archive.append(w.next(150), 1 + i % 3);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StandbyApplier a = applier(store, path, url, registry)) {
            a.start();
            awaitApplied(a, 20);
            for (int i = 0; i < 10; i++) {
                archive.append(w.next(150), 2);
            }
            awaitApplied(a, 30);
            StandbyStatus s = a.status();
            assertThat(s.archiveSeq()).isEqualTo(30);
            assertThat(s.lagMs()).isZero();
            assertThat(s.lastCommitTsMs()).isEqualTo(Workload.BASE_MS + 30 * 1000 + 149);
            assertThat(registry.get("fleetshard.standby.rows").tag("shard", path.shardId()).counter().count()).isEqualTo(30 * 150);
            assertThat(registry.get("fleetshard.standby.applied.seq").gauge().value()).isEqualTo(30);
        }
        List<String> expected = StandbyTestSupport.expected(url, w.after(30));
        List<String> actual = StandbyTestSupport.actual(url);
        assertThat(StandbyTestSupport.checksum(actual)).as("checksum of all rows").isEqualTo(StandbyTestSupport.checksum(expected));
        assertThat(actual).isEqualTo(expected);
        StandbyPosition p = StandbyTestSupport.position(url, path.shardId()).orElseThrow();
        assertThat(p.manifestSeq()).isEqualTo(30);
        assertThat(p.manifestSha256()).isEqualTo(archive.last().sha256());
        assertThat(p.nextOffset()).isEqualTo(archive.last().manifest().nextOffset());
        assertThat(StandbyTestSupport.history(url)).as("each manifest applied exactly once").isEqualTo(oneToN(30));
    }

    @Test
    void aWatermarkOnlyManifestMovesTheCaughtUpTimeNotTheLastAppliedChange() throws Exception {
        String url = newStandby();
        // a position table as appliers wrote it before ADR 0048: the applier adds the watermark column
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
                java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE fleetshard_standby_position (shard_id VARCHAR(128) PRIMARY KEY, manifest_seq BIGINT"
                    + " NOT NULL, manifest_sha256 CHAR(64) NOT NULL, next_offset BIGINT NOT NULL, last_position"
                    + " VARCHAR(200) NOT NULL, last_commit_ts_ms BIGINT NOT NULL, applied_at_ms BIGINT NOT NULL)");
        }
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgw"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(11);
        archive.append(w.next(20), 1);
        long lastEventTs = Workload.BASE_MS + 1000 + 19;
        long watermarkTs = lastEventTs + 600_000;
        archive.watermark(watermarkTs);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StandbyApplier a = applier(store, path, url, registry)) {
            a.start();
            awaitApplied(a, 2);
            StandbyStatus s = a.status();
            assertThat(s.lastCommitTsMs()).as("no event in the idle manifest").isEqualTo(lastEventTs);
            assertThat(s.caughtUpTsMs()).isEqualTo(watermarkTs);
            assertThat(registry.get("fleetshard.standby.rpo.ms").gauge().value())
                    .isCloseTo(System.currentTimeMillis() - watermarkTs, org.assertj.core.data.Offset.offset(60_000.0));
        }
        StandbyPosition p = StandbyTestSupport.position(url, path.shardId()).orElseThrow();
        assertThat(p.manifestSeq()).isEqualTo(2);
        assertThat(p.lastCommitTsMs()).isEqualTo(lastEventTs);
        assertThat(p.watermarkTsMs()).isEqualTo(watermarkTs);
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(1)));
    }

    @Test
    void resumesAfterARestartFromItsStoredPositionApplyingNothingTwice() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("enhanced", StandbyTestSupport.unique("pgr"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(11);
        for (int i = 0; i < 8; i++) {
            archive.append(w.next(100), 1);
        }
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            awaitApplied(a, 8);
        }
        for (int i = 0; i < 8; i++) {
            archive.append(w.next(100), 2);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(8)));
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            awaitApplied(a, 16);
        }
        assertThat(StandbyTestSupport.history(url)).as("each manifest applied exactly once").isEqualTo(oneToN(16));
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(16)));
    }

    @Test
    void stopsAtASegmentWithAFlippedBitNamingItAndAppliesNothingAfterIt() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgt"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(3);
        String tampered = null;
        for (int i = 1; i <= 8; i++) {
            StoredManifest m = archive.append(w.next(50), 2);
            if (i == 5) {
                tampered = m.manifest().segments().get(1).key();
            }
        }
        byte[] bytes = store.get(tampered).orElseThrow();
        bytes[bytes.length / 2] ^= 0x10;
        store.replace(tampered, bytes);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StandbyApplier a = applier(store, path, url, registry)) {
            a.start();
            Await.condition("the applier to stop at the defect", WAIT, () -> a.status().state() == ApplierState.DEFECT);
            StandbyStatus s = a.status();
            assertThat(s.defectObjectKey()).isEqualTo(tampered);
            assertThat(s.lastError()).contains("checksum-mismatch").contains(tampered);
            assertThat(s.appliedSeq()).isEqualTo(4);
            assertThat(registry.get("fleetshard.standby.errors").tag("kind", "defect").counter().count()).isEqualTo(1);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(4)));
        assertThat(StandbyTestSupport.history(url)).isEqualTo(oneToN(4));
        assertThat(StandbyTestSupport.position(url, path.shardId()).orElseThrow().manifestSeq()).isEqualTo(4);
    }

    @Test
    void stopsAtADeletedManifestNamingIt() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("platinum", StandbyTestSupport.unique("pgd"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(5);
        for (int i = 1; i <= 6; i++) {
            archive.append(w.next(40), 1);
        }
        store.replace(path.manifestKey(4), null);
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            Await.condition("the applier to stop at the missing manifest", WAIT, () -> a.status().state() == ApplierState.DEFECT);
            assertThat(a.status().defectObjectKey()).isEqualTo(path.manifestKey(4));
            assertThat(a.status().lastError()).contains("missing-manifest");
            assertThat(a.status().appliedSeq()).isEqualTo(3);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(3)));
        assertThat(StandbyTestSupport.history(url)).isEqualTo(oneToN(3));
    }

    @Test
    void stopsAtAManifestThatBreaksTheHashChain() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgb"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(9);
        for (int i = 1; i <= 5; i++) {
            archive.append(w.next(40), 1);
        }
        Manifest m3 = ManifestParser.parse("k", store.get(path.manifestKey(3)).orElseThrow());
        Manifest forged = new Manifest(m3.shard(), m3.tier(), m3.topic(), 3, "ab".repeat(32), m3.segments(), m3.nextOffset(),
                m3.createdMs(), "forger");
        store.replace(path.manifestKey(3), ManifestParser.toBytes(forged));
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            Await.condition("the applier to stop at the broken link", WAIT, () -> a.status().state() == ApplierState.DEFECT);
            assertThat(a.status().defectObjectKey()).isEqualTo(path.manifestKey(3));
            assertThat(a.status().lastError()).contains("broken-chain");
            assertThat(a.status().appliedSeq()).isEqualTo(2);
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(2)));
    }

    @Test
    void refusesToResumeWhenTheArchivesManifestIsNotTheOneItApplied() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgs"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(13);
        for (int i = 1; i <= 3; i++) {
            archive.append(w.next(20), 1);
        }
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            awaitApplied(a, 3);
        }
        Manifest m3 = ManifestParser.parse("k", store.get(path.manifestKey(3)).orElseThrow());
        store.replace(path.manifestKey(3), ManifestParser.toBytes(new Manifest(m3.shard(), m3.tier(), m3.topic(), 3,
                m3.previousSha256(), m3.segments(), m3.nextOffset(), m3.createdMs() + 1, "rewriter")));
        try (StandbyApplier a = applier(store, path, url, new SimpleMeterRegistry())) {
            a.start();
            Await.condition("the applier to refuse the rewritten manifest", WAIT, () -> a.status().state() == ApplierState.DEFECT);
            assertThat(a.status().defectObjectKey()).isEqualTo(path.manifestKey(3));
            assertThat(a.status().lastError()).contains("the standby applied a manifest 3 with SHA-256");
        }
    }

    @Test
    void waitsForAMissingStandbyTableAndThenApplies() throws Exception {
        String db = StandbyTestSupport.unique("sbm");
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("pgm"));
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(17);
        archive.append(w.next(30), 1);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StandbyApplier a = applier(store, path, url, registry)) {
            a.start();
            Await.condition("the applier to report the missing table", WAIT, () -> a.status().state() == ApplierState.RETRYING
                    && a.status().lastError() != null && a.status().lastError().contains("does not exist in the database"));
            StandbyTestSupport.createPostgresSchema(url, false);
            awaitApplied(a, 1);
            assertThat(registry.get("fleetshard.standby.errors").tag("kind", "standby-schema").counter().count()).isPositive();
        }
        assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(1)));
        assertThat(StandbyTestSupport.position(url, path.shardId()).orElseThrow().manifestSeq()).isEqualTo(1);
    }
}
