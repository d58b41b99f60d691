package io.fleetshard.client;

/**
 * Everything the client throws. When the router (or control API) answered with an {@code application/problem+json}
 * body, {@link #status()}, {@link #type()}, {@link #title()}, {@link #detail()} and {@link #instance()} are its fields
 * ({@code detail} is the server's text, unchanged); otherwise {@link #status()} is 0 and the rest may be null.
 *
 * <p>Subclasses by status: {@link InvalidQueryException} (400, 413), {@link NotAuthorizedException} (401, 403),
 * {@link NotFoundException} (404),
 * {@link ConflictException} (409), {@link QueryRejectedException} (422), {@link UnavailableException} (503),
 * {@link QueryTimeoutException} (504); {@link TransportException} when no answer came. Other statuses are this class.
 */
public class FleetShardException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String title;
    private final String detail;
    private final String instance;
    private final boolean mayHaveExecuted;

    FleetShardException(String message, Problem problem, boolean mayHaveExecuted, Throwable cause) {
        super(message, cause);
        this.status = problem == null ? 0 : problem.status();
        this.type = problem == null ? null : problem.type();
        this.title = problem == null ? null : problem.title();
        this.detail = problem == null ? null : problem.detail();
        this.instance = problem == null ? null : problem.instance();
        this.mayHaveExecuted = mayHaveExecuted;
    }

    /** HTTP status of the answer; 0 when there was none. */
    public int status() {
        return status;
    }

    /** The problem's {@code type} URI, e.g. {@code https://fleetshard.io/problems/unprocessable}; may be null. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    /** The server's explanation, unchanged (e.g. the database's message for a 422); may be null. */
    public String detail() {
        return detail;
    }

    /** The problem's {@code instance}, when the server sent one. */
    public String instance() {
        return instance;
    }

    /**
     * True when this was a write whose outcome is unknown: it may have been applied although it failed here (the
     * connection broke or timed out after the request was sent, or the router answered 503 without saying nothing was
     * written). Read the data back before writing again; the client never retries such a write.
     */
    public boolean mayHaveExecuted() {
        return mayHaveExecuted;
    }
}
