package io.fleetshard.controlapi;

import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.http.OperationalRoutes;
import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ShardMapCommitter;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapSource;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's HTTP API (DESIGN.md "Who uses it": operators onboard tenants and fleets, register shards, see
 * the map and node health). The launcher wires it: it owns the map follower ({@link ShardMapSource}) and the fenced
 * map-log writer ({@link ShardMapCommitter}) and hands them in; this class owns its HTTP server and its node health
 * monitor, and stops both in {@link #stop()}.
 *
 * <p>Endpoints: see {@code control-api/README.md} and {@code /openapi.json}.
 */
public final class ControlApi implements AutoCloseable {
    /**
     * Rebuilds a failed database node as a streaming replica of its shard's primary, at the address the map has for it
     * (wiping what the node held). A failback or rejoin calls it when the node is not a replica of the primary yet. The
     * dev platform has one; in production a node is rebuilt by its operator or provisioning (docs/runbooks/failback.md)
     * and the control API runs without one.
     */
    public interface NodeRebuilder {
        /**
         * Rebuilds {@code node} as a replica of {@code primary} and returns once it streams from it; says what it did.
         *
         * @throws RuntimeException when it cannot; the step fails with its message
         */
        String rebuildAsReplica(Node node, Node primary, Engine engine);
    }

    /**
     * Tells change capture to start a shard over on a new primary of another history (a promoted warm standby): its
     * stored position belongs to the lost primary. The launcher wires cdc-capture's reset; without one, a standby
     * promotion says how to do it by hand.
     */
    public interface CaptureResetter {
        /**
         * Makes capture of {@code shardId} forget its position, so it snapshots the new primary; says what it did.
         *
         * @throws RuntimeException when it cannot; the step fails with its message
         */
        String resetCapture(String shardId);
    }

    static final String OPENAPI_RESOURCE = "fleetshard/control-api/openapi.json";
    private static final Logger LOG = LoggerFactory.getLogger(ControlApi.class);

    private final ControlApiConfig config;
    private final PrometheusMeterRegistry registry;
    /** Node gauges are re-registered each probe round; {@code /metrics} scrapes between two publications. */
    private final GaugeScrapeLock scrapeLock = new GaugeScrapeLock();
    private final Supplier<String> mapNotReady;
    private final List<Supplier<String>> readinessChecks = new CopyOnWriteArrayList<>();
    private final MapTransactionRunner runner;
    private final NodeHealthMonitor monitor;
    private final Clock clock;
    private final ExecutorService probePool;
    private final ScheduledExecutorService probeScheduler;
    /** The JDBC probes' kept connections; null with the test constructor's own probe and reader. */
    private ProbeConnections probeConnections;
    private final ShardMapSource source;
    private volatile ReshardOrchestrator reshards;
    /** The shard logs resharding reads; a MariaDB failover's verify step reads them too (ADR 0029). */
    private volatile ShardLogs shardLogs;
    private volatile FailoverOrchestrator failovers;
    private volatile HotFleetBoard hotFleets;
    private volatile AuditLog audit;
    /** Merged into every Kafka client of the enable* calls (TLS/SASL: ADR 0027). */
    private Map<String, String> kafkaSecurity = Map.of();
    private Javalin app;
    private boolean stopped;

    /** A control API with its own Prometheus registry. */
    public ControlApi(ControlApiConfig config, ShardMapSource source, ShardMapCommitter committer, Clock clock) {
        this(config, source, committer, clock, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * @param source this instance's map follower; reads and read-your-writes waits use it
     * @param committer the map-log writer; all changes of this instance go through it, one at a time
     * @param clock for timestamps of probes and fencing
     * @param registry where request, map and node metrics go, and what {@code /metrics} serves
     */
    public ControlApi(ControlApiConfig config, ShardMapSource source, ShardMapCommitter committer, Clock clock,
            PrometheusMeterRegistry registry) {
        this(config, source, committer, clock, registry, probeConnections(config, clock), mapReadinessOf(source));
    }

    private ControlApi(ControlApiConfig config, ShardMapSource source, ShardMapCommitter committer, Clock clock,
            PrometheusMeterRegistry registry, ProbeConnections connections, Supplier<String> mapNotReady) {
        this(config, source, committer, clock, registry,
                new JdbcNodeProbe(config.probeTimeout(), config.probeUser(), config.probePassword(), connections),
                new JdbcStandbyPositionReader(config.probeTimeout(), config.probeUser(), config.probePassword(),
                        connections), mapNotReady);
        this.probeConnections = connections;
    }

    /** Kept until unused for three rounds (at least 30 s): a node that left the map gives its connection back then. */
    private static ProbeConnections probeConnections(ControlApiConfig config, Clock clock) {
        Duration keepIdle = Duration.ofMillis(Math.max(30_000, 3 * config.probeInterval().toMillis()));
        return new ProbeConnections(java.sql.DriverManager::getConnection, config.probeTimeout(), keepIdle, clock);
    }

    ControlApi(ControlApiConfig config, ShardMapSource source, ShardMapCommitter committer, Clock clock,
            PrometheusMeterRegistry registry, NodeProbe probe, StandbyPositionReader standbyReader,
            Supplier<String> mapNotReady) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(clock, "clock");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.mapNotReady = Objects.requireNonNull(mapNotReady, "mapNotReady");
        this.source = source;
        this.runner = new MapTransactionRunner(Objects.requireNonNull(committer, "committer"),
                new MapVersionTracker(source), clock, config, registry);
        this.probePool = Executors.newFixedThreadPool(config.probeThreads(), DaemonThreads.named("control-api-probe"));
        this.probeScheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("control-api-probe-rounds"));
        this.clock = clock;
        this.monitor = new NodeHealthMonitor(source, probe, standbyReader, clock, probePool, config.probeTimeout(),
                config.probeFailuresBeforeDown(), registry, scrapeLock);
        Gauge.builder("fleetshard.control.map.version", source, s -> s.current().version())
                .description("Shard map version this control-API instance has applied").register(registry);
        Gauge.builder("fleetshard.control.map.writer.fenced", runner, r -> r.fencedAt() == null ? 0 : 1)
                .description("1 once another instance fenced this instance's map writer").register(registry);
    }

    /**
     * Reports the archive's side of {@code GET /v1/shards/{shardId}/standby} from the next probe round on: the newest
     * manifest of each shard under {@code <control.archive.tier>/<shard>/} of {@code store}, read in the probe rounds
     * (never on a request thread). Without it the endpoint's {@code archive} is null. May be called before or after
     * {@link #start()}, once; the caller owns the store (and its S3 client) and closes it after {@link #stop()}.
     *
     * @throws IllegalStateException if an archive is already attached
     */
    public ControlApi attachArchive(ArchiveStore store) {
        return attachArchive(new ArchiveStoreHead(Objects.requireNonNull(store, "store"), config.archiveTier()));
    }

    /** {@link #attachArchive(ArchiveStore)} with any {@link ArchiveHead} (tests: an in-memory fake). */
    synchronized ControlApi attachArchive(ArchiveHead head) {
        if (monitor.archiveAttached()) {
            throw new IllegalStateException("an archive is already attached to this control API");
        }
        monitor.attachArchive(head);
        LOG.info("control API reports the archive {}", head instanceof ArchiveStoreHead s
                ? "of tier " + s.tier() : head);
        return this;
    }

    /**
     * How the Kafka clients of {@link #enableResharding}, {@link #enableFailover} and {@link #enableAudit} reach the
     * brokers: the properties of config-support's {@code KafkaClientSecurity.clientProperties()} (TLS, SASL; checked
     * there, ADR 0027). Call before those; default plaintext.
     */
    public synchronized ControlApi kafkaClientSecurity(Map<String, String> clientProperties) {
        kafkaSecurity = Map.copyOf(clientProperties);
        return this;
    }

    /**
     * Runs reshard jobs in this instance (ADR 0013): {@code POST /v1/reshards} accepts jobs once this is called, and
     * the orchestrator works on every unfinished job of the map while this instance's writer is not fenced. It reads
     * the shard logs' end offsets from the Kafka cluster at {@code bootstrapServers} (topics
     * {@code <shardLogPrefix><shard>}, capture's {@code fleetshard.shardlog.} by default), and refuses a job whose
     * shards' change capture does not stream yet by capture's committed positions in its offsets topic
     * ({@code fleetshard.cdc.offsets}, ADR 0036). Call before or after {@link #start()}, once.
     */
    public synchronized ControlApi enableResharding(String bootstrapServers, String shardLogPrefix) {
        enableResharding(new KafkaShardLogs(bootstrapServers, kafkaSecurity, shardLogPrefix));
        hotFleets = new HotFleetBoard(bootstrapServers, kafkaSecurity, clock, java.time.Duration.ofMinutes(10));
        reshards.autoMoveFrom(hotFleets::current, monitor::health);
        if (app != null) {
            hotFleets.start();
        }
        return this;
    }

    synchronized ControlApi enableResharding(ShardLogs offsets) {
        if (reshards != null) {
            throw new IllegalStateException("resharding is already enabled on this control API");
        }
        reshards = new ReshardOrchestrator(config, runner, source, offsets, clock, registry);
        shardLogs = offsets;
        if (failovers != null) {
            failovers.shardLogsFrom(offsets);
        }
        reshards.autoMoveFrom(List::of, monitor::health);
        if (app != null) {
            reshards.start();
        }
        return this;
    }

    /**
     * Runs failovers in this instance (ADR 0015): the orchestration log is the topic {@code control.orchestrations.topic}
     * of the Kafka cluster at {@code bootstrapServers}; a PostgreSQL primary the health monitor finds failing is
     * confirmed down and replaced by its best replica while this instance writes the map, when
     * {@code control.failover.auto} is true; operators fail shards over with {@code POST /v1/shards/{id}/failover}.
     * Call before or after {@link #start()}, once.
     */
    public synchronized ControlApi enableFailover(String bootstrapServers) {
        return enableFailover(new KafkaOrchestrationLog(bootstrapServers, kafkaSecurity, config.orchestrationsTopic()),
                new JdbcFailoverActions(config));
    }

    /**
     * Like {@link #enableFailover(String)}, with a {@code rebuilder} that failbacks and rejoins call for a node that is
     * not a replica of the primary yet (the dev platform rebuilds its embedded servers).
     */
    public synchronized ControlApi enableFailover(String bootstrapServers, NodeRebuilder rebuilder) {
        enableFailover(bootstrapServers);
        failovers.rebuildWith(rebuilder);
        return this;
    }

    /** The capture reset a standby promotion runs ({@code POST /v1/shards/{id}/promote-standby}); after enableFailover. */
    public synchronized ControlApi resetCaptureWith(CaptureResetter resetter) {
        if (failovers == null) {
            throw new IllegalStateException("enable failover first");
        }
        failovers.resetCaptureWith(resetter);
        return this;
    }

    synchronized ControlApi enableFailover(OrchestrationLog log, FailoverActions actions) {
        if (failovers != null) {
            throw new IllegalStateException("failover is already enabled on this control API");
        }
        failovers = new FailoverOrchestrator(config, runner, source, log, actions, clock, registry);
        if (shardLogs != null) {
            failovers.shardLogsFrom(shardLogs);
        }
        failovers.healthFrom(monitor::health);
        failovers.standbysFrom(monitor::standby, monitor::archive);
        if (app != null) {
            failovers.start();
        }
        return this;
    }

    /**
     * Writes an audit event for every change made through this API to the topic {@code control.audit.topic} of the
     * Kafka cluster at {@code bootstrapServers}, and answers {@code GET /v1/audit} from it (ADR 0018 "Audit"). Call
     * before or after {@link #start()}, once; without it changes are not audited and {@code GET /v1/audit} is 503.
     */
    public synchronized ControlApi enableAudit(String bootstrapServers) {
        return enableAudit(new KafkaAuditLog(bootstrapServers, kafkaSecurity, config.auditTopic()));
    }

    synchronized ControlApi enableAudit(AuditLog log) {
        if (audit != null) {
            throw new IllegalStateException("auditing is already enabled on this control API");
        }
        audit = java.util.Objects.requireNonNull(log, "log");
        return this;
    }

    private void hotFleetsView(io.javalin.http.Context ctx, HotFleetBoard board) {
        com.fasterxml.jackson.databind.node.ObjectNode out = ResponseJson.object()
                .put("autoMove", config.reshardAuto()).put("enabled", board != null);
        com.fasterxml.jackson.databind.node.ArrayNode list = out.putArray("hotFleets");
        if (board != null) {
            for (HotFleetBoard.HotFleet f : board.current()) {
                list.addObject().put("tenantId", f.tenantId()).put("fleetId", f.fleetId()).put("shardId", f.shardId())
                        .put("writes", f.writes()).put("windowStartMs", f.windowStartMs())
                        .put("windowEndMs", f.windowEndMs());
            }
        }
        ResponseJson.write(ctx, 200, out);
    }

    /** Tests: hot fleets from {@code hot} instead of the Kafka topic. */
    synchronized void autoMoveFrom(Supplier<List<HotFleetBoard.HotFleet>> hot) {
        reshards.autoMoveFrom(hot, monitor::health);
    }

    /** Starts the HTTP server and the node health monitor. */
    public synchronized ControlApi start() {
        if (app != null || stopped) {
            throw new IllegalStateException("a control API can be started once; it is "
                    + (stopped ? "stopped" : "running on port " + app.port()));
        }
        LOG.info("starting control API with {}", config.effectiveValues());
        RequestBodyReader bodies = new RequestBodyReader(config.maxRequestBytes());
        TenantRoutes tenants = new TenantRoutes(runner, bodies);
        FleetRoutes fleets = new FleetRoutes(runner, bodies);
        ShardRoutes shards = new ShardRoutes(runner, monitor, bodies, clock);
        ReshardRoutes reshardRoutes = new ReshardRoutes(runner, bodies, monitor, () -> reshards, clock,
                config.retryAfterSeconds());
        Supplier<HotFleetBoard> hot = () -> hotFleets;
        OrchestrationRoutes orchestrations = new OrchestrationRoutes(bodies, () -> failovers,
                config.retryAfterSeconds());
        java.util.function.Function<io.javalin.http.Context, com.fasterxml.jackson.databind.JsonNode> shard =
                ctx -> shards.currentView(ResponseJson.pathId(ctx, "shardId"));
        java.util.function.Function<io.javalin.http.Context, com.fasterxml.jackson.databind.JsonNode> job =
                ctx -> reshardRoutes.currentView(ResponseJson.pathId(ctx, "jobId"));
        ConsoleRoutes console = new ConsoleRoutes();
        AuditTrail auditTrail = new AuditTrail(() -> audit, clock, java.util.Map.of(
                "/v1/shards/{shardId}/failover", shard, "/v1/shards/{shardId}/switchover", shard,
                "/v1/shards/{shardId}/promote-standby", shard, "/v1/reshards/{jobId}/cancel", job, "/v1/reshards/{jobId}/pause", job,
                "/v1/reshards/{jobId}/resume", job), registry);
        app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.maxRequestSize = config.maxRequestBytes();
            config.tls().install(cfg); // HTTPS only, when a key store is configured (ADR 0020)
            ProblemResponses.install(cfg);
            // token lifetimes are wall-clock time, whatever clock stamps this API's records (tests fix that one)
            // the console's static files need no token; its data calls carry one (ADR 0022)
            Authentication.install(cfg, config.auth(), Clock.systemUTC(), ConsoleRoutes::isAsset);
            auditTrail.install(cfg.routes); // after Authentication: its handlers run once the caller is known
            OperationalRoutes.install(cfg, () -> scrapeLock.scrape(registry), this::notReadyReason,
                    OPENAPI_RESOURCE);
            HttpRequestMetrics.install(cfg, registry);
            tenants.install(cfg.routes);
            fleets.install(cfg.routes);
            shards.install(cfg.routes);
            reshardRoutes.install(cfg.routes);
            orchestrations.install(cfg.routes);
            cfg.routes.get("/v1/hot-fleets", ctx -> hotFleetsView(ctx, hot.get()), Access.READ_PLATFORM);
            console.install(cfg.routes);
        });
        try {
            app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            stop();
            throw new ControlApiException("control API could not listen on " + config.host() + ":" + config.port()
                    + " (" + e.getMessage() + "); set " + ControlApiConfig.HTTP_PORT + " to a free port", e);
        }
        probeScheduler.scheduleWithFixedDelay(monitor::probeRoundSafely, 0, config.probeInterval().toMillis(),
                TimeUnit.MILLISECONDS);
        if (reshards != null) {
            reshards.start();
        }
        if (failovers != null) {
            failovers.start();
        }
        if (hotFleets != null) {
            hotFleets.start();
        }
        LOG.info("control API listening on {}://{}:{}", config.tls().enabled() ? "https" : "http", config.host(),
                app.port());
        return this;
    }

    /** Stops the HTTP server and the health monitor. Idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (failovers != null) {
            failovers.close();
        }
        if (reshards != null) {
            reshards.close();
        }
        if (hotFleets != null) {
            hotFleets.close();
        }
        probeScheduler.shutdownNow();
        probePool.shutdownNow();
        if (app != null) {
            app.stop();
        }
        if (audit != null) {
            audit.close(); // after the server: no request is left to audit
        }
        try {
            probeScheduler.awaitTermination(config.probeTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            probePool.awaitTermination(config.probeTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (probeConnections != null) {
            probeConnections.close();
        }
        LOG.info("control API stopped");
    }

    @Override
    public void close() {
        stop();
    }

    /** The bound port (the configured one, or the one picked for port 0). */
    public synchronized int port() {
        if (app == null) {
            throw new IllegalStateException("the control API is not started");
        }
        return app.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Adds a condition to {@code /readyz}: while {@code notReadyReason} returns non-null the control API answers 503
     * with that reason (e.g. a launcher still starting the parts that the API's changes rely on). May be called at any
     * time.
     */
    public ControlApi addReadinessCheck(Supplier<String> notReadyReason) {
        readinessChecks.add(Objects.requireNonNull(notReadyReason, "notReadyReason"));
        return this;
    }

    /** Null when ready; else why not, as {@code /readyz} answers it. */
    String notReadyReason() {
        Instant fenced = runner.fencedAt();
        if (fenced != null) {
            return "the map writer of this instance was fenced at " + fenced + " by another control-API instance;"
                    + " this instance no longer accepts changes";
        }
        String map = mapNotReady.get();
        if (map != null) {
            return map;
        }
        for (Supplier<String> check : readinessChecks) {
            String reason = check.get();
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    /**
     * Readiness of the map: a {@link ShardMapFollower} is not ready until it has loaded the log; other sources (the
     * in-memory map of tests) always are.
     */
    private static Supplier<String> mapReadinessOf(ShardMapSource source) {
        if (source instanceof ShardMapFollower follower) {
            return follower::notReadyReason;
        }
        return () -> null;
    }

    /** Runs one probe round now (tests). */
    void probeNow() throws InterruptedException {
        monitor.probeRound();
    }

    /** Probe rounds finished so far, the scheduled start-up round included. */
    long probeRounds() {
        return monitor.roundsDone();
    }

}
