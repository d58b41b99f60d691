package io.fleetshard.client;

/**
 * 404: the tenant or the fleet is not registered in the shard map. Register it with the control API.
 */
public final class NotFoundException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
    }
}
