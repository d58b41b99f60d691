package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.iceberg.IcebergSinkOffload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffloadCommandTest {
    private static final Clock NOW = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void reportsEveryProblemAtOnce(@TempDir Path dir) {
        assertThatThrownBy(() -> OffloadCommand.plan(List.of("--older-than", "ninety days", "--batch-size", "-3",
                "--output", "yaml", "--data-dir", dir.toString(), "--colour"), NOW, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown argument --colour")
                .hasMessageContaining("--table is required")
                .hasMessageContaining("--older-than must be an age such as 90d, 36h or 30m")
                .hasMessageContaining("--batch-size must be a whole number >= 0, got '-3'")
                .hasMessageContaining("--output must be text or json")
                .hasMessageContaining("no --catalog-uri given and no dev platform with Iceberg tables in")
                .hasMessageContaining("usage: fleetshard offload");
    }

    @Test
    void theDevPlatformsShardsCatalogAndS3ByDefault(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("ports.properties"), "s3=40001\niceberg-catalog=40002\npg-1-a=40011\n"
                + "pg-2-a=40012\nmaria-1-a=40013\n");
        OffloadCommand.Plan plan = OffloadCommand.plan(List.of("--table", "telemetry", "--older-than", "90d",
                "--dry-run", "--rate", "5000", "--data-dir", dir.toString()), NOW, Map.of());
        assertThat(plan.request()).isEqualTo(new IcebergSinkOffload.Request("telemetry",
                Instant.parse("2026-09-07T12:00:00Z"), true, 1000, 5000));
        assertThat(plan.shards()).containsExactly(
                new IcebergSinkOffload.Shard("pg-1", "jdbc:postgresql://127.0.0.1:40011/fleet?user=postgres"),
                new IcebergSinkOffload.Shard("pg-2", "jdbc:postgresql://127.0.0.1:40012/fleet?user=postgres"),
                new IcebergSinkOffload.Shard("maria-1", "jdbc:mariadb://127.0.0.1:40013/fleet?user=root"));
        assertThat(plan.skippedShards()).isEmpty();
        assertThat(plan.catalog().catalogUri()).isEqualTo("jdbc:postgresql://127.0.0.1:40002/iceberg?user=postgres");
        assertThat(plan.json()).isFalse();
    }

    @Test
    void anotherDeploymentNamesItsShardsAndCatalog() {
        assertThatThrownBy(() -> OffloadCommand.plan(List.of("--table", "telemetry", "--older-than", "90d",
                "--catalog-uri", "jdbc:postgresql://db/iceberg", "--shard", "s1=jdbc:sqlserver://m/fleet"), NOW, Map.of()))
                .hasMessageContaining("--warehouse is required with --catalog-uri")
                .hasMessageContaining("shard s1: offload supports PostgreSQL and MariaDB/MySQL shards");
        OffloadCommand.Plan plan = OffloadCommand.plan(List.of("--table", "telemetry", "--older-than",
                "2026-09-01T00:00:00Z", "--catalog-uri", "jdbc:postgresql://db/iceberg", "--warehouse", "s3://lake/w",
                "--shard", "s1=jdbc:postgresql://a/fleet?user=u&password=p", "--shard", "s2=jdbc:postgresql://b/fleet",
                "--batch-size", "500", "--output", "json"), NOW, Map.of("FLEETSHARD_S3_SECRET_KEY", "secret"));
        assertThat(plan.request().olderThan()).isEqualTo(Instant.parse("2026-09-01T00:00:00Z"));
        assertThat(plan.request().batchSize()).isEqualTo(500);
        assertThat(plan.shards()).extracting(IcebergSinkOffload.Shard::id).containsExactly("s1", "s2");
        assertThat(plan.json()).isTrue();
    }

    @Test
    void agesCountBackFromNow() {
        assertThat(OffloadCommand.cutoff("36h", NOW)).isEqualTo(Instant.parse("2026-12-05T00:00:00Z"));
        assertThat(OffloadCommand.cutoff("30m", NOW)).isEqualTo(Instant.parse("2026-12-06T11:30:00Z"));
    }

    @Test
    void theJsonReportHasEveryBucketWithItsVerdict() {
        IcebergSinkOffload.Report r = new IcebergSinkOffload.Report("telemetry", Instant.parse("2026-09-01T00:00:00Z"),
                false, 42L, List.of(
                        new IcebergSinkOffload.Bucket("pg-1", "t1", "f1", LocalDate.parse("2026-08-01"), 10, "123", 10,
                                "123", "verified", null, 10, 0),
                        new IcebergSinkOffload.Bucket("pg-1", "t1", "f2", LocalDate.parse("2026-08-01"), 11, "9", 10,
                                "8", "failed", "1 of the shard's 11 rows are not in snapshot 42", 0, 0)),
                21, 10, 10, 1, 2.0);
        ObjectNode j = OffloadCommand.json(r);
        assertThat(j.get("ok").asBoolean()).isFalse();
        assertThat(j.get("deletedRows").asLong()).isEqualTo(10);
        assertThat(j.get("rowsPerSecond").asLong()).isEqualTo(5);
        assertThat(j.get("buckets").get(1).get("reason").asText()).startsWith("1 of the shard's 11 rows");
        assertThat(j.get("buckets").get(0).has("reason")).isFalse();
    }
}
