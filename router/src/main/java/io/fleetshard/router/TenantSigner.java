package io.fleetshard.router;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tenant signature a shard checks before it lets a statement see a tenant's rows: lower-case hex SHA-256 of the
 * UTF-8 bytes of {@code secret + ':' + tenantId}. Only holders of the secret (the router and the shard's protected
 * secret table) can produce it, so SQL sent by a client cannot claim another tenant. Signatures are cached per tenant.
 */
final class TenantSigner {
    private static final int MAX_CACHED = 100_000;

    private final String secret;
    private final ConcurrentHashMap<String, String> cache = new ConcurrentHashMap<>();

    TenantSigner(String secret) {
        this.secret = secret;
    }

    String signatureOf(String tenantId) {
        String sig = cache.get(tenantId);
        if (sig == null) {
            sig = sign(secret, tenantId);
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            cache.put(tenantId, sig);
        }
        return sig;
    }

    static String sign(String secret, String tenantId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest((secret + ":" + tenantId).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
