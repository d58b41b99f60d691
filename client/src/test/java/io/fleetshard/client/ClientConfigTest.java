package io.fleetshard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
    @Test
    void hasDefaultsForEverythingButTheRouter() {
        FleetShardClient.Config c = FleetShardClient.builder().router("http://127.0.0.1:8080").config();
        assertThat(c.defaultRouter()).isEqualTo(URI.create("http://127.0.0.1:8080"));
        assertThat(c.regionRouters()).isEmpty();
        assertThat(c.controlApiUri()).isEmpty();
        assertThat(c.defaultConsistency()).isEqualTo(Consistency.STRONG);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxAttempts()).isEqualTo(3);
        assertThat(c.maxRetryWait()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.mapRefreshInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.queryPort()).as("a router's advertised query port is used").isTrue();
        assertThat(c.queryPortRetryInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theQueryPortRetryIntervalIsASettingCheckedWithTheOthers() {
        assertThat(FleetShardClient.builder().router("https://127.0.0.1:8443")
                .queryPortRetryInterval(Duration.ofMinutes(5)).config().queryPortRetryInterval())
                .isEqualTo(Duration.ofMinutes(5));
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1), Duration.ofMinutes(61), null}) {
            InvalidClientConfigException e = catchThrowableOfType(InvalidClientConfigException.class,
                    () -> FleetShardClient.builder().router("http://127.0.0.1:8080").queryPortRetryInterval(bad)
                            .config());
            assertThat(e.problems()).as(String.valueOf(bad)).containsExactly("queryPortRetryInterval must be"
                    + " positive and at most 60 min (queryPort(false) keeps every request on the router's URL), got "
                    + bad);
        }
        assertThat(catchThrowableOfType(InvalidClientConfigException.class, () -> new FleetShardClient.Config(
                URI.create("http://127.0.0.1:8080"), null, null, Consistency.STRONG, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1, Duration.ZERO, Duration.ofSeconds(1), null, true, Duration.ZERO))
                .problems()).singleElement().asString().startsWith("queryPortRetryInterval must be positive");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        InvalidClientConfigException e = catchThrowableOfType(InvalidClientConfigException.class,
                () -> FleetShardClient.builder().router("ftp://host").router("us-east-1", "http://us:8080")
                        .router(" ", "http://x").requestTimeout(Duration.ZERO).maxAttempts(0)
                        .maxRetryWait(Duration.ofSeconds(-1)).defaultConsistency(null).config());
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "router(region, url): the region must not be blank (url http://x)",
                "router must be an http:// or https:// URL, got 'ftp://host'",
                "routers per region [us-east-1] need controlApi: the client learns each fleet's region from the"
                        + " control API's shard map",
                "defaultConsistency is required",
                "requestTimeout must be positive, got PT0S",
                "maxAttempts must be between 1 and 20 (1: no retries), got 0",
                "maxRetryWait must be 0 or more, got PT-1S");
        assertThat(e).hasMessageStartingWith("invalid FleetShard client configuration (7 problems): ");
    }

    @Test
    void namesAMissingOrUnreadableRouterOnce() {
        assertThat(catchThrowableOfType(InvalidClientConfigException.class,
                () -> FleetShardClient.builder().config()).problems())
                .containsExactly("router: the default router's base URL is required, e.g."
                        + " router(\"http://127.0.0.1:8080\")");
        assertThat(catchThrowableOfType(InvalidClientConfigException.class,
                () -> FleetShardClient.builder().router("http://bad host").controlApi("http://c/x?y=1").config())
                .problems())
                .containsExactly("router is not a URL: 'http://bad host' (Illegal character in authority)",
                        "controlApi must be a base URL without query or fragment, got 'http://c/x?y=1'");
    }

    @Test
    void theConfigRecordChecksItselfToo() {
        InvalidClientConfigException e = catchThrowableOfType(InvalidClientConfigException.class,
                () -> new FleetShardClient.Config(null, null, null, Consistency.STRONG, Duration.ofSeconds(1),
                        Duration.ofSeconds(1), 1, Duration.ZERO, Duration.ofSeconds(1)));
        assertThat(e.problems()).hasSize(1);
    }
}
