package io.fleetshard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSecurityTest {
    @TempDir
    Path dir;

    @Test
    void plaintextAddsNothingToAClient() {
        assertThat(KafkaClientSecurity.plaintext().clientProperties()).isEmpty();
        assertThat(KafkaClientSecurity.fromMap(Map.of("kafka.bootstrap.servers", "b:9092")).clientProperties()).isEmpty();
    }

    @Test
    void aComponentsMapIsSplitIntoTheSecurityKeysAndItsOwn() {
        Map<String, String> given = new java.util.LinkedHashMap<>();
        given.put("kafka.bootstrap.servers", "b:9093");
        given.put("kafka.security.protocol", "SSL");
        given.put("archiver.id", "a1");
        KafkaClientSecurity.Builder b = KafkaClientSecurity.builder();
        assertThat(b.takeFrom(given)).containsExactly(Map.entry("kafka.bootstrap.servers", "b:9093"),
                Map.entry("archiver.id", "a1"));
        assertThat(b.build().tls()).isTrue();
    }

    @Test
    void sslWithoutTrustStoreUsesTheJvmDefaultTrust() {
        KafkaClientSecurity s = KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "ssl"));
        assertThat(s.clientProperties()).containsExactly(Map.entry("security.protocol", "SSL"),
                Map.entry("ssl.endpoint.identification.algorithm", "https"));
        assertThat(s).hasToString("KafkaClientSecurity[SSL, truststore=(JVM default), hostname check=on]");
    }

    @Test
    void sslWithTrustAndKeyStoresMapsToClientPropertiesAndMasksPasswords() throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
        Path keys = Files.writeString(dir.resolve("client.p12"), "x");
        KafkaClientSecurity s = KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SSL",
                "kafka.ssl.truststore.location", trust.toString(), "kafka.ssl.truststore.password", "t-secret",
                "kafka.ssl.keystore.location", keys.toString(), "kafka.ssl.keystore.password", "k-secret",
                "kafka.ssl.endpoint.identification.algorithm", ""));
        assertThat(s.clientProperties()).containsEntry("ssl.truststore.location", trust.toString())
                .containsEntry("ssl.truststore.password", "t-secret").containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.keystore.location", keys.toString()).containsEntry("ssl.keystore.password", "k-secret")
                .containsEntry("ssl.endpoint.identification.algorithm", "").doesNotContainKey("ssl.key.password");
        assertThat(s.clientProperties("schema.history.internal.producer."))
                .containsEntry("schema.history.internal.producer.security.protocol", "SSL");
        assertThat(s.toString()).doesNotContain("secret").contains("hostname check=off");
    }

    @Test
    void reportsEveryProblemNamingTheKeys() {
        assertThatThrownBy(() -> KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "TLS"))).hasMessage(
                "invalid Kafka client security configuration (1 problem): kafka.security.protocol must be one of "
                        + "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, got 'TLS'");
        Path missing = dir.resolve("nope.p12");
        assertThatThrownBy(() -> KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SSL",
                "kafka.ssl.truststore.location", missing.toString(), "kafka.ssl.keystore.password", "p")))
                .isInstanceOf(KafkaClientSecurity.Invalid.class)
                .hasMessageContaining("(3 problems)")
                .hasMessageContaining("kafka.ssl.truststore.location '" + missing + "' is not a readable file")
                .hasMessageContaining("kafka.ssl.truststore.password is required with kafka.ssl.truststore.location "
                        + "(file, or the environment variable FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD)")
                .hasMessageContaining("kafka.ssl.keystore.password is set but kafka.ssl.keystore.location is not");
    }

    @Test
    void refusesTlsAndSaslKeysTheProtocolWouldIgnore() throws Exception {
        Path trust = Files.writeString(dir.resolve("trust.p12"), "x");
        assertThatThrownBy(() -> KafkaClientSecurity.fromMap(Map.of("kafka.ssl.truststore.location", trust.toString(),
                "kafka.ssl.truststore.password", "p", "kafka.sasl.mechanism", "AWS_MSK_IAM")))
                .hasMessageContaining("kafka.ssl.truststore.location is set but kafka.security.protocol does not use TLS")
                .hasMessageContaining("kafka.sasl.mechanism is set but kafka.security.protocol is PLAINTEXT");
        assertThatThrownBy(() -> KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SASL_SSL")))
                .hasMessageContaining("kafka.sasl.mechanism is required with kafka.security.protocol=SASL_SSL");
    }

    @Test
    void passesMskIamSettingsThrough() {
        KafkaClientSecurity s = KafkaClientSecurity.fromMap(Map.of("kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "AWS_MSK_IAM",
                "kafka.sasl.jaas.config", "software.amazon.msk.auth.iam.IAMLoginModule required;",
                "kafka.sasl.client.callback.handler.class", "software.amazon.msk.auth.iam.IAMClientCallbackHandler"));
        assertThat(s.clientProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "AWS_MSK_IAM")
                .containsEntry("sasl.jaas.config", "software.amazon.msk.auth.iam.IAMLoginModule required;")
                .containsEntry("sasl.client.callback.handler.class",
                        "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
        assertThat(s.toString()).doesNotContain("IAMLoginModule").contains("sasl=AWS_MSK_IAM (jaas ******)");
    }

    @Test
    void buildWithProblemsCollectsThemForTheComponent() {
        ConfigProblems problems = new ConfigProblems();
        KafkaClientSecurity.Builder b = KafkaClientSecurity.builder();
        assertThat(b.offer("kafka.security.protocol", "SSH")).isTrue();
        assertThat(b.offer("kafka.bootstrap.servers", "b:9092")).isFalse();
        assertThat(b.build(problems)).isEqualTo(KafkaClientSecurity.plaintext());
        assertThat(problems.list()).hasSize(1);
    }

    @Test
    void readmeTableMatchesTheKeys() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(KafkaClientSecurity.markdownTable());
    }
}
