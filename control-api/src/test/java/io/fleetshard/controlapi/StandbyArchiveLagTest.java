package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.archive.format.ArchiveStoreUnavailableException;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The archive's side of {@code GET /v1/shards/{shardId}/standby}, over an in-memory archive head and scripted probes. */
class StandbyArchiveLagTest {
    private static final long NOW_MS = ApiHarness.NOW.toEpochMilli();

    private final InMemoryShardMap map = new InMemoryShardMap();
    private final Map<String, ProbeResult> probes = new ConcurrentHashMap<>();
    private final InMemoryStandbyPositionReader positions = new InMemoryStandbyPositionReader();
    private final InMemoryArchiveHead archive = new InMemoryArchiveHead();
    private final ApiHarness h = new ApiHarness(map, map,
            (n, engine) -> probes.getOrDefault(n.nodeId(), ProbeResult.failed("connection refused", 3)), positions,
            () -> null, Map.of(ControlApiConfig.PROBE_TIMEOUT_MS, "100"));

    @AfterEach
    void stop() {
        h.close();
    }

    private void shard(String shardId, Engine engine, NodeRole... roles) {
        List<MapEntity> puts = new ArrayList<>();
        puts.add(Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, engine, 4));
        String scheme = engine == Engine.POSTGRES ? "jdbc:postgresql://h/" : "jdbc:mariadb://h/";
        for (int i = 0; i < roles.length; i++) {
            String id = shardId + "-" + i;
            puts.add(new Node(id, shardId, roles[i], i == 0 ? "eu-west-1" : "us-east-1", "az" + i, scheme + id));
        }
        map.commit(map.current().version(), puts, List.of());
    }

    private void standbyAt(String nodeId, String shardId, long manifestSeq, String lastPosition, long lastCommitTsMs) {
        positions.put(nodeId, StandbyReading.of(new StandbyPosition(shardId, manifestSeq, "0f".repeat(32), 9000,
                lastPosition, lastCommitTsMs, lastCommitTsMs + 100)));
    }

    private JsonNode standbyBody(String shardId) {
        ApiHarness.Response r = h.get("/v1/shards/" + shardId + "/standby");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void reportsTheArchivesNewestManifestAndEachStandbysDistanceToIt() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        probes.put("s1-0", new ProbeResult(null, 1, false, PgLsn.parse("1/2000"), null, null, null));
        standbyAt("s1-1", "s1", 12, "1/1800", NOW_MS - 4200);
        archive.put(new LatestManifest("s1", 15, NOW_MS - 1000, "1/1C00", NOW_MS - 900));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode body = standbyBody("s1");

        JsonNode a = body.path("archive");
        assertThat(a.path("latestManifestSeq").asLong()).isEqualTo(15);
        assertThat(a.path("lastCommitTsMs").asLong()).isEqualTo(NOW_MS - 1000);
        assertThat(a.path("lastPosition").asText()).isEqualTo("1/1C00");
        assertThat(a.path("manifestCreatedMs").asLong()).isEqualTo(NOW_MS - 900);
        assertThat(a.path("readAt").asText()).isEqualTo(ApiHarness.NOW.toString());
        assertThat(a.path("behindBytes").asLong()).as("primary 1/2000 minus archive 1/1C00").isEqualTo(0x400);
        assertThat(a.has("error")).isFalse();
        JsonNode sb = body.path("standbys").get(0);
        assertThat(sb.path("manifestsBehind").asLong()).isEqualTo(3);
        assertThat(sb.path("archiveLagMs").asLong()).isEqualTo(3200);
        assertThat(sb.path("appliedLagMs").asLong()).isEqualTo(4200);
        assertThat(sb.path("behindBytes").asLong()).isEqualTo(0x800);
        assertThat(h.get("/metrics").body())
                .contains("fleetshard_archive_manifests_behind{node=\"s1-1\",shard=\"s1\"} 3.0");
    }

    @Test
    void anIdleShardsStandbyThatAppliedARecentWatermarkHasASmallLagNotTheAgeOfItsLastChange() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        // the last change is 11 minutes old, but capture's watermark of 3 s ago says nothing was committed since
        positions.put("s1-1", StandbyReading.of(new StandbyPosition("s1", 40, "0f".repeat(32), 9000, "1/1800",
                NOW_MS - 668_821, NOW_MS - 2_500, NOW_MS - 3_000)));
        archive.put(new LatestManifest("s1", 41, NOW_MS - 1_000, "1/1C00", NOW_MS - 900));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode sb = standbyBody("s1").path("standbys").get(0);

        assertThat(sb.path("lastCommitTsMs").asLong()).isEqualTo(NOW_MS - 668_821);
        assertThat(sb.path("watermarkTsMs").asLong()).isEqualTo(NOW_MS - 3_000);
        assertThat(sb.path("caughtUpTsMs").asLong()).isEqualTo(NOW_MS - 3_000);
        assertThat(sb.path("appliedLagMs").asLong()).isEqualTo(3_000);
        assertThat(sb.path("archiveLagMs").asLong()).as("archive through -1 s, standby through -3 s").isEqualTo(2_000);
    }

    @Test
    void aStandbyReadAheadOfTheArchiveIsNeverNegativelyBehind() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        standbyAt("s1-1", "s1", 13, "1/1800", NOW_MS - 1000);
        archive.put(new LatestManifest("s1", 12, NOW_MS - 2000, "1/1700", NOW_MS - 1900));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode sb = standbyBody("s1").path("standbys").get(0);

        assertThat(sb.path("manifestsBehind").asLong()).isZero();
        assertThat(sb.path("archiveLagMs").asLong()).isZero();
    }

    @Test
    void anArchiveThatCannotBeReadHasAnErrorAndTheStandbysNoDistance() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        standbyAt("s1-1", "s1", 12, "1/1800", NOW_MS - 4200);
        String failure = "S3 list of s3://fleetshard-archive/standard/s1/manifests/ failed (Unable to execute HTTP"
                + " request: Connection refused); retrying with backoff";
        archive.fail("s1", new ArchiveStoreUnavailableException(failure, new ConnectException("Connection refused")));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode body = standbyBody("s1");

        assertThat(body.path("archive").path("error").asText()).isEqualTo(failure);
        assertThat(body.path("archive").path("readAt").asText()).isEqualTo(ApiHarness.NOW.toString());
        assertThat(body.path("archive").has("latestManifestSeq")).isFalse();
        JsonNode sb = body.path("standbys").get(0);
        assertThat(sb.path("appliedManifestSeq").asLong()).as("the standby is still reported").isEqualTo(12);
        assertThat(sb.path("manifestsBehind").isNull()).isTrue();
        assertThat(sb.path("archiveLagMs").isNull()).isTrue();
        assertThat(h.get("/metrics").body()).doesNotContain("fleetshard_archive_manifests_behind{");
    }

    @Test
    void withoutAnArchiveTheArchiveIsNullAndStandbysHaveNoDistance() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY, NodeRole.STANDBY);
        standbyAt("s1-1", "s1", 12, "1/1800", NOW_MS - 4200);
        h.api.probeNow();

        JsonNode body = standbyBody("s1");

        assertThat(body.has("archive")).isTrue();
        assertThat(body.path("archive").isNull()).isTrue();
        JsonNode sb = body.path("standbys").get(0);
        assertThat(sb.path("appliedLagMs").asLong()).isEqualTo(4200);
        assertThat(sb.path("manifestsBehind").isNull()).isTrue();
        assertThat(sb.path("archiveLagMs").isNull()).isTrue();
    }

    @Test
    void anArchiveWithoutManifestsHasNullFigures() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY);
        probes.put("s1-0", new ProbeResult(null, 1, false, PgLsn.parse("1/2000"), null, null, null));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode a = standbyBody("s1").path("archive");

        assertThat(a.path("readAt").asText()).isEqualTo(ApiHarness.NOW.toString());
        assertThat(a.path("latestManifestSeq").isNull()).isTrue();
        assertThat(a.path("lastCommitTsMs").isNull()).isTrue();
        assertThat(a.path("behindBytes").isNull()).isTrue();
        assertThat(a.has("error")).isFalse();
    }

    @Test
    void aMariaDbArchiveHasNoByteDistance() throws Exception {
        shard("m1", Engine.MARIADB, NodeRole.PRIMARY, NodeRole.STANDBY);
        probes.put("m1-0", ProbeResult.up(1));
        String gtid = "0-1-42@mariadb-bin.000003:1234#0";
        standbyAt("m1-1", "m1", 7, gtid, NOW_MS - 10_000);
        archive.put(new LatestManifest("m1", 9, NOW_MS - 2500, "0-1-50@mariadb-bin.000003:9000#0", NOW_MS - 2000));
        h.api.attachArchive(archive);
        h.api.probeNow();

        JsonNode body = standbyBody("m1");

        assertThat(body.path("archive").path("latestManifestSeq").asLong()).isEqualTo(9);
        assertThat(body.path("archive").has("behindBytes")).isFalse();
        JsonNode sb = body.path("standbys").get(0);
        assertThat(sb.path("manifestsBehind").asLong()).isEqualTo(2);
        assertThat(sb.path("archiveLagMs").asLong()).isEqualTo(7500);
    }

    @Test
    void theArchiveIsReadInProbeRoundsOnlyNeverOnARequest() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY);
        archive.put(new LatestManifest("s1", 1, NOW_MS, "0/10", NOW_MS));
        h.api.attachArchive(archive);
        assertThat(standbyBody("s1").path("archive").path("error").asText()).startsWith("not read yet");

        h.api.probeNow();
        for (int i = 0; i < 3; i++) {
            assertThat(standbyBody("s1").path("archive").path("latestManifestSeq").asLong()).isEqualTo(1);
        }
        assertThat(archive.reads()).isEqualTo(1);

        archive.put(new LatestManifest("s1", 2, NOW_MS, "0/20", NOW_MS));
        assertThat(standbyBody("s1").path("archive").path("latestManifestSeq").asLong())
                .as("the last round's head until the next round").isEqualTo(1);
        h.api.probeNow();
        assertThat(standbyBody("s1").path("archive").path("latestManifestSeq").asLong()).isEqualTo(2);
    }

    @Test
    void aHungArchiveReadIsReportedAndDoesNotBlockTheRound() throws Exception {
        shard("s1", Engine.POSTGRES, NodeRole.PRIMARY);
        CountDownLatch never = new CountDownLatch(1);
        h.api.attachArchive(shardId -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        });

        h.api.probeNow();

        assertThat(standbyBody("s1").path("archive").path("error").asText())
                .isEqualTo("archive read did not finish within 400 ms");
    }

    @Test
    void anArchiveIsAttachedOnce() {
        h.api.attachArchive(archive);

        assertThatThrownBy(() -> h.api.attachArchive(new InMemoryArchiveHead()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("an archive is already attached to this control API");
    }
}
