package io.fleetshard.client;

/**
 * 409: a unique violation on the shard (the row exists).
 */
public final class ConflictException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    ConflictException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
    }
}
