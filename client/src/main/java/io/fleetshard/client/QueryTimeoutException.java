package io.fleetshard.client;

/**
 * 504: the statement did not finish within the router's request timeout ({@code router.request.timeout.ms}). Not
 * retried by the client.
 */
public final class QueryTimeoutException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    QueryTimeoutException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
    }
}
