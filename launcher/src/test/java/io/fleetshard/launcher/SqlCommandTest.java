package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlCommandTest {
    @Test
    void reportsEveryProblemAtOnce(@TempDir Path dir) {
        assertThatThrownBy(() -> SqlCommand.engineProcess(List.of("--colour", "x", "--data-dir", dir.toString()),
                dir, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --colour")
                .hasMessageContaining("no --catalog-uri given and no dev platform with Iceberg tables in")
                .hasMessageContaining("the SQL engine is not built")
                .hasMessageContaining("usage: fleetshard sql");
    }

    @Test
    void queriesTheDevPlatformsCatalogAndS3WithTheKeysInTheEnvironmentNotOnTheCommandLine(@TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("dev");
        Files.createDirectories(data);
        Files.writeString(data.resolve("ports.properties"), "s3=40001\niceberg-catalog=40002\n");
        Path root = engineBuilt(dir);
        SqlCommand.EngineProcess p = SqlCommand.engineProcess(List.of("--data-dir", data.toString(), "--format", "tsv",
                "select", "count(*)", "from vehicles"), root, Map.of());
        assertThat(p.command()).contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", SqlCommand.ENGINE_MAIN)
                .containsSubsequence("--catalog-uri", "jdbc:postgresql://127.0.0.1:40002/iceberg?user=postgres",
                        "--warehouse", "s3://fleetshard-lake/warehouse", "--s3-endpoint", "http://127.0.0.1:40001",
                        "--format", "tsv", "select count(*) from vehicles")
                .doesNotContain(S3Server.SECRET_KEY);
        assertThat(p.command().get(p.command().indexOf("-cp") + 1)).startsWith(root.resolve("iceberg-sql/target/classes")
                + ":").endsWith("/spark.jar");
        assertThat(p.environment()).containsEntry("FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY);
    }

    @Test
    void anotherDeploymentNeedsItsWarehouseAndTakesItsKeysFromTheEnvironment(@TempDir Path dir) throws Exception {
        Path root = engineBuilt(dir);
        assertThatThrownBy(() -> SqlCommand.engineProcess(List.of("--catalog-uri", "jdbc:postgresql://db/iceberg",
                "select 1"), root, Map.of())).hasMessageContaining("--warehouse is required with --catalog-uri");
        SqlCommand.EngineProcess p = SqlCommand.engineProcess(List.of("--catalog-uri", "jdbc:postgresql://db/iceberg",
                "--warehouse", "s3://acme-analytics/fleetshard", "--region", "eu-west-1", "select 1"), root,
                Map.of("FLEETSHARD_S3_ACCESS_KEY", "k", "FLEETSHARD_S3_SECRET_KEY", "s", "OTHER", "x"));
        assertThat(p.command()).containsSubsequence("--catalog-uri", "jdbc:postgresql://db/iceberg", "--warehouse",
                "s3://acme-analytics/fleetshard", "--region", "eu-west-1", "select 1").doesNotContain("--s3-endpoint");
        assertThat(p.environment()).isEqualTo(Map.of("FLEETSHARD_S3_ACCESS_KEY", "k", "FLEETSHARD_S3_SECRET_KEY", "s"));
    }

    /** A repository root whose iceberg-sql module looks built. */
    private static Path engineBuilt(Path dir) throws Exception {
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("iceberg-sql/target/classes"));
        Files.writeString(root.resolve("iceberg-sql/target/classpath.txt"), "/m2/spark.jar\n");
        return root;
    }
}
