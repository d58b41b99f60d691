package io.fleetshard.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;

/**
 * Sends one call to the router with bounded, declared retries. The one place that decides what is retried:
 *
 * <ul>
 *   <li><b>503</b>: a read always (the router did not serve it); a write only when the router says nothing was
 *       written (problem type {@code fleet-moving}). Every other 503 of a write may hide a statement that ran: the
 *       router answers 503 also when the connection to the database broke mid-statement (SQLSTATE class 08), so the
 *       client cannot tell "never sent" from "committed, answer lost".
 *   <li><b>No connection</b> (refused, connect timeout, unknown host): reads and writes, since the request never
 *       left. Attempts after such a failure go to the next router of the call's list (the regional router, then the
 *       default one).
 *   <li><b>Broken connection or request timeout</b> after the request was sent: not retried. A read's timeout is the
 *       caller's deadline; a write's outcome is unknown ({@link FleetShardException#mayHaveExecuted()}).
 *   <li>Everything else (4xx, 504, 500) is final.
 * </ul>
 *
 * <p>Queries and batches go to the router's query port when it advertises one ({@link QueryPorts}, ADR 0042). When
 * that port cannot be connected to, or its TLS handshake fails (ADR 0044), the same attempt is made again at once on
 * the router's main port (the request never left: no attempt counted, no wait); any other transport failure there is
 * the attempt's failure, as above.
 * Either way the router's queries use its main port for a while.
 *
 * <p>A retry waits the answer's {@code Retry-After}, else a backoff (100 ms doubling, at most 2 s). Bounded by
 * {@code maxAttempts} attempts in all and {@code maxRetryWait} of waiting in all: a wait that would pass the budget
 * is not waited, the last failure is thrown instead.
 */
final class RetryingSender {
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    /** One call: a description for messages, the routers to try in order, the path and body, and what it is. */
    record Call(String what, List<URI> routers, String path, byte[] body, Duration timeout, StatementKind kind) {
        Call {
            if (routers.isEmpty()) {
                throw new IllegalArgumentException("a call needs at least one router");
            }
            routers = List.copyOf(routers);
        }
    }

    private final JsonHttp http;
    private final QueryPorts queryPorts;
    private final int maxAttempts;
    private final Duration maxRetryWait;
    private final Sleeper sleeper;
    private final Clock clock;

    RetryingSender(JsonHttp http, QueryPorts queryPorts, int maxAttempts, Duration maxRetryWait, Sleeper sleeper,
            Clock clock) {
        this.http = http;
        this.queryPorts = queryPorts;
        this.maxAttempts = maxAttempts;
        this.maxRetryWait = maxRetryWait;
        this.sleeper = sleeper;
        this.clock = clock;
    }

    /** The body of the first 2xx answer; else the typed exception of the last failure. */
    byte[] send(Call call) {
        boolean read = call.kind() == StatementKind.READ;
        Duration waited = Duration.ZERO;
        int routerIndex = 0;
        boolean queryPath = QueryPorts.serves(call.path());
        for (int attempt = 1; ; attempt++) {
            URI router = call.routers().get(routerIndex);
            URI base = queryPath ? queryPorts.baseFor(router) : router;
            boolean viaQueryPort = base != router; // baseFor answers router itself when not a query port
            URI uri = resolve(base, call.path());
            String context = "POST " + uri + (viaQueryPort ? " (the query port of " + router + ")" : "") + " "
                    + call.what() + " (attempt " + attempt + " of " + maxAttempts;
            Problem problem = null;
            IOException io = null;
            try {
                JsonHttp.Response r = http.post(uri, call.body(), call.timeout());
                if (!viaQueryPort) {
                    queryPorts.learn(router, r.queryPort());
                }
                if (r.ok()) {
                    return r.body();
                }
                problem = Problem.parse(r.status(), r.retryAfter(), r.body(), clock.instant());
            } catch (IOException e) {
                io = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransportException(context + "): interrupted while waiting for the answer", !read, e);
            }
            if (viaQueryPort && io != null && (neverSent(io) || !(io instanceof HttpTimeoutException))) {
                queryPorts.failed(router); // refused, or cut before an answer: the main port for a while
                if (neverSent(io) || handshakeFailed(io)) {
                    attempt--; // the request never left: the same attempt, on the main port, at once
                    continue;
                }
            }
            boolean retriable;
            Duration wait;
            if (problem != null) {
                retriable = problem.status() == 503 && (read || nothingWritten(problem));
                wait = problem.retryAfter() != null ? problem.retryAfter() : backoff(attempt);
            } else {
                retriable = neverSent(io);
                wait = backoff(attempt);
                if (retriable) {
                    routerIndex = Math.min(routerIndex + 1, call.routers().size() - 1);
                }
            }
            if (!retriable) {
                throw failure(context + ")", problem, io, read);
            }
            if (attempt >= maxAttempts) {
                throw failure(context + ", the last)", problem, io, read);
            }
            if (waited.plus(wait).compareTo(maxRetryWait) > 0) {
                throw failure(context + "; not retried: waiting " + wait.toMillis() + " ms more would pass the retry"
                        + " budget of " + maxRetryWait.toMillis() + " ms, " + waited.toMillis() + " ms waited)",
                        problem, io, read);
            }
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure(context + "; interrupted while waiting to retry)", problem, io, read);
            }
            waited = waited.plus(wait);
        }
    }

    private static boolean nothingWritten(Problem p) {
        return Problem.FLEET_MOVING.equals(Problem.slugOf(p.type()));
    }

    private static FleetShardException failure(String context, Problem problem, IOException io, boolean read) {
        if (problem != null) {
            return problem.toException(context, !read && !nothingWritten(problem));
        }
        boolean neverSent = neverSent(io);
        return new TransportException(context + ": " + describe(io) + (neverSent ? ""
                : read ? "; a read that timed out or broke after it was sent is not retried"
                : "; the write may have been applied: read it back before writing again"),
                !read && !neverSent, io);
    }

    static URI resolve(URI base, String path) {
        String b = base.toString();
        return URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) + path : b + path);
    }

    static Duration backoff(int attempt) {
        long ms = FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }

    /** True when the request surely never reached the server: no connection could be made. */
    static boolean neverSent(IOException e) {
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
            return true;
        }
        if (e instanceof HttpTimeoutException) {
            return false;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a TLS handshake failed: nothing of the request was sent (the JDK's client sends no early data). Only
     * used for a query port, whose fallback is the router's main port; on a main port the same failure is final.
     */
    static boolean handshakeFailed(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within the connect timeout";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within the request timeout";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
