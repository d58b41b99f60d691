package io.fleetshard.controlapi;

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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS by configuration (ADR 0020): a key store made in the test, a client that trusts only its certificate. */
class ControlApiTlsTest {

    @Test
    void withAKeyStoreTheControlApiSpeaksHttpsOnly(@TempDir Path dir) throws Exception {
        SelfSignedKeyStore keys = SelfSignedKeyStore.create(dir);
        InMemoryShardMap map = new InMemoryShardMap();
        try (ApiHarness h = new ApiHarness(map, map, (node, engine) -> ProbeResult.up(1), () -> null,
                Map.of(ControlApiConfig.TLS_KEYSTORE_PATH, keys.path().toString(),
                        ControlApiConfig.TLS_KEYSTORE_PASSWORD, keys.password()))) {
            HttpClient https = HttpClient.newBuilder().sslContext(keys.trustingContext()).build();
            String base = "https://127.0.0.1:" + h.api.port();
            assertThat(https.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            HttpResponse<String> shards = https.send(HttpRequest.newBuilder(URI.create(base + "/v1/shards"))
                    .header("Authorization", "Bearer " + TestTokens.admin()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(shards.statusCode()).as(shards.body()).isEqualTo(200);
            assertThat(https.send(HttpRequest.newBuilder(URI.create(base + "/v1/shards")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + h.api.port() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aKeyStoreThatCannotBeOpenedIsAConfigurationProblem(@TempDir Path dir) {
        SelfSignedKeyStore keys = SelfSignedKeyStore.create(dir);
        assertThatThrownBy(() -> ApiHarness.config(Map.of(ControlApiConfig.TLS_KEYSTORE_PATH, keys.path().toString(),
                ControlApiConfig.TLS_KEYSTORE_PASSWORD, "wrong-password")))
                .isInstanceOf(ControlApiConfigException.class)
                .hasMessageContaining("control.tls.keystore.path (" + keys.path() + ") cannot be opened as PKCS12")
                .hasMessageNotContaining("wrong-password");
    }
}
