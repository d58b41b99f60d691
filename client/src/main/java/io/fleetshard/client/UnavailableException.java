package io.fleetshard.client;

import java.time.Duration;
import java.util.Optional;

/**
 * 503: the router could not serve now (no node reachable, pool timeout, map not loaded, failover in progress,
 * serialization failure or deadlock, a failed scatter shard, a write held too long while its fleet is moved). The
 * client already retried it when that was safe, within its retry budget; this is the last answer.
 */
public final class UnavailableException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    UnavailableException(String message, Problem problem, boolean mayHaveExecuted) {
        super(message, problem, mayHaveExecuted, null);
        this.retryAfter = problem.retryAfter();
    }

    /** The router's {@code Retry-After}, when it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** True when the router said that nothing was written (problem type {@code fleet-moving}). */
    public boolean nothingWritten() {
        return Problem.FLEET_MOVING.equals(Problem.slugOf(type()));
    }
}
