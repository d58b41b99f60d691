package io.fleetshard.client;

/**
 * 401 or 403 (ADR 0018): the token is missing, expired or not valid (401), or its role or tenant may not do this (403,
 * e.g. a tenant-reader token sending a write, or a request naming another tenant). Nothing ran; not retried.
 */
public final class NotAuthorizedException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    NotAuthorizedException(String message, Problem problem) {
        super(message, problem, false, null);
    }
}
