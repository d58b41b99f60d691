package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.SelfSignedKeyStore;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterConfigTest {
    private static final String SECRET = "0123456789abcdef-secret";

    @Test
    void appliesDefaultsWhenOnlyTheSecretsAreGiven() {
        RouterConfig c = RouterConfig.from(Map.of(RouterConfig.TENANT_SECRET, SECRET,
                RouterConfig.AUTH_JWT_SECRET, TestTokens.SECRET));
        assertThat(c.auth().enabled()).isTrue();
        assertThat(c.auth().jwtSecret()).isEqualTo(TestTokens.SECRET);
        assertThat(c.auth().openPaths()).containsExactlyInAnyOrder("/healthz", "/readyz", "/metrics",
                "/openapi.json");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.poolMaxSize()).isEqualTo(8);
        assertThat(c.requestTimeoutMs()).isEqualTo(5000);
        assertThat(c.maxRequestBytes()).isEqualTo(65536);
        assertThat(c.probeIntervalMs()).isEqualTo(100);
        assertThat(c.dbUser()).isEqualTo("fleetshard_app");
        assertThat(c.region()).isNull();
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> RouterConfig.from(Map.of(
                RouterConfig.PORT, "eighty",
                RouterConfig.POOL_MAX_SIZE, "0",
                RouterConfig.REQUEST_TIMEOUT_MS, "-5",
                "router.pool.max.sise", "3")))
                .isInstanceOfSatisfying(InvalidRouterConfigException.class, e -> assertThat(e.problems())
                        .hasSize(6)
                        .anySatisfy(p -> assertThat(p).contains("router.tenant.secret is required"))
                        .anySatisfy(p -> assertThat(p).contains("router.auth.jwks.url (production"))
                        .anySatisfy(p -> assertThat(p).contains("router.port must be an integer between 0 and 65535"
                                + " (got 'eighty')"))
                        .anySatisfy(p -> assertThat(p).contains("router.pool.max.size must be between 1 and 200"))
                        .anySatisfy(p -> assertThat(p).contains("router.request.timeout.ms must be between 50"))
                        .anySatisfy(p -> assertThat(p).contains("unknown key router.pool.max.sise")));
    }

    @Test
    void rejectsAShortSecretWithoutEchoingIt() {
        assertThatThrownBy(() -> TestTokens.routerConfig().tenantSecret("short-secret").build())
                .hasMessageContaining("router.tenant.secret must be at least 16 characters, got 12")
                .hasMessageNotContaining("short-secret");
    }

    @Test
    void theBlockingQueryPortIsOffByDefaultAndAllowedWithTls(@TempDir Path dir) {
        RouterConfig defaults = TestTokens.routerConfig().tenantSecret(SECRET).build();
        assertThat(defaults.queryPort()).isEqualTo(-1);
        assertThat(defaults.queryMaxConnections()).isEqualTo(256);
        assertThat(defaults.queryIdleTimeoutMs()).isEqualTo(30_000);
        assertThat(defaults.queryAdvertisedPort()).as("the listener's own port").isZero();
        SelfSignedKeyStore keys = SelfSignedKeyStore.create(dir);
        RouterConfig withTls = TestTokens.routerConfig().tenantSecret(SECRET).set(RouterConfig.QUERY_PORT, "0")
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, keys.password()).build();
        assertThat(withTls.queryPort()).as("HTTPS on the query port too (ADR 0039, 2026-12-07)").isZero();
        assertThat(withTls.tls().enabled()).isTrue();
        assertThatThrownBy(() -> TestTokens.routerConfig().tenantSecret(SECRET).set(RouterConfig.QUERY_PORT, "-2")
                .set(RouterConfig.QUERY_MAX_CONNECTIONS, "0").set(RouterConfig.QUERY_ADVERTISED_PORT, "65536").build())
                .hasMessageContaining("router.query.port must be between -1 and 65535")
                .hasMessageContaining("router.query.advertised.port must be between -1 and 65535")
                .hasMessageContaining("router.query.max.connections must be between 1 and 10000");
    }

    @Test
    void crossChecksMinIdleAgainstMaxSize() {
        assertThatThrownBy(() -> TestTokens.routerConfig().tenantSecret(SECRET).poolMaxSize(4).poolMinIdle(5).build())
                .hasMessageContaining("router.pool.min.idle (5) must not exceed router.pool.max.size (4)");
    }

    @Test
    void readsEnvironmentVariablesAndMasksSecretsInItsDescription() {
        RouterConfig c = RouterConfig.fromEnvironment(Map.of(
                "FLEETSHARD_ROUTER_TENANT_SECRET", SECRET,
                "FLEETSHARD_ROUTER_AUTH_JWT_SECRET", TestTokens.SECRET,
                "FLEETSHARD_ROUTER_POOL_MAX_SIZE", "3",
                "FLEETSHARD_ROUTER_DB_PASSWORD", "hunter2",
                "PATH", "/usr/bin"));
        assertThat(c.poolMaxSize()).isEqualTo(3);
        assertThat(c.toString()).doesNotContain(SECRET).doesNotContain("hunter2").doesNotContain(TestTokens.SECRET)
                .contains("router.pool.max.size=3");
        assertThat(RouterConfig.environmentName(RouterConfig.PROBE_INTERVAL_MS))
                .isEqualTo("FLEETSHARD_ROUTER_PROBE_INTERVAL_MS");
    }

    @Test
    void refusesToStartWithoutAKeySourceForTokens() {
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret(SECRET).build())
                .hasMessageContaining("router.auth.jwks.url (production: the identity provider's keys) or"
                        + " router.auth.jwt.secret (a shared HS256 secret) is required");
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret(SECRET).jwtSecret(TestTokens.SECRET)
                .set(RouterConfig.AUTH_JWKS_URL, "https://idp.example/jwks.json").build())
                .hasMessageContaining("set only one of router.auth.jwt.secret and router.auth.jwks.url");
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret(SECRET).jwtSecret("too-short-jwt-secret").build())
                .hasMessageContaining("router.auth.jwt.secret must be at least 32 characters, got 20")
                .hasMessageNotContaining("too-short-jwt-secret");
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret(SECRET)
                .set(RouterConfig.AUTH_JWKS_URL, "ftp://idp").build())
                .hasMessageContaining("router.auth.jwks.url must be an http:// or https:// URL");
        assertThat(RouterConfig.builder().tenantSecret(SECRET).set(RouterConfig.AUTH_ENABLED, "false").build()
                .auth().enabled()).isFalse();
        assertThat(RouterConfig.builder().tenantSecret(SECRET)
                .set(RouterConfig.AUTH_JWKS_URL, "https://idp.example/jwks.json").build().auth().jwksUrl())
                .hasToString("https://idp.example/jwks.json");
    }

    @Test
    void generatesTheReadmeTableFromTheKeyDefinitions() throws Exception {
        String table = RouterConfig.markdownTable();
        for (String key : RouterConfig.names()) {
            assertThat(table).contains("`" + key + "`");
        }
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("README.md")))
                .as("router/README.md carries RouterConfig.markdownTable()").contains(table);
    }
}
