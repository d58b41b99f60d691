package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TailCommandTest {
    @Test
    void aPlatformFileGivesTheBrokerAndItsTlsSettingsWithThePasswordFromTheEnvironment(@TempDir Path dir)
            throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
        Path platform = Files.writeString(dir.resolve("platform.properties"), "kafka.bootstrap.servers=b-1:9094\n"
                + "kafka.security.protocol=SSL\nkafka.ssl.truststore.location=" + trust + "\n");
        TailCommand.Parsed parsed = TailCommand.parse(List.of("--table", "vehicles", "--platform", platform.toString()),
                Map.of("FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", "pw"));
        assertThat(parsed.bootstrapServers()).isEqualTo("b-1:9094");
        assertThat(parsed.security().clientProperties()).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.password", "pw");

        assertThatThrownBy(() -> TailCommand.parse(List.of("--table", "vehicles", "--platform", platform.toString()),
                Map.of())).hasMessageContaining("kafka.ssl.truststore.password is required");
    }

    @Test
    void aTableThatIsNotCapturedOrABrokerThatDoesNotAnswerIsOneLineNotAStackTrace() {
        assertThat(TailCommand.failureLine(new io.fleetshard.cdc.CaptureException("change topic 'fleetshard.cdc.nosuch'"
                + " does not exist: is table 'nosuch' captured (capture config 'tables')?"), "127.0.0.1:9092"))
                .isEqualTo("fleetshard tail: change topic 'fleetshard.cdc.nosuch' does not exist: is table 'nosuch'"
                        + " captured (capture config 'tables')?");
        assertThat(TailCommand.failureLine(new org.apache.kafka.common.errors.TimeoutException(
                "Timeout expired while fetching topic metadata"), "127.0.0.1:1"))
                .isEqualTo("fleetshard tail: the Kafka broker at 127.0.0.1:1 did not answer (Timeout expired while"
                        + " fetching topic metadata); is `./fleetshard dev` running? else pass --bootstrap HOST:PORT"
                        + " or --platform FILE")
                .doesNotContain("\n");
        assertThat(TailCommand.failureLine(new IllegalStateException("a bug"), "127.0.0.1:1")).isNull();
    }
}
