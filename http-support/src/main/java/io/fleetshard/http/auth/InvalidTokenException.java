package io.fleetshard.http.auth;

/** A token that proves nothing: absent, malformed, expired, badly signed, or for another issuer or audience (401). */
final class InvalidTokenException extends Exception {
    InvalidTokenException(String message) {
        super(message);
    }
}
