package io.fleetshard.http.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * Checks a compact JWS (RFC 7515/7519) and says who sent it (ADR 0018). In this order: the shape, an {@code alg} the
 * key source accepts ({@code none} and the other source's algorithms never are: no algorithm confusion), no
 * {@code crit} header, the signature, then the claims: {@code exp} (required), {@code nbf}, {@code iss}, {@code aud},
 * {@code sub}, {@code role} and, for a tenant role only, {@code tenant}. Every failure is an
 * {@link InvalidTokenException} whose message says what was wrong, never the token itself.
 *
 * <p>A token that passed is remembered (ADR 0020, "Verified tokens are cached"): the same token again, while it is
 * within its {@code exp} and {@code nbf} (with the skew) and for at most {@link #CACHE_TTL_SECONDS}, is answered from
 * memory without checking its signature or parsing it again. Keys are SHA-256 digests of the token, not the token;
 * at most {@link #CACHE_MAX_ENTRIES} are kept, and the whole cache is dropped when it is full. Rejected tokens are never
 * cached.
 */
final class JwtVerifier {
    /** How long a verified token is answered from memory at most: below the JWKS key cache's default of 10 minutes. */
    static final long CACHE_TTL_SECONDS = 60;
    /** Most verified tokens remembered. */
    static final int CACHE_MAX_ENTRIES = 10_000;
    /** Longest accepted token: a bound on the work a request can ask of us before it is authenticated. */
    static final int MAX_TOKEN_CHARS = 8_192;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A tenant id as the shard map spells one (shard-map's {@code Ids}). */
    private static final java.util.regex.Pattern TENANT_ID = java.util.regex.Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final KeySource keys;
    private final String issuer;
    private final String audience;
    private final long skewSeconds;
    private final Clock clock;
    private final java.util.concurrent.ConcurrentHashMap<TokenDigest, Verified> verified =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A verified token's caller and the seconds-since-epoch window in which the cache may answer for it. */
    private record Verified(Caller caller, long notBefore, long notAfter) {
    }

    /** The SHA-256 of a token: the cache key (equals and hashCode over the digest's bytes). */
    private record TokenDigest(long a, long b, long c, long d) {
        static TokenDigest of(String token) {
            try {
                java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(token.getBytes(StandardCharsets.UTF_8)));
                return new TokenDigest(h.getLong(), h.getLong(), h.getLong(), h.getLong());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK lacks SHA-256", e);
            }
        }
    }

    JwtVerifier(KeySource keys, String issuer, String audience, java.time.Duration clockSkew, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.audience = Objects.requireNonNull(audience, "audience");
        this.skewSeconds = clockSkew.toSeconds();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The verifier of {@code config}'s key source. */
    static JwtVerifier of(AuthConfig config, Clock clock) {
        KeySource keys = config.jwksUrl() != null
                ? new JwksKeySource(config.jwksUrl(), config.jwksTimeout(), config.jwksMaxAge(),
                        config.jwksMinRefresh(), clock)
                : new HmacKeySource(Objects.requireNonNull(config.jwtSecret(), "no key source configured"));
        return new JwtVerifier(keys, config.issuer(), config.audience(), config.clockSkew(), clock);
    }

    Caller verify(String token) throws InvalidTokenException {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidTokenException("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        TokenDigest key = TokenDigest.of(token);
        long now = clock.instant().getEpochSecond();
        Verified known = verified.get(key);
        if (known != null) {
            if (now >= known.notBefore() && now < known.notAfter()) {
                return known.caller();
            }
            verified.remove(key); // expired (or its cache time is over): verify it again, which says why
        }
        Verified v = verifyFully(token, now);
        if (verified.size() >= CACHE_MAX_ENTRIES) {
            verified.clear();
        }
        verified.put(key, v);
        return v.caller();
    }

    int cachedTokens() {
        return verified.size();
    }

    private Verified verifyFully(String token, long now) throws InvalidTokenException {
        String[] parts = token.split("\\.", -1);
        if (parts.length == 5) {
            throw new InvalidTokenException("encrypted tokens (JWE) are not accepted; send a signed JWT");
        }
        if (parts.length != 3) {
            throw new InvalidTokenException("not a JWT: expected header.payload.signature");
        }
        JsonNode header = json(parts[0], "header");
        String alg = header.path("alg").isTextual() ? header.path("alg").asText() : null;
        if (alg == null) {
            throw new InvalidTokenException("the header names no alg");
        }
        if (alg.equalsIgnoreCase("none")) {
            throw new InvalidTokenException("unsigned tokens (alg none) are not accepted");
        }
        if (!keys.algorithms().contains(alg)) {
            throw new InvalidTokenException("alg " + alg + " is not accepted here; accepted: "
                    + String.join(", ", keys.algorithms().stream().sorted().toList()));
        }
        if (header.has("crit")) {
            throw new InvalidTokenException("the header has critical extensions (crit), which this server does not"
                    + " understand");
        }
        JsonNode kidNode = header.get("kid");
        String kid = kidNode != null && kidNode.isTextual() ? kidNode.asText() : null;
        keys.verify(alg, kid, (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII),
                decode(parts[2], "signature"));
        return claims(json(parts[1], "payload"), now);
    }

    private Verified claims(JsonNode c, long now) throws InvalidTokenException {
        long exp = seconds(c, "exp");
        if (exp == Long.MIN_VALUE) {
            throw new InvalidTokenException("the token has no exp (expiry) claim");
        }
        if (now - skewSeconds >= exp) {
            throw new InvalidTokenException("the token expired at " + Instant.ofEpochSecond(exp));
        }
        long nbf = seconds(c, "nbf");
        if (nbf != Long.MIN_VALUE && now + skewSeconds < nbf) {
            throw new InvalidTokenException("the token is not valid before " + Instant.ofEpochSecond(nbf));
        }
        if (!issuer.equals(c.path("iss").asText(null))) {
            throw new InvalidTokenException("the token's issuer (iss) is " + quoted(c.get("iss")) + ", expected '"
                    + issuer + "'");
        }
        if (!hasAudience(c.get("aud"))) {
            throw new InvalidTokenException("the token's audience (aud) " + quoted(c.get("aud")) + " does not hold '"
                    + audience + "'");
        }
        String subject = c.path("sub").isTextual() ? c.path("sub").asText().strip() : "";
        if (subject.isEmpty()) {
            throw new InvalidTokenException("the token has no subject (sub)");
        }
        if (!c.path("role").isTextual()) {
            throw new InvalidTokenException("the token has no role claim; roles: " + Role.names());
        }
        Role role;
        try {
            role = Role.parse(c.path("role").asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("the token's " + e.getMessage());
        }
        JsonNode tenant = c.get("tenant");
        if (role.isTenantRole()) {
            if (tenant == null || !tenant.isTextual() || !TENANT_ID.matcher(tenant.asText()).matches()) {
                throw new InvalidTokenException("a " + role + " token needs a tenant claim naming its tenant");
            }
            return window(new Caller(subject, role, tenant.asText()), now, exp, nbf);
        }
        if (tenant != null && !tenant.isNull()) {
            throw new InvalidTokenException("a " + role + " token must not name a tenant: its role reaches every"
                    + " tenant");
        }
        return window(new Caller(subject, role, null), now, exp, nbf);
    }

    /** When the cache may answer for a token checked at {@code now}: the checks above, for at most the cache TTL. */
    private Verified window(Caller caller, long now, long exp, long nbf) {
        long notBefore = nbf == Long.MIN_VALUE ? Long.MIN_VALUE : nbf - skewSeconds;
        return new Verified(caller, notBefore, Math.min(exp + skewSeconds, now + CACHE_TTL_SECONDS));
    }

    private boolean hasAudience(JsonNode aud) {
        if (aud == null) {
            return false;
        }
        if (aud.isTextual()) {
            return aud.asText().equals(audience);
        }
        if (aud.isArray()) {
            for (JsonNode a : aud) {
                if (a.isTextual() && a.asText().equals(audience)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long seconds(JsonNode c, String claim) throws InvalidTokenException {
        JsonNode v = c.get(claim);
        if (v == null || v.isNull()) {
            return Long.MIN_VALUE;
        }
        if (!v.isNumber() || !v.canConvertToLong()) {
            throw new InvalidTokenException("the " + claim + " claim must be a number of seconds since the epoch");
        }
        return v.asLong();
    }

    private static String quoted(JsonNode v) {
        if (v == null) {
            return "missing";
        }
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static JsonNode json(String part, String what) throws InvalidTokenException {
        try {
            JsonNode n = JSON.readTree(decode(part, what));
            if (n == null || !n.isObject()) {
                throw new InvalidTokenException("the " + what + " is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new InvalidTokenException("the " + what + " is not JSON");
        }
    }

    private static byte[] decode(String part, String what) throws InvalidTokenException {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("the " + what + " is not base64url");
        }
    }
}
