package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.S3Server;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The archive's side of the standby endpoint against a real S3 API server (S3Proxy), with manifests written through
 * archive-format's classes. Each test has a shard id of its own.
 */
class ArchiveStoreHeadIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    static Path dir;
    static S3Server s3;
    static S3ArchiveStore store;

    @BeforeAll
    static void start() {
        s3 = S3Server.start(dir.resolve("s3"));
        store = new S3ArchiveStore(s3.newClient(), "control-api-it");
        store.ensureBucket();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static String shardId() {
        return "arch-" + SEQ.incrementAndGet();
    }

    @Test
    void readsTheNewestManifestFromS3() {
        String shard = shardId();
        new TestArchive(store, new ShardArchivePath("enhanced", shard)).append(4);

        assertThat(new ArchiveStoreHead(store, "enhanced").latest(shard)).contains(new LatestManifest(shard, 4,
                TestArchive.lastCommitTsMs(4), TestArchive.lastPosition(4), TestArchive.createdMs(4)));
        assertThat(new ArchiveStoreHead(store, "standard").latest(shard)).isEmpty();
    }

    @Test
    void theEndpointFollowsTheArchiveAttachedAfterStart() {
        String shard = shardId();
        ShardArchivePath path = new ShardArchivePath("platinum", shard);
        TestArchive archive = new TestArchive(store, path).append(2);
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(Shard.withDefaultTokens(shard, ShardStatus.ACTIVE, Engine.POSTGRES, 4),
                new Node(shard + "-p", shard, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", "jdbc:postgresql://h/p"),
                new Node(shard + "-sb", shard, NodeRole.STANDBY, "us-east-1", "us-east-1a", "jdbc:postgresql://h/sb")),
                List.of());
        InMemoryStandbyPositionReader positions = new InMemoryStandbyPositionReader().put(shard + "-sb",
                StandbyReading.of(new StandbyPosition(shard, 1, "ab".repeat(32), 3, TestArchive.lastPosition(1),
                        TestArchive.lastCommitTsMs(1), TestArchive.lastCommitTsMs(1) + 10)));
        ControlApi api = new ControlApi(ApiHarness.config(Map.of(ControlApiConfig.PROBE_INTERVAL_MS, "200",
                ControlApiConfig.PROBE_TIMEOUT_MS, "150", ControlApiConfig.ARCHIVE_TIER, "platinum")), map, map,
                Clock.systemUTC(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                (node, engine) -> new ProbeResult(null, 1, false, PgLsn.parse("0/5000"), null, null, null), positions,
                () -> null);
        try (ApiHarness h = new ApiHarness(api.start())) {
            assertThat(h.get("/v1/shards/" + shard + "/standby").json().path("archive").isNull()).isTrue();

            api.attachArchive(store);
            Await.condition("manifest 2 reported", WAIT, () -> archiveOf(h, shard).path("latestManifestSeq")
                    .asLong() == 2);
            archive.append(1);
            Await.condition("manifest 3 reported", WAIT, () -> archiveOf(h, shard).path("latestManifestSeq")
                    .asLong() == 3);

            JsonNode body = h.get("/v1/shards/" + shard + "/standby").json();
            JsonNode a = body.path("archive");
            assertThat(a.path("lastCommitTsMs").asLong()).isEqualTo(TestArchive.lastCommitTsMs(3));
            assertThat(a.path("lastPosition").asText()).isEqualTo(TestArchive.lastPosition(3));
            assertThat(a.path("manifestCreatedMs").asLong()).isEqualTo(TestArchive.createdMs(3));
            assertThat(a.path("behindBytes").asLong()).as("0/5000 minus 0/3000").isEqualTo(0x2000);
            JsonNode sb = body.path("standbys").get(0);
            assertThat(sb.path("manifestsBehind").asLong()).isEqualTo(2);
            assertThat(sb.path("archiveLagMs").asLong()).isEqualTo(2000);
            assertThat(h.get("/metrics").body()).contains("fleetshard_archive_manifests_behind{node=\"" + shard
                    + "-sb\",shard=\"" + shard + "\"} 2.0");
        }
    }

    @Test
    void aBucketThatDoesNotExistIsTheArchivesError() throws InterruptedException {
        String shard = shardId();
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(Shard.withDefaultTokens(shard, ShardStatus.ACTIVE, Engine.MARIADB, 4),
                new Node(shard + "-p", shard, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", "jdbc:mariadb://h/p")),
                List.of());
        try (S3Client client = s3.newClient();
                ApiHarness h = new ApiHarness(map, map, (node, engine) -> ProbeResult.up(1), () -> null, Map.of())) {
            S3ArchiveStore missing = new S3ArchiveStore(client, "no-such-bucket-" + SEQ.incrementAndGet());
            h.api.attachArchive(missing);
            h.api.probeNow();

            assertThat(archiveOf(h, shard).path("error").asText())
                    .contains("S3 list of s3://" + missing.bucket() + "/standard/" + shard + "/manifests/")
                    .contains("refused (404 NoSuchBucket)");
        }
    }

    private static JsonNode archiveOf(ApiHarness h, String shard) {
        return h.get("/v1/shards/" + shard + "/standby").json().path("archive");
    }
}
