package io.fleetshard.standby;

import static io.fleetshard.standby.StandbyApplierPostgresIT.FAST;
import static io.fleetshard.standby.StandbyApplierPostgresIT.WAIT;
import static io.fleetshard.standby.StandbyApplierPostgresIT.awaitApplied;
import static io.fleetshard.standby.StandbyApplierPostgresIT.oneToN;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.LocalKeyDirectory;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.SnapshotDescriptor;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applier on a real S3 API server: a SIGKILLed applier JVM resumes without loss or duplication; S3 down and back. */
class StandbyApplierS3IT {
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

    static String newStandby() throws Exception {
        String db = StandbyTestSupport.unique("sb");
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        StandbyTestSupport.createPostgresSchema(url, true);
        return url;
    }

    @Test
    void aSigkilledApplierJvmResumesWithNoLostAndNoDuplicatedManifest() throws Exception {
        int manifests = 120;
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("standard", StandbyTestSupport.unique("kill"));
        try (S3Server s3 = S3Server.start(dir.resolve("s3-kill"));
             S3ArchiveStore store = S3ArchiveStore.connect(s3.endpoint(), "us-east-1", S3Server.ACCESS_KEY,
                     S3Server.SECRET_KEY, "archive")) {
            store.ensureBucket();
            TestArchive archive = new TestArchive(store, path);
            Workload w = new Workload(41);
            for (int i = 0; i < manifests; i++) {
                archive.append(w.next(500), 2);
            }
            Process child = startChild(s3, path, url);
            long seqAtKill;
            try {
                Await.condition("the child applier is mid-archive", WAIT, () -> child.isAlive() && appliedSeq(url, path) >= 10);
                child.destroyForcibly(); // SIGKILL
                child.waitFor();
                seqAtKill = StandbyTestSupport.position(url, path.shardId()).orElseThrow().manifestSeq();
            } finally {
                child.destroyForcibly();
            }
            assertThat(StandbyTestSupport.history(url)).as("state at the kill is a manifest boundary").isEqualTo(oneToN(seqAtKill));
            try (StandbyApplier a = new StandbyApplier(FAST, store, path, url, new SimpleMeterRegistry(), Clock.systemUTC())) {
                a.start();
                awaitApplied(a, manifests);
            }
            System.out.printf("SIGKILL measurement: killed after manifest %d of %d; resumed and caught up%n", seqAtKill, manifests);
            assertThat(seqAtKill).isLessThan(manifests);
            assertThat(StandbyTestSupport.history(url)).as("each manifest applied exactly once").isEqualTo(oneToN(manifests));
            List<String> expected = StandbyTestSupport.expected(url, w.after(manifests));
            assertThat(StandbyTestSupport.checksum(StandbyTestSupport.actual(url))).isEqualTo(StandbyTestSupport.checksum(expected));
        }
    }

