package io.fleetshard.client;

/**
 * 422: the shard rejected the SQL (syntax, unknown column or table, permission, row-level security or {@code CHECK
 * OPTION}), or a scatter statement has aggregates the router cannot merge; {@link #detail()} is the database's or
 * router's message.
 */
public final class QueryRejectedException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    QueryRejectedException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
    }
}
