package io.fleetshard.http.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/** Key pairs of an identity provider in tests: signs RS256/ES256 tokens and publishes the public half as a JWK. */
final class TestKeys {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    final String kid;
    final String alg;
    private final KeyPair pair;

    private TestKeys(String kid, String alg, KeyPair pair) {
        this.kid = kid;
        this.alg = alg;
        this.pair = pair;
    }

    static TestKeys rsa(String kid) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return new TestKeys(kid, "RS256", g.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static TestKeys ec(String kid) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return new TestKeys(kid, "ES256", g.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public key as a JWK. */
    ObjectNode jwk() {
        ObjectNode k = JSON.createObjectNode().put("kid", kid).put("use", "sig").put("alg", alg);
        if (pair.getPublic() instanceof RSAPublicKey rsa) {
            k.put("kty", "RSA").put("n", unsigned(rsa.getModulus(), 0)).put("e", unsigned(rsa.getPublicExponent(), 0));
        } else {
            ECPublicKey ec = (ECPublicKey) pair.getPublic();
            k.put("kty", "EC").put("crv", "P-256").put("x", unsigned(ec.getW().getAffineX(), 32))
                    .put("y", unsigned(ec.getW().getAffineY(), 32));
        }
        return k;
    }

    static String jwks(TestKeys... keys) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("keys");
        for (TestKeys k : keys) {
            list.add(k.jwk());
        }
        return root.toString();
    }

    /** A token with {@code claims}, signed by this key, its header naming {@code kid} (none if null). */
    String sign(ObjectNode claims, String headerKid) {
        ObjectNode header = JSON.createObjectNode().put("alg", alg).put("typ", "JWT");
        if (headerKid != null) {
            header.put("kid", headerKid);
        }
        String input = JwtMinter.encode(header) + "." + JwtMinter.encode(claims);
        try {
            Signature s = Signature.getInstance(alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
            s.initSign(pair.getPrivate());
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + B64.encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String sign(ObjectNode claims) {
        return sign(claims, kid);
    }

    private static String unsigned(BigInteger v, int length) {
        byte[] b = v.toByteArray();
        if (b[0] == 0 && b.length > 1) {
            b = Arrays.copyOfRange(b, 1, b.length);
        }
        if (length > b.length) {
            byte[] padded = new byte[length];
            System.arraycopy(b, 0, padded, length - b.length, b.length);
            b = padded;
        }
        return B64.encodeToString(b);
    }
}