    @Test
    void backsOffWhileS3IsDownAndCatchesUpWhenItIsBack() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("enhanced", StandbyTestSupport.unique("s3down"));
        Path s3dir = dir.resolve("s3-down");
        S3Server s3 = S3Server.start(s3dir);
        int port = s3.endpoint().getPort();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (S3ArchiveStore store = S3ArchiveStore.connect(s3.endpoint(), "us-east-1", S3Server.ACCESS_KEY,
                S3Server.SECRET_KEY, "archive");
             StandbyApplier a = new StandbyApplier(FAST, store, path, url, registry, Clock.systemUTC())) {
            store.ensureBucket();
            TestArchive archive = new TestArchive(store, path);
            Workload w = new Workload(43);
            for (int i = 0; i < 3; i++) {
                archive.append(w.next(50), 1);
            }
            a.start();
            awaitApplied(a, 3);
            s3.close();
            Await.condition("the applier to back off while S3 is down", WAIT, () -> a.status().state() == ApplierState.RETRYING
                    && a.status().lastError().startsWith("archive-unavailable"));
            s3 = S3Server.start(s3dir, port);
            for (int i = 0; i < 3; i++) {
                archive.append(w.next(50), 1);
            }
            awaitApplied(a, 6);
            assertThat(registry.get("fleetshard.standby.errors").tag("kind", "archive-unavailable").counter().count()).isPositive();
            assertThat(StandbyTestSupport.history(url)).isEqualTo(oneToN(6));
            assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(6)));
        } finally {
            s3.close();
        }
    }

    @Test
    void sealedTenantRowsAreUnreadableInS3AppliedWithTheKeyAndAMissingKeyStopsTheApplier() throws Exception {
        String url = newStandby();
        ShardArchivePath path = new ShardArchivePath("platinum", StandbyTestSupport.unique("byok"));
        Path keyDir = dir.resolve("keys-" + path.shardId());
        LocalKeyDirectory.createKey(keyDir, "t1");
        ArchiveEncryption sealT1 = new ArchiveEncryption(false, Set.of("t1"), new LocalKeyDirectory(keyDir));
        Path s3dir = dir.resolve("s3-byok");
        try (S3Server s3 = S3Server.start(s3dir);
             S3ArchiveStore store = S3ArchiveStore.connect(s3.endpoint(), "us-east-1", S3Server.ACCESS_KEY,
                     S3Server.SECRET_KEY, "archive")) {
            store.ensureBucket();
            TestArchive archive = new TestArchive(store, path, sealT1);
            Workload w = new Workload(47);
            Set<String> t1Vins = new HashSet<>();
            Set<String> t2Vins = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                List<TestArchive.Change> changes = w.next(200);
                for (TestArchive.Change c : changes) {
                    Object vin = c.after() == null ? null : c.after().get("vin");
                    if (vin != null) {
                        ("t1".equals(c.key().get("tenant_id")) ? t1Vins : t2Vins).add(vin.toString());
                    }
                }
                archive.append(changes, 2);
            }
            assertThat(t1Vins).isNotEmpty();
            assertThat(ArchiveVerifier.verify(store, path, m -> { }).whole()).as("verify needs no tenant key").isTrue();

            try (StandbyApplier a = new StandbyApplier(FAST, store, ArchiveEncryption.readOnly(new LocalKeyDirectory(keyDir)),
                    path, url, new SimpleMeterRegistry(), Clock.systemUTC())) {
                a.start();
                awaitApplied(a, 3);
            }
            assertThat(StandbyTestSupport.actual(url)).isEqualTo(StandbyTestSupport.expected(url, w.after(3)));
            SnapshotDescriptor snapshot = new SnapshotWriter(store, path, FAST, sealT1, t -> false, Clock.systemUTC()).write(url);
            assertThat(snapshot.manifestSeq()).isEqualTo(3);

            String raw = rawSegments(s3.dataDir(), path);
            assertThat(raw).as("tenant t2 is not sealed: its VINs are in the clear").contains(t2Vins.iterator().next());
            for (String vin : t1Vins) {
                assertThat(raw).as("tenant t1's VIN " + vin + " must not be readable in the raw S3 objects (segments and "
                        + "snapshot rows)").doesNotContain(vin + "\"");
            }

            String restoredDb = StandbyTestSupport.unique("rs");
            pg.createDatabase(restoredDb);
            String restored = pg.jdbcUrl(restoredDb);
            StandbyTestSupport.createPostgresSchema(restored, false); // no history trigger: the snapshot brings its table
            RestoreSummary r = new PointInTimeRestore(store, FAST, ArchiveEncryption.readOnly(new LocalKeyDirectory(keyDir)),
                    Clock.systemUTC()).restore(path, restored, Long.MAX_VALUE, p -> { });
            assertThat(r.snapshotSeq()).as("restored from the sealed snapshot").isEqualTo(3);
            assertThat(StandbyTestSupport.actual(restored)).isEqualTo(StandbyTestSupport.expected(restored, w.after(3)));

            // to a time inside manifest 2: the stop falls inside tenant t1's sealed block of its first segment (ADR 0028)
            long t = Workload.BASE_MS + 2 * 1000 + 77;
            String cut = StandbyTestSupport.unique("rt");
            pg.createDatabase(cut);
            StandbyTestSupport.createPostgresSchema(pg.jdbcUrl(cut), false);
            RestoreSummary rt = new PointInTimeRestore(store, FAST, ArchiveEncryption.readOnly(new LocalKeyDirectory(keyDir)),
                    Clock.systemUTC()).restore(path, pg.jdbcUrl(cut), t, p -> { });
            assertThat(rt.snapshotSeq()).as("the snapshot is later than the time: from the archive alone").isZero();
            assertThat(rt.restoredToCommitTsMs()).isEqualTo(t);
            assertThat(StandbyTestSupport.actual(pg.jdbcUrl(cut)))
                    .isEqualTo(StandbyTestSupport.expected(pg.jdbcUrl(cut), Workload.at(47, 3, 200, t)));

            archive.append(w.next(50), 1);
            java.nio.file.Files.delete(keyDir.resolve("t1").resolve("1.key"));
            try (StandbyApplier a = new StandbyApplier(FAST, store, ArchiveEncryption.readOnly(new LocalKeyDirectory(keyDir)),
                    path, url, new SimpleMeterRegistry(), Clock.systemUTC())) {
                a.start();
                Await.condition("the applier to stop at the sealed segment whose key is gone", WAIT,
                        () -> a.status().state() == ApplierState.DEFECT);
                assertThat(a.status().lastError()).contains("key-unavailable").contains("tenant t1").contains("local:t1/1");
                assertThat(a.status().appliedSeq()).isEqualTo(3);
            }
            assertThat(StandbyTestSupport.history(url)).as("nothing of manifest 4 was applied").isEqualTo(oneToN(3));
        }
    }

    /** Every segment and snapshot row file of {@code path} as the S3 server stores it on disk, gunzipped, concatenated. */
    private static String rawSegments(Path s3Data, ShardArchivePath path) throws Exception {
        StringBuilder out = new StringBuilder();
        int files = 0;
        try (var walk = java.nio.file.Files.walk(s3Data)) {
            for (Path f : walk.filter(java.nio.file.Files::isRegularFile)
                    .filter(f -> f.toString().contains(path.shardId()) && f.toString().endsWith(".jsonl.gz")).toList()) {
                try (var in = new java.util.zip.GZIPInputStream(java.nio.file.Files.newInputStream(f))) {
                    out.append(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                }
                files++;
            }
        }
        assertThat(files).as("segment files under " + s3Data).isPositive();
        return out.toString();
    }

    private static long appliedSeq(String url, ShardArchivePath path) {
        try {
            return StandbyTestSupport.position(url, path.shardId()).map(StandbyPosition::manifestSeq).orElse(0L);
        } catch (java.sql.SQLException e) {
            return 0;
        }
    }

    private static Process startChild(S3Server s3, ShardArchivePath path, String url) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), StandbyApplierMain.class.getName(),
                s3.endpoint().toString(), "archive", path.tier(), path.shardId(), url);
        File log = Path.of("target", "child-applier-" + path.shardId() + ".log").toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    }
}
