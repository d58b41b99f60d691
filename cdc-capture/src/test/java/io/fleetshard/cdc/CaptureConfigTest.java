package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CaptureConfigTest {

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> CaptureConfig.fromMap(Map.of("kafka.bootstrap.servers", "k:9092",
                "poll.interval.ms", "0", "max.batch.size", "lots", "tabels", "vehicles")))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("unknown key 'tabels'")
                .hasMessageContaining("max.batch.size must be a number, got 'lots'");
        assertThatThrownBy(() -> CaptureConfig.fromMap(Map.of("kafka.bootstrap.servers", "k:9092", "poll.interval.ms", "0")))
                .hasMessageContaining("2 problems").hasMessageContaining("worker.id is required")
                .hasMessageContaining("poll.interval.ms must be between 1 and 60000, got 0");
    }

    @Test
    void masksPasswordsAndAppliesShardOverrides() {
        CaptureConfig c = CaptureConfig.fromMap(Map.of("kafka.bootstrap.servers", "k:9092", "worker.id", "w1",
                "db.password", "s3cret", "db.credentials.s7.user", "cdc7", "db.credentials.s7.password", "p7"));
        assertThat(c.toString()).doesNotContain("s3cret").contains("******");
        assertThat(c.credentialsFor("s7")).isEqualTo(new DbCredentials("cdc7", "p7"));
        assertThat(c.credentialsFor("other").user()).isEqualTo("fleetshard_cdc");
        assertThat(c.changeTopic("vehicles")).isEqualTo("fleetshard.cdc.vehicles");
    }

    @Test
    void readmeTableIsRenderedFromTheKeyDefinitions() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(CaptureConfig.markdownTable());
    }

    @Test
    void slotNamesAreValidPostgresIdentifiers() {
        assertThat(ConnectorSettings.slotName("EU-West.7")).isEqualTo("fleetshard_eu_west_7");
        assertThat(ConnectorSettings.slotName("x".repeat(100))).hasSizeLessThanOrEqualTo(63);
        assertThat(JdbcTarget.parse("jdbc:postgresql://10.0.0.5:6432/shard7?user=x"))
                .isEqualTo(new JdbcTarget("postgresql", "10.0.0.5", 6432, "shard7", java.util.Map.of("user", "x")));
    }
}
