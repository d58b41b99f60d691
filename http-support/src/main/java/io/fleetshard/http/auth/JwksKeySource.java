package io.fleetshard.http.auth;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RS256 and ES256 keys of an identity provider's JWKS. The set is fetched on first use and kept for
 * {@code maxAge}; a token whose {@code kid} is not in it fetches the set again (the provider rotated its keys), at most
 * once per {@code minRefresh}, so random {@code kid}s cannot make us flood the provider. A failed fetch keeps the
 * keys already known; with none known, the server cannot check anyone ({@link KeysUnavailableException}, 503).
 */
final class JwksKeySource implements KeySource {
    private static final Logger LOG = LoggerFactory.getLogger(JwksKeySource.class);

    private final URI url;
    private final HttpClient http;
    private final Duration timeout;
    private final Duration maxAge;
    private final Duration minRefresh;
    private final Clock clock;
    private volatile KeySet current;
    /** When the last fetch was tried, successful or not (guarded by this). */
    private Instant lastAttempt;

    private record KeySet(List<JwkSetParser.Jwk> keys, Instant fetchedAt) {
    }

    JwksKeySource(URI url, Duration timeout, Duration maxAge, Duration minRefresh, Clock clock) {
        this.url = url;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.timeout = timeout;
        this.maxAge = maxAge;
        this.minRefresh = minRefresh;
        this.clock = clock;
    }

    @Override
    public Set<String> algorithms() {
        return Set.of("RS256", "ES256");
    }

    @Override
    public void verify(String alg, String kid, byte[] signingInput, byte[] signature) throws InvalidTokenException {
        KeySet keys = current;
        if (keys == null || clock.instant().isAfter(keys.fetchedAt().plus(maxAge))) {
            keys = refresh(keys, false);
        }
        JwkSetParser.Jwk key = find(keys, alg, kid);
        if (key == null && kid != null) {
            keys = refresh(keys, true); // an unknown kid: the provider may have rotated its keys since we fetched
            key = find(keys, alg, kid);
        }
        if (key == null) {
            throw new InvalidTokenException(kid == null
                    ? "the token names no kid and the JWKS at " + url + " does not hold exactly one " + alg + " key"
                    : "no " + alg + " key with kid '" + kid + "' in the JWKS at " + url);
        }
        if (!signatureMatches(key, signingInput, signature)) {
            throw new InvalidTokenException("signature does not verify");
        }
    }

    private static JwkSetParser.Jwk find(KeySet keys, String alg, String kid) {
        List<JwkSetParser.Jwk> fits = keys.keys().stream().filter(k -> k.alg().equals(alg)
                && (kid == null || kid.equals(k.kid()))).toList();
        return fits.size() == 1 ? fits.get(0) : null;
    }

    private static boolean signatureMatches(JwkSetParser.Jwk key, byte[] input, byte[] signature) {
        try {
            Signature s;
            if (key.alg().equals("ES256")) {
                // JWS carries R || S, 32 bytes each (RFC 7518 3.4); a zero R or S is never valid
                if (signature.length != 64 || isZero(signature, 0) || isZero(signature, 32)) {
                    return false;
                }
                s = Signature.getInstance("SHA256withECDSAinP1363Format");
            } else {
                s = Signature.getInstance("SHA256withRSA");
            }
            s.initVerify(key.key());
            s.update(input);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean isZero(byte[] b, int from) {
        for (int i = from; i < from + 32; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fetches the set unless another thread just did, or (for an unknown kid) the last attempt is more recent than
     * {@code minRefresh}. Returns the keys to use: the new ones, or the known ones if the fetch failed or was skipped.
     */
    private synchronized KeySet refresh(KeySet seen, boolean unknownKid) {
        KeySet now = current;
        if (now != null && now != seen) {
            return now; // fetched by another thread meanwhile
        }
        Instant t = clock.instant();
        if (now != null && lastAttempt != null && t.isBefore(lastAttempt.plus(minRefresh))) {
            return now;
        }
        lastAttempt = t;
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(url).timeout(timeout)
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IOException("answered HTTP " + r.statusCode());
            }
            List<JwkSetParser.Jwk> keys = JwkSetParser.parse(r.body());
            KeySet fetched = new KeySet(keys, t);
            current = fetched;
            LOG.info("fetched {} signing key(s) {} from the JWKS at {}{}", keys.size(),
                    keys.stream().map(JwkSetParser.Jwk::kid).toList(), url, unknownKid ? " (a token named an"
                            + " unknown kid)" : "");
            return fetched;
        } catch (IOException | IllegalArgumentException e) {
            return failed(now, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(now, e);
        }
    }

    private KeySet failed(KeySet known, Exception e) {
        if (known != null) {
            LOG.warn("cannot fetch the JWKS at {} ({}); going on with the {} key(s) fetched at {}", url, e.toString(),
                    known.keys().size(), known.fetchedAt());
            return known;
        }
        throw new KeysUnavailableException("cannot fetch the signing keys from " + url + ": " + e.getMessage(), e);
    }
}
