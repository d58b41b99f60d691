package io.fleetshard.http.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * Signs HS256 tokens with a shared secret: the dev platform's banner token, {@code fleetshard token}, and tests. In
 * production an identity provider issues tokens (RS256/ES256 via its JWKS); nothing here signs with a private key.
 */
public final class JwtMinter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final HmacKeySource key;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    /** A minter whose tokens the servers configured with the same secret, issuer and audience accept. */
    public JwtMinter(String secret, String issuer, String audience, Clock clock) {
        if (Objects.requireNonNull(secret, "secret").length() < AuthConfig.MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("an HS256 secret needs at least " + AuthConfig.MIN_SECRET_LENGTH
                    + " characters, got " + secret.length());
        }
        this.key = new HmacKeySource(secret);
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.audience = Objects.requireNonNull(audience, "audience");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A minter with the default issuer and audience ({@code fleetshard}) and the system clock. */
    public static JwtMinter withDefaults(String secret) {
        return new JwtMinter(secret, "fleetshard", "fleetshard", Clock.systemUTC());
    }

    /**
     * A token for {@code subject} with {@code role}, valid for {@code ttl} from now.
     *
     * @param tenantId the tenant of a tenant role; must be null for {@code admin} and {@code operator}
     */
    public String mint(String subject, Role role, String tenantId, Duration ttl) {
        new Caller(subject, role, tenantId); // the same rules as a verified token's
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        long now = clock.instant().getEpochSecond();
        ObjectNode claims = JSON.createObjectNode().put("iss", issuer).put("aud", audience).put("sub", subject)
                .put("role", role.wireName()).put("iat", now).put("nbf", now).put("exp", now + ttl.toSeconds())
                .put("jti", UUID.randomUUID().toString());
        if (tenantId != null) {
            claims.put("tenant", tenantId);
        }
        return sign(JSON.createObjectNode().put("alg", HmacKeySource.HS256).put("typ", "JWT"), claims);
    }

    /** Signs any header and claims (tests build wrong tokens with it). */
    String sign(ObjectNode header, ObjectNode claims) {
        String input = encode(header) + "." + encode(claims);
        return input + "." + B64.encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
    }

    static String encode(ObjectNode json) {
        return B64.encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }
}
