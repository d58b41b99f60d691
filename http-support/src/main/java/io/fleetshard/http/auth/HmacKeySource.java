package io.fleetshard.http.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HS256 with one shared secret (the dev platform's, or a deployment without an identity provider). */
final class HmacKeySource implements KeySource {
    static final String HS256 = "HS256";
    private final SecretKeySpec key;

    HmacKeySource(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    @Override
    public Set<String> algorithms() {
        return Set.of(HS256);
    }

    @Override
    public void verify(String alg, String kid, byte[] signingInput, byte[] signature) throws InvalidTokenException {
        // constant-time comparison: the time taken must not tell how much of a forged signature was right
        if (!MessageDigest.isEqual(sign(signingInput), signature)) {
            throw new InvalidTokenException("signature does not verify");
        }
    }

    byte[] sign(byte[] signingInput) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(signingInput);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
