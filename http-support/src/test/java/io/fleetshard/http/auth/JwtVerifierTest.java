package io.fleetshard.http.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JwtVerifierTest {
    static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final JwtMinter minter = new JwtMinter(SECRET, "fleetshard", "fleetshard", clock);
    private final JwtVerifier hs = new JwtVerifier(new HmacKeySource(SECRET), "fleetshard", "fleetshard",
            Duration.ofSeconds(60), clock);

    private static ObjectNode claims() {
        return TestKeys.JSON.createObjectNode().put("iss", "fleetshard").put("aud", "fleetshard").put("sub", "ann")
                .put("role", "tenant-reader").put("tenant", "acme").put("exp", NOW.getEpochSecond() + 600);
    }

    private static ObjectNode hsHeader() {
        return TestKeys.JSON.createObjectNode().put("alg", "HS256").put("typ", "JWT");
    }

    private void rejected(String token, String reason) {
        assertThatThrownBy(() -> hs.verify(token)).isInstanceOf(InvalidTokenException.class).hasMessageContaining(
                reason);
    }

    @Test
    void acceptsAMintedTokenAndSaysWhoSentIt() throws Exception {
        assertThat(hs.verify(minter.mint("ann", Role.TENANT_WRITER, "acme", Duration.ofHours(1))))
                .isEqualTo(new Caller("ann", Role.TENANT_WRITER, "acme"));
        assertThat(hs.verify(minter.mint("ops", Role.OPERATOR, null, Duration.ofHours(1))))
                .isEqualTo(new Caller("ops", Role.OPERATOR, null));
    }

    @Test
    void acceptsAnAudienceListThatHoldsOurs() throws Exception {
        ObjectNode c = claims();
        c.putArray("aud").add("other").add("fleetshard");
        assertThat(hs.verify(minter.sign(hsHeader(), c)).tenantId()).isEqualTo("acme");
    }

    @Test
    void rejectsAnExpiredTokenBeyondTheSkew() {
        rejected(minter.sign(hsHeader(), claims().put("exp", NOW.getEpochSecond() - 61)), "expired at");
    }

    @Test
    void toleratesClockSkewAroundExpiry() throws Exception {
        assertThat(hs.verify(minter.sign(hsHeader(), claims().put("exp", NOW.getEpochSecond() - 30)))).isNotNull();
    }

    @Test
    void rejectsATokenNotYetValid() {
        rejected(minter.sign(hsHeader(), claims().put("nbf", NOW.getEpochSecond() + 120)), "not valid before");
    }

    @Test
    void rejectsATokenWithoutExpiry() {
        ObjectNode c = claims();
        c.remove("exp");
        rejected(minter.sign(hsHeader(), c), "no exp");
    }

    @Test
    void rejectsAWrongSignature() {
        String token = new JwtMinter("another-secret-that-is-long-enough!!", "fleetshard", "fleetshard", clock)
                .mint("ann", Role.ADMIN, null, Duration.ofHours(1));
        rejected(token, "signature does not verify");
        String good = minter.mint("ann", Role.TENANT_READER, "acme", Duration.ofHours(1));
        String[] p = good.split("\\.");
        String promoted = JwtMinter.encode(claims().put("role", "admin").putNull("tenant"));
        rejected(p[0] + "." + promoted + "." + p[2], "signature does not verify");
    }

    @Test
    void rejectsUnsignedTokens() {
        String header = JwtMinter.encode(TestKeys.JSON.createObjectNode().put("alg", "none"));
        rejected(header + "." + JwtMinter.encode(claims()) + ".", "alg none");
        String upper = JwtMinter.encode(TestKeys.JSON.createObjectNode().put("alg", "NONE"));
        rejected(upper + "." + JwtMinter.encode(claims()) + ".", "alg none");
    }

    @Test
    void rejectsAnAlgorithmOfAnotherKeySource() {
        rejected(TestKeys.ec("k1").sign(claims()), "alg ES256 is not accepted here; accepted: HS256");
        rejected(minter.sign(TestKeys.JSON.createObjectNode().put("alg", "HS512"), claims()), "alg HS512");
    }

    @Test
    void rejectsHs256SignedWithTheJwksPublicKeyWhenKeysComeFromAJwks() {
        // the classic confusion: an attacker signs HS256 with the (public) RSA key as the HMAC secret
        JwtVerifier jwks = new JwtVerifier(new KeySource() {
            @Override
            public Set<String> algorithms() {
                return Set.of("RS256", "ES256");
            }

            @Override
            public void verify(String alg, String kid, byte[] input, byte[] signature) {
                throw new AssertionError("no key may be looked at for alg " + alg);
            }
        }, "fleetshard", "fleetshard", Duration.ZERO, clock);
        assertThatThrownBy(() -> jwks.verify(minter.mint("x", Role.ADMIN, null, Duration.ofHours(1))))
                .isInstanceOf(InvalidTokenException.class).hasMessageContaining("alg HS256 is not accepted");
    }

    @Test
    void rejectsAWrongAudienceOrIssuer() {
        rejected(minter.sign(hsHeader(), claims().put("aud", "billing")), "audience (aud) \"billing\"");
        ObjectNode noAud = claims();
        noAud.remove("aud");
        rejected(minter.sign(hsHeader(), noAud), "audience (aud) missing");
        rejected(minter.sign(hsHeader(), claims().put("iss", "https://evil.example")), "issuer (iss)");
    }

    @Test
    void rejectsRoleAndTenantClaimsThatDoNotFit() {
        rejected(minter.sign(hsHeader(), claims().put("role", "root")), "role 'root' is not one of admin");
        ObjectNode noTenant = claims();
        noTenant.remove("tenant");
        rejected(minter.sign(hsHeader(), noTenant), "needs a tenant claim");
        rejected(minter.sign(hsHeader(), claims().put("tenant", "../etc")), "needs a tenant claim");
        rejected(minter.sign(hsHeader(), claims().put("role", "admin")), "must not name a tenant");
        rejected(minter.sign(hsHeader(), claims().put("sub", " ")), "no subject");
    }

    @Test
    void rejectsMalformedTokens() {
        rejected("abc", "not a JWT");
        rejected("a.b.c.d.e", "JWE");
        rejected("!!.e30.xx", "header is not base64url");
        rejected(Base64.getUrlEncoder().encodeToString("[1]".getBytes()) + ".e30.", "header is not a JSON object");
        rejected("x".repeat(JwtVerifier.MAX_TOKEN_CHARS + 1), "longer than");
        rejected(minter.sign(hsHeader().put("crit", "exp"), claims()), "crit");
    }

    @Test
    void minterRefusesShortSecretsAndMismatchedTenants() {
        assertThatThrownBy(() -> JwtMinter.withDefaults("short")).hasMessageContaining("at least 32");
        assertThatThrownBy(() -> minter.mint("a", Role.ADMIN, "acme", Duration.ofHours(1)))
                .hasMessageContaining("not bound to a tenant");
        assertThatThrownBy(() -> minter.mint("a", Role.TENANT_READER, null, Duration.ofHours(1)))
                .hasMessageContaining("needs a tenant");
        assertThat(List.of(Role.values())).extracting(Role::wireName)
                .containsExactly("admin", "operator", "tenant-writer", "tenant-reader");
    }

    @Test
    void aVerifiedTokenIsAnsweredFromMemoryOnlyWhileItIsValid() throws Exception {
        io.fleetshard.testkit.ManualClock moving = new io.fleetshard.testkit.ManualClock(NOW);
        JwtVerifier cached = new JwtVerifier(new HmacKeySource(SECRET), "fleetshard", "fleetshard",
                Duration.ofSeconds(60), moving);
        String token = new JwtMinter(SECRET, "fleetshard", "fleetshard", moving).mint("ann", Role.TENANT_WRITER,
                "acme", Duration.ofSeconds(120));
        Caller ann = new Caller("ann", Role.TENANT_WRITER, "acme");
        assertThat(cached.verify(token)).isEqualTo(ann);
        assertThat(cached.verify(token)).isEqualTo(ann);
        assertThat(cached.cachedTokens()).isEqualTo(1);
        // past the cache's time the token is verified again (still valid: exp + skew is 180 s away)
        moving.advance(Duration.ofSeconds(JwtVerifier.CACHE_TTL_SECONDS + 1));
        assertThat(cached.verify(token)).isEqualTo(ann);
        // past exp + skew the cached entry does not answer: the full check does, and says why
        moving.advance(Duration.ofSeconds(120));
        assertThatThrownBy(() -> cached.verify(token)).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("expired at");
        assertThat(cached.cachedTokens()).isZero();
    }

    @Test
    void aTokenNotYetValidIsNotAnsweredFromMemoryBeforeItsTime() throws Exception {
        ObjectNode c = claims().put("nbf", NOW.getEpochSecond() + 30); // within the skew: accepted now
        String token = minter.sign(hsHeader(), c);
        assertThat(hs.verify(token)).isNotNull();
        assertThat(hs.verify(token)).isNotNull();
        // a rejected token is never remembered, and a changed byte is another token
        String forged = token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BB" : "AA");
        rejected(forged, "signature");
        rejected(forged, "signature");
        assertThat(hs.cachedTokens()).isEqualTo(1);
    }
}
