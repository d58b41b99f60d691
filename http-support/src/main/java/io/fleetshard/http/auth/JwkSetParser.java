package io.fleetshard.http.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads a JSON Web Key Set (RFC 7517): the RSA keys (for RS256) and P-256 EC keys (for ES256) meant for signatures.
 * Other keys (encryption keys, other curves or types, RSA keys under 2048 bits) are skipped, not fatal: an identity
 * provider may publish keys that are not for us.
 */
final class JwkSetParser {
    static final int MIN_RSA_BITS = 2048;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One usable key: its {@code kid} (may be null), the {@code alg} it checks, the key. */
    record Jwk(String kid, String alg, PublicKey key) {
    }

    private JwkSetParser() {
    }

    /** The usable keys of {@code body}; {@link IllegalArgumentException} if it is not a JWKS at all. */
    static List<Jwk> parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        JsonNode keys = root == null ? null : root.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new IllegalArgumentException("not a JWK set: no \"keys\" array");
        }
        List<Jwk> out = new ArrayList<>();
        for (JsonNode k : keys) {
            Jwk jwk = key(k);
            if (jwk != null) {
                out.add(jwk);
            }
        }
        return List.copyOf(out);
    }

    private static Jwk key(JsonNode k) {
        String use = text(k, "use");
        if (use != null && !use.equals("sig")) {
            return null;
        }
        String kid = text(k, "kid");
        String declaredAlg = text(k, "alg");
        try {
            switch (String.valueOf(text(k, "kty"))) {
                case "RSA" -> {
                    if (declaredAlg != null && !declaredAlg.equals("RS256")) {
                        return null;
                    }
                    RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                            new RSAPublicKeySpec(unsigned(k, "n"), unsigned(k, "e")));
                    return key.getModulus().bitLength() < MIN_RSA_BITS ? null : new Jwk(kid, "RS256", key);
                }
                case "EC" -> {
                    if (!"P-256".equals(text(k, "crv")) || (declaredAlg != null && !declaredAlg.equals("ES256"))) {
                        return null;
                    }
                    byte[] x = bytes(k, "x");
                    byte[] y = bytes(k, "y");
                    if (x.length != 32 || y.length != 32) {
                        return null;
                    }
                    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                    params.init(new ECGenParameterSpec("secp256r1"));
                    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
                    PublicKey key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                            new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
                    return new Jwk(kid, "ES256", key);
                }
                default -> {
                    return null;
                }
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null; // a malformed key is one we cannot use; the others still count
        }
    }

    private static String text(JsonNode k, String field) {
        JsonNode v = k.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static byte[] bytes(JsonNode k, String field) {
        String v = text(k, field);
        if (v == null) {
            throw new IllegalArgumentException(field + " is missing");
        }
        return Base64.getUrlDecoder().decode(v);
    }

    private static BigInteger unsigned(JsonNode k, String field) {
        return new BigInteger(1, bytes(k, field));
    }
}
