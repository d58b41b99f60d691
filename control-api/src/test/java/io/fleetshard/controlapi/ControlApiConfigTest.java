package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlApiConfigTest {

    @Test
    void defaultsBindLoopbackOn8081With64KiBBodies() {
        ControlApiConfig c = ControlApiConfig.defaults(TestTokens.SECRET);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8081);
        assertThat(c.maxRequestBytes()).isEqualTo(65_536);
        assertThat(c.probeInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.probeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.mapCommitMaxAttempts()).isEqualTo(5);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> ControlApiConfig.from(Map.of(
                ControlApiConfig.HTTP_PORT, "80000",
                ControlApiConfig.PROBE_INTERVAL_MS, "soon",
                ControlApiConfig.HTTP_HOST, " ",
                "control.http.prot", "8081",
                "router.http.port", "8080")))
                .isInstanceOfSatisfying(ControlApiConfigException.class, e -> {
                    assertThat(e.problems()).containsExactly(
                            "control.http.host must not be blank, got ''",
                            "control.http.port must be between 0 and 65535, got '80000'",
                            "control.probe.interval.ms must be an integer between 100 and 3600000, got 'soon'",
                            "unknown key control.http.prot; known keys: " + String.join(", ",
                                    new java.util.TreeSet<>(ControlApiConfig.defaults(TestTokens.SECRET)
                                            .effectiveValues().keySet())),
                            "control.auth.jwks.url (production: the identity provider's keys) or"
                                    + " control.auth.jwt.secret (a shared HS256 secret) is required: without a key no"
                                    + " token can be checked; control.auth.enabled=false turns authentication off,"
                                    + " only for a process nothing else can reach");
                    assertThat(e.getMessage()).startsWith("invalid control-API configuration (5 problems)");
                });
    }

    @Test
    void refusesToStartWithoutAKeySourceForTokens() {
        assertThatThrownBy(() -> ControlApiConfig.from(Map.of()))
                .hasMessageContaining("control.auth.jwks.url (production: the identity provider's keys) or"
                        + " control.auth.jwt.secret (a shared HS256 secret) is required");
        assertThat(ControlApiConfig.from(Map.of(ControlApiConfig.AUTH_JWKS_URL, "https://idp.example/jwks"))
                .auth().jwksUrl()).hasToString("https://idp.example/jwks");
        assertThat(ControlApiConfig.from(Map.of(ControlApiConfig.AUTH_ENABLED, "false")).auth().enabled()).isFalse();
        ControlApiConfig c = ControlApiConfig.defaults(TestTokens.SECRET);
        assertThat(c.auth().jwtSecret()).isEqualTo(TestTokens.SECRET);
        assertThat(c.effectiveValues().get(ControlApiConfig.AUTH_JWT_SECRET)).isEqualTo("********");
        assertThat(c.toString()).doesNotContain(TestTokens.SECRET);
    }

    @Test
    void probeTimeoutMustBeBelowTheInterval() {
        assertThatThrownBy(() -> ControlApiConfig.from(Map.of(ControlApiConfig.PROBE_INTERVAL_MS, "1000",
                ControlApiConfig.PROBE_TIMEOUT_MS, "1000")))
                .hasMessageContaining("control.probe.timeout.ms (1000) must be below control.probe.interval.ms (1000)");
    }

    @Test
    void secretsAreMaskedInEffectiveValuesAndErrors() {
        ControlApiConfig c = ControlApiConfig.from(Map.of(ControlApiConfig.PROBE_USER, "monitor",
                ControlApiConfig.PROBE_PASSWORD, "s3cret", ControlApiConfig.AUTH_JWT_SECRET, TestTokens.SECRET));
        assertThat(c.probePassword()).isEqualTo("s3cret");
        assertThat(c.effectiveValues()).containsEntry(ControlApiConfig.PROBE_PASSWORD, "********")
                .containsEntry(ControlApiConfig.PROBE_USER, "monitor");
        assertThat(c.toString()).doesNotContain("s3cret");
    }

    @Test
    void withChecksTheChangedValue() {
        assertThat(ControlApiConfig.defaults(TestTokens.SECRET).with(ControlApiConfig.HTTP_PORT, "0").port()).isZero();
        assertThatThrownBy(() -> ControlApiConfig.defaults(TestTokens.SECRET).with(ControlApiConfig.PROBE_THREADS, "0"))
                .hasMessageContaining("control.probe.threads must be between 1 and 64, got '0'");
    }

    @Test
    void theArchiveTierIsOneOfTheArchivesTiers() {
        assertThat(ControlApiConfig.defaults(TestTokens.SECRET).archiveTier()).isEqualTo("standard");
        assertThat(ControlApiConfig.defaults(TestTokens.SECRET).with(ControlApiConfig.ARCHIVE_TIER, "platinum").archiveTier())
                .isEqualTo("platinum");
        assertThatThrownBy(() -> ControlApiConfig.defaults(TestTokens.SECRET).with(ControlApiConfig.ARCHIVE_TIER, "gold"))
                .hasMessageContaining("control.archive.tier must be one of standard, enhanced, platinum, got 'gold'");
    }

    @Test
    void readmeTableIsGeneratedFromTheDefinitions() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).as("control-api/README.md must contain ControlApiConfig.markdownTable() verbatim")
                .contains(ControlApiConfig.markdownTable());
    }
}
