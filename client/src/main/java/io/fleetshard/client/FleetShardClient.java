package io.fleetshard.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A client of the FleetShard router (router/README.md): runs SQL for a tenant's fleet, or over all of a tenant's
 * shards, with typed results and errors, read-your-writes through the router's consistency tokens, bounded retries,
 * and routing to the router in the region of the fleet's primary.
 *
 * <pre>{@code
 * try (FleetShardClient client = FleetShardClient.builder()
 *         .router("http://router.eu:8080")
 *         .router("us-east-1", "http://router.us:8080")
 *         .controlApi("http://control:8081")
 *         .defaultConsistency(Consistency.READ_YOUR_WRITES)
 *         .build()) {
 *     Session s = client.session();
 *     s.query("acme", "trucks", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES (?, ?, ?)",
 *             "acme", "trucks", "v-1");
 *     QueryResult r = s.query("acme", "trucks", "SELECT vehicle_id FROM vehicles WHERE vehicle_id = ?", "v-1");
 * }
 * }</pre>
 *
 * Thread-safe. The query methods here share one {@link Session}; {@link #session()} makes one of its own.
 */
public final class FleetShardClient implements AutoCloseable {
    private final Config config;
    private final ExecutorService httpThreads;
    private final RouterCalls calls;
    private final Session shared;

    private FleetShardClient(Config config, Supplier<String> token, Clock clock, Sleeper sleeper,
            SSLContext sslContext) {
        this.config = config;
        this.httpThreads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fleetshard-client-http");
            t.setDaemon(true);
            return t;
        });
        HttpClient.Builder httpBuilder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout()).executor(httpThreads);
        if (sslContext != null) {
            httpBuilder.sslContext(sslContext);
        }
        // one client for every router URL and query port: the same trust and hostname verification for all
        HttpClient http = httpBuilder.build();
        JsonHttp json = new JsonHttp(http, token);
        ShardMapCache map = config.controlApi() == null ? null
                : new ShardMapCache(json, config.controlApi(), config.mapRefreshInterval(), config.requestTimeout(),
                        clock);
        this.calls = new RouterCalls(config.defaultRouter(), config.regionRouters(), map,
                new RetryingSender(json, new QueryPorts(config.queryPort(), config.queryPortRetryInterval(), clock),
                        config.maxAttempts(), config.maxRetryWait(), sleeper, clock),
                config.requestTimeout());
        this.shared = new Session(calls, config.defaultConsistency(), config.autoBatch());
    }

    public static Builder builder() {
        return new Builder();
    }

    public static FleetShardClient create(Config config) {
        return new FleetShardClient(Objects.requireNonNull(config, "config"), null, Clock.systemUTC(), Sleeper.REAL,
                null);
    }

    public Config config() {
        return config;
    }

    /** A new session: its own write tokens, so its reads see its own writes. */
    public Session session() {
        return new Session(calls, config.defaultConsistency(), config.autoBatch());
    }

    /** {@link Session#query(String, String, String, Object...)} on the client's shared session. */
    public QueryResult query(String tenantId, String fleetId, String sql, Object... params) {
        return shared.query(tenantId, fleetId, sql, params);
    }

    /** {@link Session#query(QueryRequest)} on the client's shared session. */
    public QueryResult query(QueryRequest request) {
        return shared.query(request);
    }

    /** {@link Session#batch(List)} on the client's shared session: many statements in one HTTP request. */
    public BatchResult batch(List<QueryRequest> requests) {
        return shared.batch(requests);
    }

    /** {@link Session#scatter(String, String, Object...)} on the client's shared session. */
    public ScatterResult scatter(String tenantId, String sql, Object... params) {
        return shared.scatter(tenantId, sql, params);
    }

    /** {@link Session#scatter(ScatterRequest)} on the client's shared session. */
    public ScatterResult scatter(ScatterRequest request) {
        return shared.scatter(request);
    }

    /** Stops the client's HTTP threads; requests in flight may fail. */
    @Override
    public void close() {
        httpThreads.shutdownNow();
    }

    /**
     * The client's settings, valid by construction ({@link InvalidClientConfigException} lists every problem).
     *
     * @param defaultRouter base URL of the router used when no regional one applies
     * @param regionRouters region (as in the shard map's nodes) → base URL of the router there
     * @param controlApi base URL of the control API whose shard map picks regional routers; null: always the default
     * @param defaultConsistency of requests that name none
     * @param connectTimeout to open a connection
     * @param requestTimeout of one attempt (the whole exchange), unless the request sets its own
     * @param maxAttempts attempts per request in all, retries included (1: no retries)
     * @param maxRetryWait the most a request waits between its attempts, in all
     * @param mapRefreshInterval how long the cached shard map is used before its version is checked again
     * @param autoBatch how a session's concurrent queries are coalesced into batches; null: never (the default)
     * @param queryPort whether queries and batches go to the port a router advertises for them (its blocking query
     *     port, ADR 0042, with the scheme of the router's URL: ADR 0044); true by default
     * @param queryPortRetryInterval how long a router's queries and batches stay on its main port after its query
     *     port could not be reached, before its main port's advertisement is followed again; positive, at most 1 h
     */
    public record Config(URI defaultRouter, Map<String, URI> regionRouters, URI controlApi,
            Consistency defaultConsistency, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
            Duration maxRetryWait, Duration mapRefreshInterval, AutoBatch autoBatch, boolean queryPort,
            Duration queryPortRetryInterval) {
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
        public static final int DEFAULT_MAX_ATTEMPTS = 3;
        public static final Duration DEFAULT_MAX_RETRY_WAIT = Duration.ofSeconds(10);
        public static final Duration DEFAULT_MAP_REFRESH_INTERVAL = Duration.ofSeconds(30);
        public static final Duration DEFAULT_QUERY_PORT_RETRY_INTERVAL = Duration.ofSeconds(30);
        static final Duration QUERY_PORT_RETRY_INTERVAL_LIMIT = Duration.ofHours(1);
        static final int MAX_ATTEMPTS_LIMIT = 20;
        static final String DEFAULT_ROUTER_REQUIRED = "router: the default router's base URL is required";

        public Config {
            regionRouters = regionRouters == null ? Map.of() : Map.copyOf(regionRouters);
            List<String> problems = problems(defaultRouter, regionRouters, controlApi, defaultConsistency,
                    connectTimeout, requestTimeout, maxAttempts, maxRetryWait, mapRefreshInterval,
                    queryPortRetryInterval);
            if (!problems.isEmpty()) {
                throw new InvalidClientConfigException(problems);
            }
        }

        /** The settings, with the default {@link #DEFAULT_QUERY_PORT_RETRY_INTERVAL}. */
        public Config(URI defaultRouter, Map<String, URI> regionRouters, URI controlApi,
                Consistency defaultConsistency, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
                Duration maxRetryWait, Duration mapRefreshInterval, AutoBatch autoBatch, boolean queryPort) {
            this(defaultRouter, regionRouters, controlApi, defaultConsistency, connectTimeout, requestTimeout,
                    maxAttempts, maxRetryWait, mapRefreshInterval, autoBatch, queryPort,
                    DEFAULT_QUERY_PORT_RETRY_INTERVAL);
        }

        /** The settings, with the routers' advertised query ports used. */
        public Config(URI defaultRouter, Map<String, URI> regionRouters, URI controlApi,
                Consistency defaultConsistency, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
                Duration maxRetryWait, Duration mapRefreshInterval, AutoBatch autoBatch) {
            this(defaultRouter, regionRouters, controlApi, defaultConsistency, connectTimeout, requestTimeout,
                    maxAttempts, maxRetryWait, mapRefreshInterval, autoBatch, true);
        }

        /** The settings without auto-batching, with the routers' advertised query ports used. */
        public Config(URI defaultRouter, Map<String, URI> regionRouters, URI controlApi,
                Consistency defaultConsistency, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
                Duration maxRetryWait, Duration mapRefreshInterval) {
            this(defaultRouter, regionRouters, controlApi, defaultConsistency, connectTimeout, requestTimeout,
                    maxAttempts, maxRetryWait, mapRefreshInterval, null);
        }

        public Optional<URI> controlApiUri() {
            return Optional.ofNullable(controlApi);
        }

        static List<String> problems(URI defaultRouter, Map<String, URI> regionRouters, URI controlApi,
                Consistency defaultConsistency, Duration connectTimeout, Duration requestTimeout, int maxAttempts,
                Duration maxRetryWait, Duration mapRefreshInterval, Duration queryPortRetryInterval) {
            List<String> p = new ArrayList<>();
            if (defaultRouter == null) {
                p.add(DEFAULT_ROUTER_REQUIRED + ", e.g. router(\"http://127.0.0.1:8080\")");
            } else {
                checkUrl(p, "router", defaultRouter);
            }
            regionRouters.forEach((region, url) -> {
                if (region.isBlank()) {
                    p.add("router(region, url): the region must not be blank (url " + url + ")");
                }
                checkUrl(p, "router for region " + region, url);
            });
            if (!regionRouters.isEmpty() && controlApi == null) {
                p.add("routers per region " + regionRouters.keySet() + " need controlApi: the client learns each"
                        + " fleet's region from the control API's shard map");
            }
            if (controlApi != null) {
                checkUrl(p, "controlApi", controlApi);
            }
            if (defaultConsistency == null) {
                p.add("defaultConsistency is required");
            }
            positive(p, "connectTimeout", connectTimeout);
            positive(p, "requestTimeout", requestTimeout);
            if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
                p.add("maxAttempts must be between 1 and " + MAX_ATTEMPTS_LIMIT + " (1: no retries), got "
                        + maxAttempts);
            }
            if (maxRetryWait == null || maxRetryWait.isNegative()) {
                p.add("maxRetryWait must be 0 or more, got " + maxRetryWait);
            }
            positive(p, "mapRefreshInterval", mapRefreshInterval);
            if (queryPortRetryInterval == null || queryPortRetryInterval.isZero() || queryPortRetryInterval.isNegative()
                    || queryPortRetryInterval.compareTo(QUERY_PORT_RETRY_INTERVAL_LIMIT) > 0) {
                p.add("queryPortRetryInterval must be positive and at most "
                        + QUERY_PORT_RETRY_INTERVAL_LIMIT.toMinutes() + " min (queryPort(false) keeps every request"
                        + " on the router's URL), got " + queryPortRetryInterval);
            }
            return p;
        }

        private static void positive(List<String> p, String name, Duration d) {
            if (d == null || d.isZero() || d.isNegative()) {
                p.add(name + " must be positive, got " + d);
            }
        }

        private static void checkUrl(List<String> p, String name, URI url) {
            if (url == null) {
                p.add(name + ": URL is required");
                return;
            }
            String scheme = url.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                p.add(name + " must be an http:// or https:// URL, got '" + url + "'");
            } else if (url.getHost() == null) {
                p.add(name + " has no host: '" + url + "'");
            }
            if (url.getRawQuery() != null || url.getRawFragment() != null) {
                p.add(name + " must be a base URL without query or fragment, got '" + url + "'");
            }
        }
    }

    /**
     * Auto-batching (ADR 0034): while {@code maxInFlight} requests of a session and tenant are on their way, that
     * session's further {@code query} calls of the tenant wait, and the first request to come back sends up to
     * {@code maxItems} of them as one {@code POST /v1/query/batch}. A call waits at most {@code maxWait} for that, then
     * goes at once; a call that finds nothing in flight goes at once. Each caller gets its own result or typed
     * exception, as alone. Buys throughput for many concurrent small reads, at the price of the latency of a batch.
     *
     * @param maxItems the most queries in one batch, 2 to {@value #MAX_ITEMS_LIMIT}; at most the router's
     *     {@code router.batch.max.items} (64 by default)
     * @param maxWait the longest a query waits for a request of its tenant to come back, 0 excluded, at most 10 s
     * @param maxInFlight requests of one session and tenant on their way before further queries wait, 1 to
     *     {@value #MAX_IN_FLIGHT_LIMIT}
     */
    public record AutoBatch(int maxItems, Duration maxWait, int maxInFlight) {
        public static final int MAX_ITEMS_LIMIT = 1000;
        public static final int MAX_IN_FLIGHT_LIMIT = 256;
        static final Duration MAX_WAIT_LIMIT = Duration.ofSeconds(10);
        /** 32 queries, 2 ms, 1 request in flight (1 vs 2: mixed results, docs/benchmarks.md, ninth session). */
        public static final AutoBatch DEFAULTS = new AutoBatch(32, Duration.ofMillis(2), 1);

        public AutoBatch {
            List<String> p = problems(maxItems, maxWait, maxInFlight);
            if (!p.isEmpty()) {
                throw new InvalidClientConfigException(p);
            }
        }

        static List<String> problems(int maxItems, Duration maxWait, int maxInFlight) {
            List<String> p = new ArrayList<>();
            if (maxItems < 2 || maxItems > MAX_ITEMS_LIMIT) {
                p.add("autoBatch maxItems must be between 2 and " + MAX_ITEMS_LIMIT + " (and at most the router's"
                        + " router.batch.max.items), got " + maxItems);
            }
            if (maxWait == null || maxWait.isZero() || maxWait.isNegative()
                    || maxWait.compareTo(MAX_WAIT_LIMIT) > 0) {
                p.add("autoBatch maxWait must be positive and at most " + MAX_WAIT_LIMIT.toMillis() + " ms, got "
                        + maxWait);
            }
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
                p.add("autoBatch maxInFlight must be between 1 and " + MAX_IN_FLIGHT_LIMIT + ", got " + maxInFlight);
            }
            return p;
        }
    }

    /** Builds a {@link FleetShardClient}; every setting but the default router has a default. */
    public static final class Builder {
        private final List<String> parseProblems = new ArrayList<>();
        private URI defaultRouter;
        private boolean defaultRouterUnparsed;
        private final Map<String, URI> regionRouters = new LinkedHashMap<>();
        private URI controlApi;
        private Consistency defaultConsistency = Consistency.STRONG;
        private Duration connectTimeout = Config.DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = Config.DEFAULT_REQUEST_TIMEOUT;
        private int maxAttempts = Config.DEFAULT_MAX_ATTEMPTS;
        private Duration maxRetryWait = Config.DEFAULT_MAX_RETRY_WAIT;
        private Duration mapRefreshInterval = Config.DEFAULT_MAP_REFRESH_INTERVAL;
        private AutoBatch autoBatch;
        private boolean queryPort = true;
        private Duration queryPortRetryInterval = Config.DEFAULT_QUERY_PORT_RETRY_INTERVAL;
        private SSLContext sslContext;
        private Clock clock = Clock.systemUTC();
        private Sleeper sleeper = Sleeper.REAL;
        private Supplier<String> token;

        private Builder() {
        }

        /**
         * The JWT every request carries ({@code Authorization: Bearer}, ADR 0018): a tenant token for an application,
         * whose requests then reach only its tenant. Regional routing reads only the tenant's own placements from the
         * control API, which that token may.
         */
        public Builder token(String jwt) {
            Objects.requireNonNull(jwt, "jwt");
            return tokenSupplier(() -> jwt);
        }

        /** Like {@link #token(String)}, asked before every request, so a renewed token is used at once. */
        public Builder tokenSupplier(Supplier<String> supplier) {
            this.token = Objects.requireNonNull(supplier, "supplier");
            return this;
        }

        /** The default router's base URL, e.g. {@code http://127.0.0.1:8080}. */
        public Builder router(String baseUrl) {
            this.defaultRouter = url("router", baseUrl);
            this.defaultRouterUnparsed = defaultRouter == null;
            return this;
        }

        /** The router to use for fleets whose primary is in {@code region}. */
        public Builder router(String region, String baseUrl) {
            URI u = url("router for region " + region, baseUrl);
            if (region == null || region.isBlank()) {
                parseProblems.add("router(region, url): the region must not be blank (url " + baseUrl + ")");
            } else if (u != null) {
                regionRouters.put(region, u);
            }
            return this;
        }

        /** The control API's base URL, e.g. {@code http://127.0.0.1:8081}; needed for regional routers. */
        public Builder controlApi(String baseUrl) {
            this.controlApi = url("controlApi", baseUrl);
            return this;
        }

        /** Consistency of requests that name none; default {@link Consistency#STRONG}, as the router's. */
        public Builder defaultConsistency(Consistency c) {
            this.defaultConsistency = c;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        public Builder maxAttempts(int n) {
            this.maxAttempts = n;
            return this;
        }

        public Builder maxRetryWait(Duration d) {
            this.maxRetryWait = d;
            return this;
        }

        public Builder mapRefreshInterval(Duration d) {
            this.mapRefreshInterval = d;
            return this;
        }

        /** Auto-batching with {@link AutoBatch#DEFAULTS} (ADR 0034); off unless set. */
        public Builder autoBatch() {
            this.autoBatch = AutoBatch.DEFAULTS;
            return this;
        }

        /**
         * Auto-batching of each session's concurrent queries (ADR 0034), see {@link AutoBatch}; a problem with the
         * values is reported with the others by {@link #config()}.
         */
        public Builder autoBatch(int maxItems, Duration maxWait, int maxInFlight) {
            List<String> p = AutoBatch.problems(maxItems, maxWait, maxInFlight);
            if (p.isEmpty()) {
                this.autoBatch = new AutoBatch(maxItems, maxWait, maxInFlight);
            } else {
                parseProblems.addAll(p);
            }
            return this;
        }

        /**
         * Whether queries and batches go to the port a router advertises for them ({@code FleetShard-Query-Port}: its
         * blocking query port, which costs the router about half the CPU per request; ADR 0042). On by default; used
         * only for routers given as {@code http://host:port} or {@code https://host:port}, with the same scheme, host,
         * trust and hostname check (ADR 0044). Off: every request goes to the router's URL.
         */
        public Builder queryPort(boolean use) {
            this.queryPort = use;
            return this;
        }

        /**
         * How long a router's queries and batches stay on its main port after its query port could not be reached
         * (refused, connect timeout, a failed TLS handshake, a connection cut), before the port its main port
         * advertises is tried again; default 30 s, positive, at most 1 h.
         */
        public Builder queryPortRetryInterval(Duration d) {
            this.queryPortRetryInterval = d;
            return this;
        }

        /** Tests: the TLS context of every connection (trust of a self-signed router); null: the JDK's default. */
        Builder sslContext(SSLContext context) {
            this.sslContext = context;
            return this;
        }

        /** Tests: the clock of Retry-After dates and map refreshes. */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** Tests: how waits between attempts are done. */
        Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper);
            return this;
        }

        private URI url(String name, String text) {
            if (text == null || text.isBlank()) {
                parseProblems.add(name + ": URL is required, got " + (text == null ? "null" : "'" + text + "'"));
                return null;
            }
            try {
                return new URI(text.strip());
            } catch (URISyntaxException e) {
                parseProblems.add(name + " is not a URL: '" + text + "' (" + e.getReason() + ")");
                return null;
            }
        }

        /** The settings; {@link InvalidClientConfigException} lists every problem. */
        public Config config() {
            List<String> problems = new ArrayList<>(parseProblems);
            for (String p : Config.problems(defaultRouter, regionRouters, controlApi, defaultConsistency,
                    connectTimeout, requestTimeout, maxAttempts, maxRetryWait, mapRefreshInterval,
                    queryPortRetryInterval)) {
                if (!(defaultRouterUnparsed && p.startsWith(Config.DEFAULT_ROUTER_REQUIRED))) {
                    problems.add(p); // an unparseable default router is reported once, as such
                }
            }
            if (!problems.isEmpty()) {
                throw new InvalidClientConfigException(problems);
            }
            return new Config(defaultRouter, regionRouters, controlApi, defaultConsistency, connectTimeout,
                    requestTimeout, maxAttempts, maxRetryWait, mapRefreshInterval, autoBatch, queryPort,
                    queryPortRetryInterval);
        }

        public FleetShardClient build() {
            return new FleetShardClient(config(), token, clock, sleeper, sslContext);
        }
    }
}
