package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.SelfSignedKeyStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS by configuration (ADR 0020): a key store made in the test, a client that trusts only its certificate. */
class RouterTlsTest {

    @Test
    void withAKeyStoreTheRouterSpeaksHttpsOnlyOnItsPort(@TempDir Path dir) throws Exception {
        SelfSignedKeyStore keys = SelfSignedKeyStore.create(dir);
        RouterConfig config = TestTokens.routerConfig().tenantSecret("0123456789abcdef-secret").port(0)
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, keys.password()).build();
        Router router = new Router(config, new InMemoryShardMap()).start();
        try {
            HttpClient https = HttpClient.newBuilder().sslContext(keys.trustingContext()).build();
            String base = "https://127.0.0.1:" + router.port();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            // the fast lane of POST /v1/query (ADR 0016) sits behind the same TLS connector: no token, 401
            HttpResponse<String> query = https.send(HttpRequest.newBuilder(URI.create(base + "/v1/query"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tenantId\":\"t\",\"fleetId\":\"f\",\"sql\":"
                            + "\"select 1\"}")).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(query.statusCode()).isEqualTo(401);
            HttpResponse<String> withToken = https.send(HttpRequest.newBuilder(URI.create(base + "/v1/query"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tenantId\":\"t\",\"fleetId\":\"f\",\"sql\":"
                            + "\"select 1\"}")).header("Authorization", "Bearer " + TestTokens.admin()).build(),
                    HttpResponse.BodyHandlers.ofString());
            // authenticated, then answered by the router itself: an empty map
            assertThat(withToken.statusCode()).as(withToken.body()).isEqualTo(503);
            assertThat(withToken.body()).contains("the shard map is not loaded");
            // no plain HTTP on that port, and a client that does not trust the certificate gets no answer
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
        } finally {
            router.stop();
        }
    }

    @Test
    void aKeyStoreThatCannotBeOpenedIsAConfigurationProblem(@TempDir Path dir) {
        SelfSignedKeyStore keys = SelfSignedKeyStore.create(dir);
        assertThatThrownBy(() -> TestTokens.routerConfig().tenantSecret("0123456789abcdef-secret")
                .set(RouterConfig.TLS_KEYSTORE_PATH, keys.path().toString())
                .set(RouterConfig.TLS_KEYSTORE_PASSWORD, "wrong-password").build())
                .isInstanceOf(InvalidRouterConfigException.class)
                .hasMessageContaining("router.tls.keystore.path (" + keys.path() + ") cannot be opened as PKCS12")
                .hasMessageNotContaining("wrong-password");
        assertThatThrownBy(() -> TestTokens.routerConfig().tenantSecret("0123456789abcdef-secret")
                .set(RouterConfig.TLS_KEYSTORE_PATH, dir.resolve("missing.p12").toString()).build())
                .hasMessageContaining("router.tls.keystore.path must be a readable file");
    }
}
