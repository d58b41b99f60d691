package io.fleetshard.client;

/**
 * 400 (or 413): the request is invalid: unknown field, bad consistency, more than one statement, a forbidden
 * statement ({@code SET}, {@code BEGIN}...), a placeholder count that differs from the params, a scatter write, a
 * body too large. Fix the request; retrying does not help.
 */
public final class InvalidQueryException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    InvalidQueryException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
    }
}
