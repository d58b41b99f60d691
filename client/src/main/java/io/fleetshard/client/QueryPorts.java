package io.fleetshard.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The routers' blocking query ports (router ADR 0039), as each router names its own in the
 * {@value #HEADER} header of its main port's answers (ADR 0042): {@code POST /v1/query} and {@code /v1/query/batch}
 * go there, everything else stays on the router's URL.
 *
 * <ul>
 *   <li>Learned from every answer of a router's main port (no request of its own), so a router that starts or stops
 *       advertising one, or moves it, is followed by the next answer from its main port.
 *   <li>Only for a router given as {@code http://host[:port]} or {@code https://host[:port]} (no path, no user info),
 *       and with the scheme of that URL (ADR 0044): a router reached by {@code https} has its query port reached by
 *       {@code https} too, through the same HTTP client (same trust, same hostname check against the same host), so
 *       its requests and their bearer token never go in clear; a router whose query port does not speak TLS fails the
 *       handshake before anything is sent. A URL with a path is a proxy in front of the router, not the router.
 *   <li>After a transport failure on a query port ({@link #failed}) that router's queries use its main port for the
 *       client's {@code queryPortRetryInterval}; then its main port's next answer is believed again.
 *   <li>Bounded: one entry per router URL of the client's configuration (at most {@value #MAX_ROUTERS}).
 * </ul>
 */
final class QueryPorts {
    static final String HEADER = "FleetShard-Query-Port";
    static final int MAX_ROUTERS = 256;

    /** What is known of one router: its query port's base URL (null: none), and until when it is not to be used. */
    private record State(String advertised, URI queryBase, Instant downUntil) {
        static final State NONE = new State(null, null, null);
    }

    private final boolean enabled;
    private final Duration retryInterval;
    private final Clock clock;
    private final Map<URI, State> byRouter = new ConcurrentHashMap<>();

    /** @param retryInterval how long a router's queries stay on its main port after its query port failed */
    QueryPorts(boolean enabled, Duration retryInterval, Clock clock) {
        this.enabled = enabled;
        this.retryInterval = retryInterval;
        this.clock = clock;
    }

    /** Whether {@code path} may go to a query port: the two paths the blocking listener serves. */
    static boolean serves(String path) {
        return RouterCalls.QUERY_PATH.equals(path) || RouterCalls.BATCH_PATH.equals(path);
    }

    /** Whether {@code router}'s queries may go to a port it advertises: an {@code http(s)://host:port} URL. */
    static boolean eligible(URI router) {
        String path = router.getRawPath();
        String scheme = router.getScheme();
        return ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && router.getHost() != null
                && router.getRawUserInfo() == null && (path == null || path.isEmpty() || path.equals("/"));
    }

    /** The base URL of {@code router}'s queries now: its query port's when known and not failed, else router. */
    URI baseFor(URI router) {
        if (!enabled) {
            return router;
        }
        State s = byRouter.get(router);
        if (s == null || s.queryBase() == null) {
            return router;
        }
        return s.downUntil() != null && clock.instant().isBefore(s.downUntil()) ? router : s.queryBase();
    }

    /**
     * Takes in the {@value #HEADER} value (null: absent) of an answer from {@code router}'s main port. Ignored while
     * the router's query port is held failed, for a router that is not {@link #eligible}, and for a value that is not
     * a port number (as absent).
     */
    void learn(URI router, String advertised) {
        if (!enabled) {
            return;
        }
        State s = byRouter.get(router);
        if (s != null && java.util.Objects.equals(s.advertised(), advertised) && s.downUntil() == null) {
            return; // the common case: nothing new
        }
        if (s == null && advertised == null) {
            return;
        }
        if (s != null && s.downUntil() != null && clock.instant().isBefore(s.downUntil())) {
            return;
        }
        if (!eligible(router) || (s == null && byRouter.size() >= MAX_ROUTERS)) {
            return;
        }
        URI base = queryBase(router, advertised);
        byRouter.put(router, base == null ? State.NONE : new State(advertised, base, null));
    }

    /** {@code router}'s query port failed at the transport level: its queries use its main port for a while. */
    void failed(URI router) {
        byRouter.put(router, new State(null, null, clock.instant().plus(retryInterval)));
    }

    private static URI queryBase(URI router, String advertised) {
        if (advertised == null || advertised.isEmpty() || advertised.length() > 5) {
            return null;
        }
        for (int i = 0; i < advertised.length(); i++) {
            if (advertised.charAt(i) < '0' || advertised.charAt(i) > '9') {
                return null;
            }
        }
        int port = Integer.parseInt(advertised);
        if (port < 1 || port > 65535) {
            return null;
        }
        try {
            // the scheme of the URL the user gave: https stays https (ADR 0044)
            return new URI(router.getScheme().toLowerCase(Locale.ROOT), null, router.getHost(), port, null, null, null);
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
