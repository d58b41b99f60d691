package io.fleetshard.http.auth;

import java.util.Set;

/** Where the keys that check token signatures come from: a shared HS256 secret, or a JWKS of RS256/ES256 keys. */
interface KeySource {
    /** The {@code alg}s this source checks; a token with any other is rejected before any key is looked at. */
    Set<String> algorithms();

    /**
     * Checks {@code signature} over {@code signingInput} with the key for {@code alg} and {@code kid}.
     *
     * @throws InvalidTokenException if no key fits or the signature does not verify
     * @throws KeysUnavailableException if the keys cannot be had right now (JWKS unreachable, nothing cached)
     */
    void verify(String alg, String kid, byte[] signingInput, byte[] signature) throws InvalidTokenException;

    /** The key set could not be fetched and nothing usable is cached: the server, not the token, is at fault. */
    final class KeysUnavailableException extends RuntimeException {
        KeysUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
