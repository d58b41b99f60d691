package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The KMS provider against a fake KMS endpoint speaking the KMS JSON protocol (no KMS emulator is available here,
 * ADR 0025): it checks the requests the SDK sends (target, key, key spec, encryption context) and the mapping of KMS
 * errors. It does not prove behaviour against real AWS KMS.
 */
class KmsTenantKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> targets = new CopyOnWriteArrayList<>();
    private final Map<String, JsonNode> blobs = new ConcurrentHashMap<>();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private volatile boolean failing;
    private HttpServer server;
    private KmsTenantKeys keys;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
        keys = KmsTenantKeys.connect("eu-west-1", "http://127.0.0.1:" + server.getAddress().getPort(), "test", "test-secret",
                "alias/fleetshard-tenant-{tenant}");
    }

    @AfterEach
    void stop() {
        keys.close();
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        requests.add(req);
        targets.add(target);
        String arn = "arn:aws:kms:eu-west-1:111122223333:key/" + req.path("KeyId").asText().replace("alias/", "");
        Map<String, Object> body;
        int status = 200;
        if (failing) {
            status = 500;
            body = Map.of("__type", "KMSInternalException", "message", "try again");
        } else if (disabled.contains(req.path("KeyId").asText())) {
            status = 400;
            body = Map.of("__type", "DisabledException", "message", arn + " is disabled.");
        } else if ("TrentService.GenerateDataKey".equals(target)) {
            byte[] plain = new byte[32];
            new SecureRandom().nextBytes(plain);
            byte[] blob = new byte[48];
            new SecureRandom().nextBytes(blob);
            String b64 = Base64.getEncoder().encodeToString(blob);
            blobs.put(b64, JSON.createObjectNode().put("arn", arn).put("plain", Base64.getEncoder().encodeToString(plain))
                    .set("ctx", req.path("EncryptionContext")));
            body = Map.of("CiphertextBlob", b64, "KeyId", arn, "Plaintext", Base64.getEncoder().encodeToString(plain));
        } else if ("TrentService.Decrypt".equals(target)) {
            JsonNode known = blobs.get(req.path("CiphertextBlob").asText());
            if (known == null || !known.path("ctx").equals(req.path("EncryptionContext"))) {
                status = 400;
                body = Map.of("__type", "InvalidCiphertextException", "message", "");
            } else {
                body = Map.of("KeyId", known.path("arn").asText(), "Plaintext", known.path("plain").asText(),
                        "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
            }
        } else {
            status = 400;
            body = Map.of("__type", "UnknownOperationException", "message", String.valueOf(target));
        }
        byte[] out = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        ex.sendResponseHeaders(status, out.length);
        ex.getResponseBody().write(out);
        ex.close();
    }

    @Test
    void generatesADataKeyPerTenantWithItsKeyAndContextAndUnwrapsIt() {
        TenantKeyProvider.DataKey k = keys.generate("acme");
        assertThat(targets.get(0)).isEqualTo("TrentService.GenerateDataKey");
        assertThat(requests.get(0).path("KeyId").asText()).isEqualTo("alias/fleetshard-tenant-acme");
        assertThat(requests.get(0).path("KeySpec").asText()).isEqualTo("AES_256");
        assertThat(requests.get(0).path("EncryptionContext").path("fleetshard:tenant").asText()).isEqualTo("acme");
        assertThat(k.keyId()).isEqualTo("arn:aws:kms:eu-west-1:111122223333:key/fleetshard-tenant-acme");

        byte[] plain = keys.unwrap("acme", k.keyId(), k.wrapped());
        assertThat(plain).isEqualTo(k.plaintext());
        assertThat(targets.get(1)).isEqualTo("TrentService.Decrypt");
        assertThat(requests.get(1).path("KeyId").asText()).isEqualTo(k.keyId());
    }

    @Test
    void aBlobOfOneTenantDoesNotOpenAsAnother() {
        TenantKeyProvider.DataKey k = keys.generate("acme");
        assertThatThrownBy(() -> keys.unwrap("globex", k.keyId(), k.wrapped()))
                .isInstanceOf(TenantKeyException.class).hasMessageContaining("tenant globex")
                .hasMessageContaining("InvalidCiphertextException");
    }

    @Test
    void aDisabledKeyIsAKeyErrorNamingTenantAndKey() {
        disabled.add("alias/fleetshard-tenant-acme");
        assertThatThrownBy(() -> keys.generate("acme")).isInstanceOf(TenantKeyException.class)
                .hasMessageContaining("tenant acme").hasMessageContaining("alias/fleetshard-tenant-acme")
                .hasMessageContaining("DisabledException");
    }

    @Test
    void segmentsSealedThroughKmsOpenThroughKms() {
        ArchiveEncryption enc = new ArchiveEncryption(true, Set.of(), keys);
        byte[] gz = SegmentCodec.encode("pg-1", "t", List.of(new ArchivedEvent(1,
                "{\"tenant\":\"acme\",\"after\":{\"vin\":\"SECRET\"}}".getBytes(StandardCharsets.UTF_8))), enc);
        Segment s = SegmentCodec.open("k", SegmentCodec.decode("k", gz), keys);
        assertThat(new String(s.events().get(0).event(), StandardCharsets.UTF_8)).contains("SECRET");
    }

    @Test
    void aKmsServerErrorIsRetriableNotAKeyError() {
        failing = true;
        assertThatThrownBy(() -> keys.generate("acme")).isInstanceOf(ArchiveStoreUnavailableException.class)
                .hasMessageContaining("tenant acme");
    }
}
