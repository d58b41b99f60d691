package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Kafka client security keys (ADR 0027) in capture's config and in Debezium's internal clients. */
class CaptureKafkaSecurityTest {
    private static final Map<String, String> KEYS = Map.of("kafka.bootstrap.servers", "b:9094", "worker.id", "w1",
            "db.user", "cdc", "kafka.security.protocol", "SSL", "kafka.ssl.endpoint.identification.algorithm", "");

    @Test
    void captureTakesTheKafkaSecurityKeysBesideItsOwn() {
        CaptureConfig config = CaptureConfig.fromMap(KEYS);
        assertThat(config.kafkaSecurity().clientProperties()).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.endpoint.identification.algorithm", "");
        assertThat(CaptureConfig.builder("b:9092", "w1").build().kafkaSecurity().clientProperties()).isEmpty();
    }

    @Test
    void aBadKafkaSecurityKeyIsReportedWithCapturesOwnProblems() {
        Map<String, String> bad = new java.util.HashMap<>(KEYS);
        bad.put("kafka.security.protocol", "TLS");
        bad.put("poll.interval.ms", "soon");
        assertThatThrownBy(() -> CaptureConfig.fromMap(bad)).hasMessageContaining("kafka.security.protocol must be one of")
                .hasMessageContaining("poll.interval.ms must be a number");
    }

    @Test
    void debeziumsOffsetStoreAndSchemaHistoryClientsGetThemUnderTheirPrefixes() {
        CaptureConfig config = CaptureConfig.fromMap(KEYS);
        Properties maria = ConnectorSettings.forShard(config, "s1", Engine.MARIADB, JdbcTarget.parse("jdbc:mariadb://h:3306/fleet"));
        assertThat(maria.getProperty("schema.history.internal.producer.security.protocol")).isEqualTo("SSL");
        assertThat(maria.getProperty("schema.history.internal.consumer.security.protocol")).isEqualTo("SSL");
        assertThat(maria.getProperty(ConnectorSettings.OFFSET_CLIENT_PREFIX + "security.protocol")).isEqualTo("SSL");
        Properties plain = ConnectorSettings.forShard(CaptureConfig.builder("b:9092", "w1").credentials("cdc", "")
                .build(), "s1", Engine.POSTGRES, JdbcTarget.parse("jdbc:postgresql://h/fleet"));
        assertThat(plain.stringPropertyNames()).noneMatch(k -> k.contains("security.protocol"));
    }
}
