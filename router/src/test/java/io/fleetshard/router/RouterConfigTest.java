package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterConfigTest {
    private static final String SECRET = "0123456789abcdef-secret";

    @Test
    void appliesDefaultsWhenOnlyTheSecretIsGiven() {
        RouterConfig c = RouterConfig.from(Map.of(RouterConfig.TENANT_SECRET, SECRET));
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
                        .hasSize(5)
                        .anySatisfy(p -> assertThat(p).contains("router.tenant.secret is required"))
                        .anySatisfy(p -> assertThat(p).contains("router.port must be an integer between 0 and 65535"
                                + " (got 'eighty')"))
                        .anySatisfy(p -> assertThat(p).contains("router.pool.max.size must be between 1 and 200"))
                        .anySatisfy(p -> assertThat(p).contains("router.request.timeout.ms must be between 50"))
                        .anySatisfy(p -> assertThat(p).contains("unknown key router.pool.max.sise")));
    }

    @Test
    void rejectsAShortSecretWithoutEchoingIt() {
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret("short-secret").build())
                .hasMessageContaining("router.tenant.secret must be at least 16 characters, got 12")
                .hasMessageNotContaining("short-secret");
    }

    @Test
    void crossChecksMinIdleAgainstMaxSize() {
        assertThatThrownBy(() -> RouterConfig.builder().tenantSecret(SECRET).poolMaxSize(4).poolMinIdle(5).build())
                .hasMessageContaining("router.pool.min.idle (5) must not exceed router.pool.max.size (4)");
    }

    @Test
    void readsEnvironmentVariablesAndMasksSecretsInItsDescription() {
        RouterConfig c = RouterConfig.fromEnvironment(Map.of(
                "FLEETSHARD_ROUTER_TENANT_SECRET", SECRET,
                "FLEETSHARD_ROUTER_POOL_MAX_SIZE", "3",
                "FLEETSHARD_ROUTER_DB_PASSWORD", "hunter2",
                "PATH", "/usr/bin"));
        assertThat(c.poolMaxSize()).isEqualTo(3);
        assertThat(c.toString()).doesNotContain(SECRET).doesNotContain("hunter2").contains("router.pool.max.size=3");
        assertThat(RouterConfig.environmentName(RouterConfig.PROBE_INTERVAL_MS))
                .isEqualTo("FLEETSHARD_ROUTER_PROBE_INTERVAL_MS");
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
