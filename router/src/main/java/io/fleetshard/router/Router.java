package io.fleetshard.router;

import io.fleetshard.http.OperationalRoutes;
import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query router: the data-plane HTTP API ({@code POST /v1/query}, {@code POST /v1/query/batch},
 * {@code POST /v1/query/scatter}) plus
 * {@code /healthz}, {@code /readyz}, {@code /metrics} and {@code /openapi.json}. It follows a {@link ShardMapSource}
 * (the map-log follower in production, an in-memory map in tests): each new snapshot opens pools for added nodes and
 * closes those of removed ones; requests always read the latest snapshot once.
 *
 * <p>Lifecycle: construct, {@link #start()}, {@link #stop()} (or close). Not restartable.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    private static final String OPENAPI = "io/fleetshard/router/openapi.json";
    /** Every role that reads or writes tenant rows; the endpoints narrow it to the token's tenant (ADR 0018). */
    private static final Role[] QUERY_ROLES = {Role.ADMIN, Role.TENANT_WRITER, Role.TENANT_READER};

    private final RouterConfig config;
    private final ShardMapSource mapSource;
    private final PrometheusMeterRegistry registry;
    private final Clock clock;

    private ScheduledThreadPoolExecutor housekeeping;
    private ExecutorService closer;
    private ExecutorService probeExecutor;
    private ThreadPoolExecutor scatterExecutor;
    private NodePools pools;
    private ReplicationProber prober;
    private volatile NodeHealthBoard health;
    private Javalin app;
    private BlockingQueryListener queryListener;
    private volatile boolean running;
    private boolean used;
    private final List<Supplier<String>> readinessChecks = new CopyOnWriteArrayList<>();

    /** A router with its own Prometheus registry and the system clock. */
    public Router(RouterConfig config, ShardMapSource mapSource) {
        this(config, mapSource, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Clock.systemUTC());
    }

    /**
     * @param registry where the router's meters go; {@code /metrics} scrapes it (share it to expose other components)
     * @param clock the wall clock used to time replica lag probes
     */
    public Router(RouterConfig config, ShardMapSource mapSource, PrometheusMeterRegistry registry, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.mapSource = Objects.requireNonNull(mapSource, "mapSource");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Opens the pools of the current map's nodes, starts probing replicas, and starts serving HTTP. */
    public synchronized Router start() {
        if (used) {
            throw new IllegalStateException("a router can be started once");
        }
        used = true;
        LOG.info("starting router: {}", config.effectiveValues());
        housekeeping = new ScheduledThreadPoolExecutor(1, daemon("fleetshard-router-housekeeping"));
        housekeeping.setRemoveOnCancelPolicy(true);
        closer = Executors.newSingleThreadExecutor(daemon("fleetshard-router-pool-closer"));
        probeExecutor = Executors.newFixedThreadPool(2, daemon("fleetshard-router-prober"));
        scatterExecutor = new ThreadPoolExecutor(config.scatterThreads(), config.scatterThreads(), 60,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), daemon("fleetshard-router-scatter"));
        scatterExecutor.allowCoreThreadTimeOut(true);

        RouterMetrics metrics = new RouterMetrics(registry);
        health = new NodeHealthBoard();
        pools = new NodePools(config, registry, housekeeping, closer);
        prober = new ReplicationProber(mapSource, config, health, clock, registry, probeExecutor);
        ReplicaSelector selector = new ReplicaSelector(health, clock, config.probeIntervalMs());
        TenantSigner signer = new TenantSigner(config.tenantSecret());
        ShardMapChanges mapChanges = new ShardMapChanges(mapSource);
        WriteHold hold = new WriteHold(mapChanges, config.reshardHoldMs(), metrics);
        QueryEndpoints query = new QueryEndpoints(config, mapSource, pools, selector, health, signer, metrics, hold,
                clock);
        ScatterGather scatter = new ScatterGather(config, mapSource, pools, selector, health, signer, metrics,
                scatterExecutor, clock);

        running = true;
        mapSource.addListener(this::onNewMap);
        mapSource.addListener(mapChanges::onNewMap); // after the pools: a held write retries on the new map's nodes
        pools.sync(mapSource.current());
        housekeeping.scheduleWithFixedDelay(this::probeSafely, 0, config.probeIntervalMs(), TimeUnit.MILLISECONDS);

        QueryResponder responder = new QueryResponder(query, Authentication.gate(config.auth(), clock, QUERY_ROLES),
                metrics);
        if (config.queryPort() >= 0) { // first: the main port's answers name its port (ADR 0042)
            try {
                queryListener = new BlockingQueryListener(responder, config.host(), config.queryPort(),
                        config.maxRequestBytes(), config.queryMaxConnections(), config.queryIdleTimeoutMs(),
                        config.queryAdvertisedPort(), registry, housekeeping);
            } catch (java.io.IOException e) {
                stop();
                throw new java.io.UncheckedIOException("cannot listen on " + config.host() + ":" + config.queryPort()
                        + " (" + RouterConfig.QUERY_PORT + ")", e);
            }
        }
        int advertised = queryListener == null ? -1 : queryListener.advertisedPort();
        AtomicReference<Server> jetty = new AtomicReference<>();
        try {
            app = startJavalin(responder, query, scatter, metrics, advertised, jetty);
            if (queryListener != null) { // after Jetty: with TLS, the query port uses the main port's (ADR 0039)
                queryListener.start(config.tls().enabled() ? mainPortTls(jetty.get()) : null);
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        String scheme = config.tls().enabled() ? "https" : "http";
        LOG.info("router listening on {}://{}:{}{} (shard map version {})", scheme, config.host(), app.port(),
                queryListener == null ? "" : ", POST /v1/query also on " + scheme + "://" + config.host() + ":"
                        + queryListener.port(), mapSource.current().version());
        return this;
    }

    /**
     * Jetty and Javalin on {@code router.port}; every answer names {@code advertisedQueryPort} in its
     * {@value QueryFastLane#QUERY_PORT_HEADER} header (ADR 0042) unless it is -1.
     */
    private Javalin startJavalin(QueryResponder responder, QueryEndpoints query, ScatterGather scatter,
            RouterMetrics metrics, int advertisedQueryPort, AtomicReference<Server> jetty) {
        return Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxRequestBytes();
            c.http.compressionStrategy = CompressionStrategy.NONE;
            // the hot endpoint on Jetty's core API, in front of Javalin (ADR 0016); Javalin nests its servlet here
            c.jetty.modifyServer(server -> {
                server.setHandler(new QueryFastLane(responder, config.maxRequestBytes(), advertisedQueryPort));
                jetty.set(server);
            });
            config.tls().install(c); // HTTPS only, when a key store is configured (ADR 0020)
            ProblemResponses.install(c);
            Authentication.install(c, config.auth(), clock);
            OperationalRoutes.install(c, registry, this::notReadyReason, OPENAPI);
            c.routes.post("/v1/query", query::query, QUERY_ROLES);
            c.routes.post("/v1/query/scatter", scatter::scatter, QUERY_ROLES);
            c.routes.post(QueryEndpoints.BATCH_PATH, query::batch, QUERY_ROLES);
            c.routes.after("/v1/query", ctx -> metrics.recordResponse(RouterMetrics.QUERY, ctx.statusCode()));
            c.routes.after(QueryEndpoints.BATCH_PATH, ctx -> metrics.recordResponse(RouterMetrics.BATCH,
                    ctx.statusCode()));
            c.routes.after("/v1/query/scatter", ctx -> metrics.recordResponse(RouterMetrics.SCATTER,
                    ctx.statusCode()));
        }).start(config.host(), config.port());
    }

    /**
     * The started TLS settings of the main port's connector ({@code TlsConfig.install}, ADR 0020): the query port
     * serves with the very same key store, protocols and cipher suites.
     */
    private static SslContextFactory mainPortTls(Server jetty) {
        for (Connector connector : jetty == null ? new Connector[0] : jetty.getConnectors()) {
            SslConnectionFactory ssl = connector.getConnectionFactory(SslConnectionFactory.class);
            if (ssl != null) {
                return ssl.getSslContextFactory();
            }
        }
        throw new IllegalStateException("router.tls.keystore.path is set but the main port has no TLS connector");
    }

    /**
     * Adds a condition to {@code /readyz}: while {@code notReadyReason} returns non-null the router answers 503 with
     * that reason (e.g. a launcher still starting the parts the router's users rely on). May be called at any time.
     */
    public Router addReadinessCheck(Supplier<String> notReadyReason) {
        readinessChecks.add(Objects.requireNonNull(notReadyReason, "notReadyReason"));
        return this;
    }

    /** The HTTP port (useful when configured as 0). */
    public int port() {
        if (app == null) {
            throw new IllegalStateException("the router is not started");
        }
        return app.port();
    }

    /** The port of the blocking query listener (ADR 0039), or -1 when {@code router.query.port} is off. */
    public int queryPort() {
        if (app == null) {
            throw new IllegalStateException("the router is not started");
        }
        return queryListener == null ? -1 : queryListener.port();
    }

    /** What the prober last found about a node (null before its first probe); for tests in this package. */
    NodeHealth nodeHealth(String nodeId) {
        return health == null ? null : health.get(nodeId);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops serving, stops probing, and closes every pool. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        if (queryListener != null) {
            queryListener.close();
        }
        if (app != null) {
            app.stop();
        }
        housekeeping.shutdownNow();
        probeExecutor.shutdownNow();
        scatterExecutor.shutdownNow();
        await(probeExecutor);
        prober.close();
        pools.close();
        closer.shutdown();
        await(closer);
        LOG.info("router stopped");
    }

    @Override
    public void close() {
        stop();
    }

    private void onNewMap(ShardMapSnapshot map) {
        if (running) {
            pools.sync(map);
        }
    }

    private void probeSafely() {
        try {
            prober.tick();
        } catch (RuntimeException e) {
            LOG.warn("replica probe round failed", e);
        }
    }

    private String notReadyReason() {
        long v = mapSource.current().version();
        if (v <= 0) {
            return "the shard map is not loaded yet (version " + v + ")";
        }
        for (Supplier<String> check : readinessChecks) {
            String reason = check.get();
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    private static void await(ExecutorService e) {
        try {
            e.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
