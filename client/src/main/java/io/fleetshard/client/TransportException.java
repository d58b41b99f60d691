package io.fleetshard.client;

/**
 * No HTTP answer: the connection was refused or broke, the request timed out, or the thread was interrupted (its
 * interrupt flag is set again). {@link #status()} is 0. See {@link #mayHaveExecuted()} for writes.
 */
public final class TransportException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    TransportException(String message, boolean mayHaveExecuted, Throwable cause) {
        super(message, null, mayHaveExecuted, cause);
    }
}
