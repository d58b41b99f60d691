package io.fleetshard.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IcebergSinkConfigTest {
    private static IcebergSinkConfig.Builder valid() {
        return IcebergSinkConfig.builder("k:9092", "s3://lake/warehouse")
                .set(IcebergSinkConfig.Key.CATALOG_URI, "jdbc:postgresql://db:5432/iceberg");
    }

    @Test
    void defaultsCommitEveryTenSecondsWithoutHistory() {
        IcebergSinkConfig c = valid().build();
        assertThat(c.commitIntervalMs()).isEqualTo(10_000);
        assertThat(c.historyEnabled()).isFalse();
        assertThat(c.tables()).containsExactly("vehicles", "telemetry");
        assertThat(c.topicOf("telemetry")).isEqualTo("fleetshard.cdc.telemetry");
        assertThat(c.catalogType()).isEqualTo("jdbc");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> IcebergSinkConfig.fromMap(Map.of(
                "warehouse", "/tmp/x",
                "commit.interval.ms", "60001",
                "catalog.type", "hive",
                "tables", "vehicles,Bad-Name",
                "history.enabled", "yes",
                "comit.interval.ms", "5")))
                .isInstanceOf(IcebergSinkException.class)
                .hasMessageStartingWith("invalid iceberg-sink configuration (7 problems): ")
                .hasMessageContaining("unknown key 'comit.interval.ms'")
                .hasMessageContaining("history.enabled must be true or false, got 'yes'")
                .hasMessageContaining("kafka.bootstrap.servers is required")
                .hasMessageContaining("tables: 'Bad-Name' is not a table name")
                .hasMessageContaining("catalog.type must be jdbc or glue, got 'hive'")
                .hasMessageContaining("warehouse must be an s3://bucket[/path] location, got '/tmp/x'")
                .hasMessageContaining("commit.interval.ms must be between 100 and 60000, got 60001");
    }

    @Test
    void maintenanceRunsHourlyByDefaultCanBeTurnedOffAndKeepsOrphansForAtLeastAnHour() {
        IcebergSinkConfig c = valid().build();
        assertThat(c.maintenanceIntervalMs()).isEqualTo(3_600_000);
        assertThat(c.targetFileSizeBytes()).isEqualTo(128L << 20);
        assertThat(c.minInputFiles()).isEqualTo(5);
        assertThat(c.snapshotMaxAgeMs()).isEqualTo(3_600_000);
        assertThat(c.snapshotRetainLast()).isEqualTo(10);
        assertThat(c.orphanMinAgeMs()).isEqualTo(86_400_000);
        assertThat(valid().set(IcebergSinkConfig.Key.MAINTENANCE_INTERVAL_MS, 0).build().toString())
                .contains("maintenance=off");
        assertThatThrownBy(() -> valid().set(IcebergSinkConfig.Key.MAINTENANCE_INTERVAL_MS, 500)
                .set(IcebergSinkConfig.Key.ORPHAN_MIN_AGE_MS, 60_000)
                .set(IcebergSinkConfig.Key.MIN_INPUT_FILES, 1)
                .set(IcebergSinkConfig.Key.TARGET_FILE_SIZE_BYTES, 10).build())
                .hasMessageContaining("(4 problems)")
                .hasMessageContaining("maintenance.interval.ms must be between 1000 and 86400000, got 500")
                .hasMessageContaining("maintenance.orphan.min.age.ms must be between 3600000 and 2592000000, got 60000")
                .hasMessageContaining("maintenance.min.input.files must be between 2 and 10000, got 1")
                .hasMessageContaining("maintenance.target.file.size.bytes must be between 1024 and 2147483648, got 10");
    }

    @Test
    void theJdbcCatalogNeedsItsUrlAndGlueDoesNot() {
        assertThatThrownBy(() -> IcebergSinkConfig.builder("k:9092", "s3://lake/w").build())
                .hasMessageContaining("catalog.uri must be a JDBC URL (jdbc:...) for catalog.type=jdbc");
        IcebergSinkConfig glue = IcebergSinkConfig.builder("k:9092", "s3://lake/w")
                .set(IcebergSinkConfig.Key.CATALOG_TYPE, "glue").build();
        assertThat(glue.icebergCatalogProperties())
                .containsEntry("catalog-impl", "org.apache.iceberg.aws.glue.GlueCatalog")
                .containsEntry("io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
                .doesNotContainKey("uri");
    }

    @Test
    void catalogPropertiesPassThroughAndSecretsAreMasked() {
        IcebergSinkConfig c = IcebergSinkConfig.fromMap(Map.of(
                "kafka.bootstrap.servers", "k:9092",
                "warehouse", "s3://lake/w",
                "catalog.uri", "jdbc:postgresql://db/iceberg?user=sink&password=pw42",
                "catalog.property.s3.endpoint", "http://127.0.0.1:9000",
                "catalog.property.s3.secret-access-key", "hunter2",
                "catalog.property.http-client.type", "urlconnection"));

        assertThat(c.icebergCatalogProperties())
                .containsEntry("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog")
                .containsEntry("uri", "jdbc:postgresql://db/iceberg?user=sink&password=pw42")
                .containsEntry("jdbc.schema-version", "V1")
                .containsEntry("warehouse", "s3://lake/w")
                .containsEntry("s3.endpoint", "http://127.0.0.1:9000")
                .containsEntry("http-client.type", "urlconnection");
        assertThat(c.toString()).contains("s3.secret-access-key=******").doesNotContain("hunter2")
                .contains("iceberg?user=sink&password=******").doesNotContain("pw42");
    }

    @Test
    void aTableNamedTwiceOrLikeAHistoryTableIsRefused() {
        assertThatThrownBy(() -> valid().set(IcebergSinkConfig.Key.TABLES, "vehicles,vehicles,x_history").build())
                .hasMessageContaining("tables names a table twice")
                .hasMessageContaining("'x_history' is not a table name");
        assertThat(valid().set(IcebergSinkConfig.Key.TABLES, " trips , vehicles ").build().tables())
                .isEqualTo(List.of("trips", "vehicles"));
    }

    @Test
    void theGlueCatalogAndS3FileIoLoadFromTheSinksClasspath() throws Exception {
        IcebergSinkConfig glue = IcebergSinkConfig.builder("k:9092", "s3://lake/w")
                .set(IcebergSinkConfig.Key.CATALOG_TYPE, "glue")
                .catalogProperty("client.region", "eu-west-1").build();
        org.apache.iceberg.catalog.Catalog catalog = IcebergSink.catalogOf(glue); // builds clients, calls nothing
        try {
            assertThat(catalog).isInstanceOf(org.apache.iceberg.aws.glue.GlueCatalog.class);
            assertThat(catalog.name()).isEqualTo("fleetshard");
        } finally {
            ((java.io.Closeable) catalog).close();
        }
    }

    @Test
    void theReadmeTableIsTheOneTheKeysDefine() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(IcebergSinkConfig.markdownTable());
    }
}
