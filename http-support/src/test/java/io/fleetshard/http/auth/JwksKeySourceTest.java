package io.fleetshard.http.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.fleetshard.testkit.ManualClock;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** RS256/ES256 through a JWKS served by a small HTTP server on a free port, as an identity provider serves it. */
class JwksKeySourceTest {
    private static final TestKeys RSA_1 = TestKeys.rsa("rsa-1");
    private static final TestKeys RSA_2 = TestKeys.rsa("rsa-2");
    private static final TestKeys EC_1 = TestKeys.ec("ec-1");

    private final AtomicReference<String> served = new AtomicReference<>(TestKeys.jwks(RSA_1, EC_1));
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private final ManualClock clock = new ManualClock(JwtVerifierTest.NOW);
    private final HttpServer server = start();

    private HttpServer start() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            s.createContext("/jwks.json", exchange -> {
                fetches.incrementAndGet();
                byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(status.get(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            s.start();
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private JwtVerifier verifier(Duration minRefresh) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
        return new JwtVerifier(new JwksKeySource(url, Duration.ofSeconds(2), Duration.ofMinutes(10), minRefresh,
                clock), "fleetshard", "fleetshard", Duration.ofSeconds(60), clock);
    }

    private ObjectNode claims(String role) {
        return TestKeys.JSON.createObjectNode().put("iss", "fleetshard").put("aud", "fleetshard").put("sub", "svc")
                .put("role", role).put("exp", clock.instant().getEpochSecond() + 300);
    }

    @Test
    void acceptsRs256AndEs256TokensOfTheServedKeys() throws Exception {
        JwtVerifier v = verifier(Duration.ofSeconds(30));
        assertThat(v.verify(RSA_1.sign(claims("operator")))).isEqualTo(new Caller("svc", Role.OPERATOR, null));
        assertThat(v.verify(EC_1.sign(claims("admin"))).role()).isEqualTo(Role.ADMIN);
        assertThat(fetches).hasValue(1);
    }

    @Test
    void fetchesTheSetAgainForAnUnknownKidAndAcceptsTheRotatedKey() throws Exception {
        JwtVerifier v = verifier(Duration.ofSeconds(30));
        assertThat(v.verify(RSA_1.sign(claims("operator")))).isNotNull();
        served.set(TestKeys.jwks(RSA_2, EC_1)); // the provider rotates rsa-1 out, rsa-2 in
        clock.advance(Duration.ofSeconds(31));

        assertThat(v.verify(RSA_2.sign(claims("operator"))).role()).isEqualTo(Role.OPERATOR);
        assertThat(fetches).hasValue(2);
        assertThatThrownBy(() -> v.verify(RSA_1.sign(claims("operator")))).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("no RS256 key with kid 'rsa-1'");
    }

    @Test
    void unknownKidsFetchTheSetAtMostOncePerMinimumInterval() throws Exception {
        JwtVerifier v = verifier(Duration.ofSeconds(30));
        v.verify(RSA_1.sign(claims("operator")));
        clock.advance(Duration.ofSeconds(31));
        for (int i = 0; i < 5; i++) {
            String forged = RSA_2.sign(claims("admin"), "forged-" + i);
            assertThatThrownBy(() -> v.verify(forged)).isInstanceOf(InvalidTokenException.class)
                    .hasMessageContaining("kid 'forged-");
        }
        assertThat(fetches).hasValue(2);
    }

    @Test
    void rejectsASignatureOfAnotherKeyUnderAKnownKid() {
        JwtVerifier v = verifier(Duration.ofSeconds(30));
        String wrong = RSA_2.sign(claims("admin"), "rsa-1");
        assertThatThrownBy(() -> v.verify(wrong)).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("signature does not verify");
        String ecUnderRsaKid = EC_1.sign(claims("admin"), "rsa-1");
        assertThatThrownBy(() -> v.verify(ecUnderRsaKid)).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("no ES256 key with kid 'rsa-1'");
    }

    @Test
    void keepsKnownKeysWhenTheProviderIsDownAndSaysSoWhenItNeverAnswered() throws Exception {
        status.set(500);
        JwtVerifier cold = verifier(Duration.ZERO);
        assertThatThrownBy(() -> cold.verify(RSA_1.sign(claims("admin"))))
                .isInstanceOf(KeySource.KeysUnavailableException.class).hasMessageContaining("HTTP 500");

        status.set(200);
        JwtVerifier warm = verifier(Duration.ZERO);
        warm.verify(RSA_1.sign(claims("admin")));
        status.set(503);
        clock.advance(Duration.ofMinutes(11)); // past the max age: it tries again, fails, keeps the keys
        assertThat(warm.verify(RSA_1.sign(claims("admin"))).role()).isEqualTo(Role.ADMIN);
    }

    @Test
    void skipsKeysItCannotUse() {
        ObjectNode enc = RSA_2.jwk().put("use", "enc");
        ObjectNode other = TestKeys.JSON.createObjectNode().put("kty", "oct").put("k", "c2VjcmV0");
        String set = "{\"keys\":[" + enc + "," + other + "," + EC_1.jwk() + "]}";
        assertThat(JwkSetParser.parse(set.getBytes(StandardCharsets.UTF_8))).extracting(JwkSetParser.Jwk::kid)
                .containsExactly("ec-1");
        assertThatThrownBy(() -> JwkSetParser.parse("{}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("no \"keys\" array");
    }
}
