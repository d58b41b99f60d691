package io.fleetshard.standby;

import static io.fleetshard.standby.StandbyApplierPostgresIT.FAST;
import static io.fleetshard.standby.StandbyApplierPostgresIT.WAIT;
import static io.fleetshard.standby.StandbyApplierPostgresIT.awaitApplied;
import static io.fleetshard.standby.StandbyApplierPostgresIT.oneToN;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
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
