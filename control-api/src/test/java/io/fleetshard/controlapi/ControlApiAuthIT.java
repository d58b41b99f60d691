package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.Tenant;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Tokens on control APIs wired as in production, over a real map log (ADR 0018): refused calls never reach the log;
 * and an instance whose keys come from a JWKS (ES256, served by a small HTTP server, as an identity provider serves
 * them) accepts a rotated key as soon as a token names it.
 */
class ControlApiAuthIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private static ApiHarness.Response as(KafkaControlApi api, String token, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.http.uri(path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return api.http.sendWithoutDefaultToken(b);
    }

    @Test
    void refusedCallsAre401Or403AndNeverReachTheMapLog() {
        ShardMapLogConfig log = KafkaControlApi.freshLog("auth");
        try (KafkaControlApi api = KafkaControlApi.start(log, Map.of())) {
            as(api, TestTokens.admin(), "POST", "/v1/tenants", tenant("acme", "standard")).assertStatus(201);
            Duration hour = Duration.ofHours(1);
            String expired = new JwtMinter(TestTokens.SECRET, "fleetshard", "fleetshard",
                    Clock.offset(Clock.systemUTC(), Duration.ofHours(-2))).mint("x", Role.ADMIN, null, hour);
            String forged = JwtMinter.withDefaults("not-the-secret-of-this-control-api!!").mint("x", Role.ADMIN, null,
                    hour);

            as(api, null, "POST", "/v1/tenants", tenant("t1", "standard")).assertProblem(401, "needs a token");
            as(api, expired, "POST", "/v1/tenants", tenant("t2", "standard")).assertProblem(401, "expired at");
            as(api, forged, "POST", "/v1/tenants", tenant("t3", "standard")).assertProblem(401, "signature");
            as(api, TestTokens.of(Role.OPERATOR, null), "POST", "/v1/tenants", tenant("t4", "standard"))
                    .assertProblem(403, "role operator may not call POST /v1/tenants");
            as(api, TestTokens.of(Role.TENANT_WRITER, "acme"), "POST", "/v1/tenants/acme/fleets",
                    "{\"fleetId\":\"f\"}").assertProblem(403, "role tenant-writer may not call");
            as(api, TestTokens.of(Role.TENANT_READER, "globex"), "GET", "/v1/tenants/acme", null)
                    .assertProblem(403, "may not reach tenant acme");
            as(api, TestTokens.of(Role.TENANT_READER, "acme"), "POST", "/v1/shards/s1/failover", "{}")
                    .assertProblem(403, "it needs admin or operator");
            as(api, TestTokens.of(Role.TENANT_READER, "acme"), "POST", "/v1/reshards",
                    "{\"kind\":\"move\",\"fleet\":\"acme/f\",\"to\":\"s2\"}").assertProblem(403, "needs admin");
        }
        try (ShardMapFollower reader = ShardMapFollower.start(log, null)) {
            assertThat(reader.awaitCaughtUp(WAIT)).isTrue();
            ShardMapSnapshot map = reader.current();
            assertThat(map.version()).isEqualTo(1);
            assertThat(map.tenants()).extracting(Tenant::tenantId).containsExactly("acme");
        }
    }

    @Test
    void withKeysFromAJwksItAcceptsEs256TokensAndARotatedKey() throws Exception {
        KeyPair first = ecKeys();
        KeyPair second = ecKeys();
        AtomicReference<String> served = new AtomicReference<>(jwks(Map.of("k1", first)));
        AtomicInteger fetches = new AtomicInteger();
        HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        idp.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        idp.start();
        try (KafkaControlApi api = KafkaControlApi.start(KafkaControlApi.freshLog("jwks"), Map.of(
                ControlApiConfig.AUTH_JWT_SECRET, "",
                ControlApiConfig.AUTH_JWKS_URL, "http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks",
                "control.auth.jwks.min.refresh.ms", "0"))) {
            assertThat(as(api, es256(first, "k1", "operator"), "GET", "/v1/shards", null).status()).isEqualTo(200);
            as(api, TestTokens.admin(), "GET", "/v1/shards", null).assertProblem(401, "alg HS256 is not accepted");

            served.set(jwks(Map.of("k2", second))); // the provider rotates its key
            assertThat(as(api, es256(second, "k2", "admin"), "POST", "/v1/tenants", tenant("acme", "standard"))
                    .status()).isEqualTo(201);
            as(api, es256(first, "k1", "admin"), "GET", "/v1/shards", null).assertProblem(401, "no ES256 key with"
                    + " kid 'k1'");
            as(api, es256(first, "k2", "admin"), "GET", "/v1/shards", null).assertProblem(401, "signature");
            assertThat(fetches.get()).isBetween(2, 4);
        } finally {
            idp.stop(0);
        }
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static String jwks(Map<String, KeyPair> keys) {
        ObjectNode root = JSON.createObjectNode();
        keys.forEach((kid, pair) -> {
            ECPublicKey k = (ECPublicKey) pair.getPublic();
            root.withArray("keys").addObject().put("kty", "EC").put("crv", "P-256").put("kid", kid).put("use", "sig")
                    .put("x", coordinate(k.getW().getAffineX())).put("y", coordinate(k.getW().getAffineY()));
        });
        return root.toString();
    }

    private static String coordinate(BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[32];
        int from = Math.max(0, b.length - 32);
        System.arraycopy(b, from, out, 32 - (b.length - from), b.length - from);
        return B64.encodeToString(out);
    }

    /** An ES256 token as an identity provider issues it. */
    private static String es256(KeyPair key, String kid, String role) throws Exception {
        long now = Instant.now().getEpochSecond();
        String header = B64.encodeToString(JSON.createObjectNode().put("alg", "ES256").put("kid", kid).toString()
                .getBytes(StandardCharsets.UTF_8));
        String claims = B64.encodeToString(JSON.createObjectNode().put("iss", "fleetshard").put("aud", "fleetshard")
                .put("sub", "svc-" + role).put("role", role).put("exp", now + 300).toString()
                .getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key.getPrivate());
        s.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + B64.encodeToString(s.sign());
    }
}
