package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs reshard jobs as durable state machines (ADR 0013). The map log holds each job's phase; this orchestrator, in
 * the control-API instance whose map writer is not fenced, looks at the map every {@code control.reshard.tick.ms} and
 * gives every job that is neither finished nor paused a worker thread, which runs the job's current phase and commits
 * the next phase as a map transaction. Every phase is idempotent, so a worker that dies (or a whole instance) is
 * replaced by the next tick, here or in the instance that takes the writer over, and the job goes on from its phase.
 *
 * <p>The delta sync is not run here: the {@code stream-processors} worker follows the same map and runs it while a
 * job is in {@code catchup} or {@code cutover}; this class reads its progress row on the target.
 */
final class ReshardOrchestrator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReshardOrchestrator.class);
    /**
     * PostgreSQL target: how long the cutover and the probe wait for the delta sync's notice before they read its
     * progress row anyway (a lost notice, a delta sync older than the notices; ADR 0046). A cancel or pause waits at
     * most this long too.
     */
    private static final long NOTICE_FALLBACK_MS = 50;
    /**
     * MariaDB target (no notices): how often the cutover reads the progress row while the fence travels. 10 ms adds
     * about 4 ms to the median noticing over the former 2 ms, against a fence trip of a few hundred ms, for a fifth of
     * the queries on the target and JVM the fence travels through (ADR 0046).
     */
    private static final long FENCE_POLL_MS = 10;
    /**
     * How long after the fence a cutover keeps its written-ahead placement while the target has not applied the fence:
     * the map's write lock is held that long, other map changes wait (ADR 0043). Fences applied within 0.2-0.9 s in
     * the bench (docs/benchmarks.md); the Kafka transaction's timeout (at least 10 s) is far off.
     */
    private static final long STAGED_PLACEMENT_MAX_NANOS = 1_000_000_000L;
    /** How often catch-up looks for a probe in flight (ADR 0033). */
    private static final long PROBE_POLL_MS = 20;
    /** The marker kind of the probe transaction (ADR 0033): tagged, so no change topic sees it; it holds nothing. */
    static final String PROBE_MARKER = "probe";
    private static final long RETRY_BACKOFF_MS = 2_000;
    private static final long DELTA_QUIET_MS = 2_000;
    private static final long DELTA_QUIET_MAX_MS = 30_000;
    /** How long validation after a restart waits for the target's log to show the writes that explain its rows. */
    private static final long EXPLAIN_WAIT_MS = 30_000;
    private static final long EXPLAIN_POLL_MS = 100;
    private static final long CLOCK_MARGIN_MS = 5_000;
    /** How long the auto-move trusts what it read of a shard's change capture (ADR 0036). */
    private static final long CAPTURE_SEEN_MS = 10_000;

    private final ControlApiConfig config;
    private final MapTransactionRunner runner;
    private final ShardMapSource source;
    private final ShardLogs offsets;
    private final Clock clock;
    private final ScheduledExecutorService ticker;
    private final ExecutorService workers;
    /** Runs the source's half of a validation step while the worker runs the target's. */
    private final ExecutorService helpers;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final Map<String, ReshardProgress> progress = new ConcurrentHashMap<>();
    private final Map<String, Long> retryAt = new ConcurrentHashMap<>();
    /** A repeatable-read transaction on the target, opened at cutover before the placement commits (validation). */
    private final Map<String, Connection> cutoverSnapshots = new ConcurrentHashMap<>();
    /**
     * The sharded tables of a job, read from both databases' metadata at its first copy or validation and kept until
     * the job ends (a restarted control API reads them again): {@code DatabaseMetaData} costs a round trip per table.
     */
    private final Map<String, List<ReshardTable>> jobTables = new ConcurrentHashMap<>();
    /** Per cross-engine job (ADR 0047): its tables on both shards with their column types, read with jobTables. */
    private final Map<String, CrossEngineTables> crossTables = new ConcurrentHashMap<>();
    /** The key ranges each job's copy used here: validation reuses them (coarser) instead of cutting them again. */
    private final Map<String, List<RangeOfFleet>> copiedRanges = new ConcurrentHashMap<>();
    private final Timer freeze;
    private final Counter rowsCopied;
    private final Counter rowsValidated;
    private final Counter rowsCleaned;
    private volatile boolean stopping;
    private final Object mapChanged = new Object();
    private long mapVersionSeen;
    private volatile java.util.function.Supplier<List<HotFleetBoard.HotFleet>> hotFleets = List::of;
    private volatile java.util.function.Function<String, NodeHealth> health = id -> NodeHealth.UNKNOWN;
    /** The auto-move's view of each shard's capture, read at most every {@link #CAPTURE_SEEN_MS} (ADR 0036). */
    private final Map<String, CaptureSeen> captureSeen = new ConcurrentHashMap<>();

    /** What the auto-move last read of a shard's capture, and when (this instance's clock). */
    private record CaptureSeen(CaptureState state, long atMs) {
    }

    ReshardOrchestrator(ControlApiConfig config, MapTransactionRunner runner, ShardMapSource source,
            ShardLogs offsets, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.runner = runner;
        this.source = source;
        this.offsets = offsets;
        this.clock = clock;
        this.ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("control-api-reshard-tick"));
        this.workers = Executors.newCachedThreadPool(DaemonThreads.named("control-api-reshard-job"));
        this.helpers = Executors.newCachedThreadPool(DaemonThreads.named("control-api-reshard-validate"));
        this.freeze = Timer.builder("fleetshard.reshard.write.freeze")
                .description("Fence committed on the source until the new placement is in the map: how long writes"
                        + " of the moving fleets were held")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.rowsCopied = Counter.builder("fleetshard.reshard.rows").tag("step", "copy").register(registry);
        this.rowsValidated = Counter.builder("fleetshard.reshard.rows").tag("step", "validate").register(registry);
        this.rowsCleaned = Counter.builder("fleetshard.reshard.rows").tag("step", "cleanup").register(registry);
        io.micrometer.core.instrument.Gauge.builder("fleetshard.reshard.jobs.running", running, Set::size)
                .description("Reshard jobs this instance is working on").register(registry);
    }

    /** Where {@code control.reshard.auto} finds hot fleets, and the node health the planner checks. */
    void autoMoveFrom(java.util.function.Supplier<List<HotFleetBoard.HotFleet>> hot,
            java.util.function.Function<String, NodeHealth> nodeHealth) {
        this.hotFleets = hot;
        this.health = nodeHealth;
    }

    void start() {
        source.addListener(this::onMapChange);
        ticker.scheduleWithFixedDelay(this::tickSafely, 0, config.reshardTickMs(), TimeUnit.MILLISECONDS);
    }

    ReshardProgress progress(String jobId) {
        return progress.computeIfAbsent(jobId, id -> new ReshardProgress());
    }

    @Override
    public void close() {
        stopping = true;
        ticker.shutdownNow();
        workers.shutdownNow();
        helpers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cutoverSnapshots.values().forEach(ReshardOrchestrator::closeQuietly);
        offsets.close();
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("reshard orchestrator round failed: {}", e.toString());
        }
    }

    void tick() {
        if (stopping || runner.fencedAt() != null) {
            return;
        }
        long now = clock.millis();
        if (config.reshardAuto()) {
            planAutoMove();
        }
        for (ReshardJob job : source.current().reshards()) {
            if (job.phase().isTerminal() || job.paused() || retryAt.getOrDefault(job.jobId(), 0L) > now) {
                continue;
            }
            if (running.add(job.jobId())) {
                workers.execute(() -> work(job.jobId()));
            }
        }
    }

    /**
     * {@code control.reshard.auto}: while no job runs, moves the hottest reported fleet that is still on the shard it
     * was hot on to the shard of the same engine holding the fewest fleets (one job at a time).
     */
    private void planAutoMove() {
        ShardMapSnapshot map = source.current();
        if (map.reshards().stream().anyMatch(j -> !j.phase().isTerminal())) {
            return;
        }
        for (HotFleetBoard.HotFleet hot : hotFleets.get()) {
            var fleet = map.fleet(hot.tenantId(), hot.fleetId());
            if (fleet.isEmpty()) {
                continue;
            }
            String on = map.shardFor(fleet.get());
            if (hot.shardId() != null && !hot.shardId().isEmpty() && !hot.shardId().equals(on)) {
                continue; // reported hot on a shard it has left since
            }
            if (!captureStreams(on)) { // ADR 0036: no move while capture of a shard does not stream yet
                LOG.info("control.reshard.auto: not moving hot fleet {}/{}: {}", hot.tenantId(), hot.fleetId(),
                        captureSeen.get(on).state().refusal("source"));
                continue;
            }
            Engine engine = map.shard(on).map(Shard::engine).orElse(null);
            Map<String, Integer> load = new java.util.HashMap<>();
            for (Shard s : map.shards()) {
                if (s.engine() == engine && !s.shardId().equals(on) && s.status().ownsRing()
                        && captureStreams(s.shardId())) {
                    load.put(s.shardId(), 0);
                }
            }
            map.fleets().forEach(f -> load.computeIfPresent(map.shardFor(f), (k, v) -> v + 1));
            String target = load.entrySet().stream().min(Map.Entry.<String, Integer>comparingByValue()
                    .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey).orElse(null);
            if (target == null) {
                continue;
            }
            String jobId = "rs-auto-" + Long.toString(clock.millis(), 36);
            ReshardRequest req = new ReshardRequest(io.fleetshard.shardmap.ReshardKind.MOVE, hot.tenantId(),
                    hot.fleetId(), null, target);
            try {
                runner.run("auto-move hot fleet " + hot.tenantId() + "/" + hot.fleetId(), m -> {
                    ReshardJob job = ReshardPlanner.plan(req, m, health, jobId, clock.millis());
                    return MapTransactionRunner.Plan.put(List.of(job), job);
                });
                LOG.info("control.reshard.auto: moving hot fleet {}/{} ({} writes in its window) from {} to {} as job"
                        + " {}", hot.tenantId(), hot.fleetId(), hot.writes(), on, target, jobId);
                return;
            } catch (ApiProblem e) {
                LOG.info("control.reshard.auto: cannot move hot fleet {}/{}: {}", hot.tenantId(), hot.fleetId(),
                        e.getMessage());
            }
        }
    }

    /**
     * Why a job from {@code sourceShardId} to {@code targetShardId} must not start now, or empty: a shard whose change
     * capture does not stream yet (ADR 0036). Reads capture's committed positions afresh.
     *
     * @throws ControlApiException when capture's position cannot be read
     */
    String captureRefusal(String sourceShardId, String targetShardId) {
        String source = offsets.capture(sourceShardId).refusal("source");
        return source.isEmpty() ? offsets.capture(targetShardId).refusal("target") : source;
    }

    /**
     * Why a move between shards of different engines cannot run, or empty (ADR 0047): a sharded table missing on the
     * target, columns that differ by name, or a column whose type cannot be converted, each named with table and
     * column. Empty for a job between shards of one engine. Reads both shards' catalogs.
     *
     * @throws SQLException when a shard's catalog cannot be read
     */
    String crossEngineRefusal(ReshardJob job) throws SQLException {
        if (!crossEngine(job)) {
            return "";
        }
        try (Connection src = connect(job.sourceShardId()); Connection tgt = connect(job.targetShardId())) {
            CrossEngineTables x = readCrossTables(job, src, tgt);
            return x.refusals().isEmpty() ? "" : "cannot move from " + job.sourceShardId() + " ("
                    + shard(job.sourceShardId()).engine().wireName() + ") to " + job.targetShardId() + " ("
                    + shard(job.targetShardId()).engine().wireName() + "): " + String.join("; ", x.refusals())
                    + " (ADR 0047)";
        }
    }

    private boolean crossEngine(ReshardJob job) {
        return shard(job.sourceShardId()).engine() != shard(job.targetShardId()).engine();
    }

    private CrossEngineTables readCrossTables(ReshardJob job, Connection src, Connection tgt) throws SQLException {
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        return CrossEngineTables.match(
                srcSql.typed(src, srcSql.tables(src), shard(job.sourceShardId()).engine()),
                tgtSql.typed(tgt, tgtSql.tables(tgt), shard(job.targetShardId()).engine()),
                job.sourceShardId(), job.targetShardId());
    }

    /** The target's version of a job's table: itself, or for a cross-engine job the target's typed table. */
    private ReshardTable onTarget(ReshardJob job, ReshardTable t) {
        CrossEngineTables x = crossTables.get(job.jobId());
        return x == null ? t : x.onTarget(t);
    }

    /** The auto-move's check: capture of the shard streams, as last read at most {@link #CAPTURE_SEEN_MS} ago. */
    private boolean captureStreams(String shardId) {
        long now = clock.millis();
        CaptureSeen seen = captureSeen.get(shardId);
        if (seen == null || now - seen.atMs() >= CAPTURE_SEEN_MS) {
            CaptureState state;
            try {
                state = offsets.capture(shardId);
            } catch (ControlApiException e) {
                LOG.info("control.reshard.auto: cannot read change capture's position of shard {}: {}", shardId,
                        e.getMessage());
                state = CaptureState.none(shardId);
            }
            seen = new CaptureSeen(state, now);
            captureSeen.put(shardId, seen);
        }
        return seen.state().streaming();
    }

    // ------------------------------------------------------------------------------------------------ the worker

    /** Thrown when the job left the phase a step was running for (cancel, pause, another instance). */
    private static final class PhaseChanged extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PhaseChanged(String message) {
            super(message, null, false, false);
        }
    }

    /** A failure that retrying cannot fix: the job goes to {@code failed}. */
    private static final class JobFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JobFailed(String message) {
            super(message);
        }
    }

    private void work(String jobId) {
        ReshardProgress p = progress(jobId);
        try {
            while (!stopping) {
                ReshardJob job = source.current().reshard(jobId).orElse(null);
                if (job == null || job.phase().isTerminal()) {
                    jobTables.remove(jobId);
                    crossTables.remove(jobId);
                    copiedRanges.remove(jobId);
                    return;
                }
                if (job.paused() || runner.fencedAt() != null) {
                    return;
                }
                try {
                    step(job, p);
                } catch (PhaseChanged e) {
                    LOG.info("reshard job {}: {}", jobId, e.getMessage());
                } catch (JobFailed e) {
                    LOG.error("reshard job {} failed: {}", jobId, e.getMessage());
                    p.lastError = e.getMessage();
                    p.lastErrorAtMs = clock.millis();
                    transition(current(jobId), ReshardPhase.FAILED, e.getMessage(), List.of());
                }
            }
        } catch (PhaseChanged e) {
            LOG.info("reshard job {}: {}", jobId, e.getMessage());
        } catch (SQLException | RuntimeException e) {
            String message = e instanceof SQLException sql ? sql.getMessage() + " (SQLState " + sql.getSQLState() + ")"
                    : e.getMessage();
            boolean again = message != null && message.equals(p.lastError);
            p.lastError = message;
            p.lastErrorAtMs = clock.millis();
            retryAt.put(jobId, clock.millis() + RETRY_BACKOFF_MS);
            if (again) { // the same error every 2 s until someone acts: once at warn is enough (the job shows it)
                LOG.debug("reshard job {}: {}; retrying in {} ms", jobId, message, RETRY_BACKOFF_MS);
            } else {
                LOG.warn("reshard job {}: {}; retrying every {} ms while it lasts", jobId, message, RETRY_BACKOFF_MS);
            }
        } finally {
            running.remove(jobId);
        }
    }

    private void step(ReshardJob job, ReshardProgress p) throws SQLException {
        switch (job.phase()) {
            case PRECOPY -> precopy(job, p);
            case CATCHUP -> catchup(job, p);
            case CUTOVER -> cutover(job, p);
            case VALIDATE -> validate(job, p);
            case CLEANUP -> cleanup(job, p);
            case CANCELLING -> cancel(job, p);
            default -> throw new PhaseChanged("nothing to do in phase " + job.phase().wireName());
        }
    }

    private ReshardJob current(String jobId) {
        return source.current().reshard(jobId).orElseThrow(() -> new PhaseChanged("job " + jobId + " left the map"));
    }

    /** Fails with {@link PhaseChanged} once the job is no longer in {@code job}'s phase, paused, or we stop. */
    private void checkStill(ReshardJob job) {
        ReshardJob now = current(job.jobId());
        if (stopping || now.phase() != job.phase() || now.paused() || runner.fencedAt() != null) {
            throw new PhaseChanged("left " + job.phase().wireName() + " (now " + now.phase().wireName()
                    + (now.paused() ? ", paused" : "") + ")");
        }
    }

    /** Commits {@code next} for the job if it is still in {@code expected}'s phase, with {@code extra} in the same map transaction. */
    private ReshardJob transition(ReshardJob expected, ReshardPhase next, String detail,
            List<? extends MapEntity> extra) {
        return commit(expected, "move to " + next.wireName(), map -> {
            List<MapEntity> puts = new ArrayList<>(extra);
            return puts;
        }, j -> j.withPhase(next, clock.millis(), detail));
    }

    private ReshardJob commit(ReshardJob expected, String what,
            java.util.function.Function<ShardMapSnapshot, List<MapEntity>> extra,
            java.util.function.UnaryOperator<ReshardJob> change) {
        long started = System.nanoTime();
        try {
            return committed(expected, what, started, runner.run("reshard job " + expected.jobId() + ": " + what,
                    changeOf(expected, extra, change)));
        } catch (ApiProblem e) {
            throw phaseChangedOr(e);
        }
    }

    /** {@link #commit}'s change, written ahead ({@link MapTransactionRunner#stage}) to be committed later. */
    private MapTransactionRunner.Staged<ReshardJob> stage(ReshardJob expected, String what,
            java.util.function.Function<ShardMapSnapshot, List<MapEntity>> extra,
            java.util.function.UnaryOperator<ReshardJob> change) {
        try {
            return runner.stage("reshard job " + expected.jobId() + ": " + what, changeOf(expected, extra, change));
        } catch (ApiProblem e) {
            throw phaseChangedOr(e);
        }
    }

    private ReshardJob commit(MapTransactionRunner.Staged<ReshardJob> staged, ReshardJob expected, String what) {
        long started = System.nanoTime();
        try {
            return committed(expected, what, started, staged.commit());
        } catch (ApiProblem e) {
            throw phaseChangedOr(e);
        }
    }

    private MapTransactionRunner.MapChange<ReshardJob> changeOf(ReshardJob expected,
            java.util.function.Function<ShardMapSnapshot, List<MapEntity>> extra,
            java.util.function.UnaryOperator<ReshardJob> change) {
        return map -> {
            ReshardJob now = map.reshard(expected.jobId()).orElseThrow(() -> ApiProblem.conflict("job "
                    + expected.jobId() + " is gone"));
            if (now.phase() != expected.phase()) {
                throw ApiProblem.conflict("job " + expected.jobId() + " is in " + now.phase().wireName()
                        + ", not " + expected.phase().wireName());
            }
            ReshardJob updated = change.apply(now);
            List<MapEntity> puts = new ArrayList<>(extra.apply(map));
            puts.add(updated);
            return MapTransactionRunner.Plan.put(puts, updated);
        };
    }

    private ReshardJob committed(ReshardJob expected, String what, long startedNanos,
            MapTransactionRunner.Committed<ReshardJob> done) {
        LOG.info("reshard job {}: {} (map version {})", expected.jobId(), what, done.mapVersion());
        ReshardProgress p = progress.get(expected.jobId());
        if (p != null) { // the next phase's ETA counts one such transaction for its own end
            p.lastMapCommitMs = (System.nanoTime() - startedNanos) / 1_000_000;
            p.lastMapSteps = done.steps();
        }
        return done.result();
    }

    private static RuntimeException phaseChangedOr(ApiProblem e) {
        return e.status() == 409 ? new PhaseChanged(e.getMessage()) : e;
    }

    // ------------------------------------------------------------------------------------------------ phases

    private void precopy(ReshardJob job, ReshardProgress p) throws SQLException {
        if (job.startOffset() < 0) {
            long end = offsets.endOffset(job.sourceShardId());
            job = commit(job, "record shard-log start offset " + end, map -> List.of(),
                    j -> j.withStartOffset(end, clock.millis()));
        }
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        int slot = ReshardSql.slotOf(job.jobId());
        try (Connection src = connect(job.sourceShardId()); Connection tgt = connect(job.targetShardId())) {
            srcSql.prepare(src);
            tgtSql.prepare(tgt);
            // a fleet that moves back to a shard it once left: its old fence row there must go before copying
            tgtSql.beginTagged(tgt, slot, job.jobId(), "copy");
            for (String key : job.fleets()) {
                tgtSql.unfence(tgt, tenant(key), fleet(key));
            }
            tgt.commit();
            long plannedAt = System.nanoTime();
            List<ReshardTable> tables = tablesOf(job, srcSql, src, tgtSql, tgt);
            p.rowsTotal = -1; // until the plan is complete
            p.rowsCopied = 0;
            p.copyStartedAtMs = clock.millis();
            p.copyPace.start(p.copyStartedAtMs);
            Copy copy = new Copy(job, p, srcSql, tgtSql);
            int workers = copy.run(src, tgt, slot, tables);
            LOG.info("reshard job {}: copied {} row(s) in {} range(s) in {} ms by {} worker(s), {} ms of it in commits"
                    + " (ranges planned during the first {} ms)", job.jobId(), p.rowsCopied, copy.ranges.size(),
                    (System.nanoTime() - plannedAt) / 1_000_000, workers, copy.commitNanos.get() / 1_000_000,
                    copy.planNanos / 1_000_000);
        }
        transition(job, ReshardPhase.CATCHUP, null, List.of());
    }

    /**
     * The bulk copy of one job's ranges, planned while it runs (ADR 0059). This thread cuts the moving fleets' rows
     * into ranges on the source connection while the other copy workers, each with its own connections to both shards
     * and its own marker slot (a shared one would serialize their transactions on its row), copy every range as soon
     * as the plan holds a later one; once the plan is complete this thread copies beside them. Up to
     * {@code control.reshard.copy.parallelism} workers in all when the target is PostgreSQL and the move is between
     * like engines (the ranges are disjoint key ranges and PostgreSQL takes no locks between adjacent ones; InnoDB's
     * next-key locks would, so MariaDB targets and cross-engine moves copy on this thread alone, after the plan). The
     * last range is copied after all others, by this thread, alone, and only its commit waits for the target's
     * synchronous replica, which covers every range before it (WAL order). A failure of the plan or of a worker stops
     * the others and fails the phase as a single copy's would.
     */
    private final class Copy {
        private final ReshardJob job;
        private final ReshardProgress p;
        private final ReshardSql srcSql;
        private final ReshardSql tgtSql;
        /** The ranges planned so far, in copy order; complete once {@link #planned} is set. Guarded by itself. */
        final List<RangeOfFleet> ranges = new ArrayList<>();
        private boolean planned;
        /** The index of the next range to take. Guarded by {@link #ranges}. */
        private int next;
        private final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong commitNanos = new AtomicLong();
        long planNanos;

        Copy(ReshardJob job, ReshardProgress p, ReshardSql srcSql, ReshardSql tgtSql) {
            this.job = job;
            this.p = p;
            this.srcSql = srcSql;
            this.tgtSql = tgtSql;
        }

        /** Plans and copies every range; returns how many workers copied the ranges before the last. */
        int run(Connection src, Connection tgt, int slot, List<ReshardTable> tables) throws SQLException {
            boolean parallel = !crossTables.containsKey(job.jobId())
                    && shard(job.targetShardId()).engine() == Engine.POSTGRES;
            int workers = parallel ? Math.max(1, config.reshardCopyParallelism()) : 1;
            ExecutorService helpers = workers > 1 ? Executors.newFixedThreadPool(workers - 1, r -> {
                Thread t = new Thread(r, "reshard-copy-" + job.jobId());
                t.setDaemon(true);
                return t;
            }) : null;
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int w = 1; w < workers; w++) {
                    int workerSlot = ReshardSql.copySlotOf(job.jobId(), w);
                    running.add(helpers.submit(() -> {
                        RangeOfFleet first = take(false);
                        if (first == null) {
                            return null; // a small job: the job's thread copies it without waiting for connections
                        }
                        try (Connection s = connect(job.sourceShardId()); Connection t = connect(job.targetShardId())) {
                            srcSql.prepare(s);
                            tgtSql.prepare(t);
                            copyOne(first, s, t, workerSlot, true);
                            copyBeforeLast(s, t, workerSlot);
                        } catch (SQLException | RuntimeException e) {
                            stop.set(true);
                            throw e;
                        }
                        return null;
                    }));
                }
                Exception failure = null;
                long planStart = System.nanoTime();
                try {
                    plan(src, tables);
                    planNanos = System.nanoTime() - planStart;
                    copyBeforeLast(src, tgt, slot); // this thread joins the workers once the plan is complete
                } catch (StoppedByWorker e) {
                    // the worker's failure is the one to report
                } catch (SQLException | RuntimeException | InterruptedException e) {
                    failure = e;
                }
                for (Future<?> f : running) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        if (failure == null) {
                            failure = e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stop.set(true);
                        failure = failure != null ? failure : e;
                    }
                }
                if (failure instanceof SQLException e) {
                    throw e;
                } else if (failure instanceof RuntimeException e) {
                    throw e;
                } else if (failure instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new PhaseChanged("interrupted during the copy");
                } else if (failure != null) {
                    throw new IllegalStateException(failure);
                }
            } finally {
                if (helpers != null) {
                    helpers.shutdownNow();
                }
            }
            if (!ranges.isEmpty()) {
                copyOne(ranges.get(ranges.size() - 1), src, tgt, slot, false);
            }
            return workers;
        }

        /** Cuts the ranges on {@code src}, handing each to the workers as soon as it is known. */
        private void plan(Connection src, List<ReshardTable> tables) throws SQLException {
            try {
                List<RangeOfFleet> all = rangesOf(job, srcSql, src, tables, config.reshardCopyBatchRows(), r -> {
                    if (stop.get()) {
                        throw new StoppedByWorker();
                    }
                    synchronized (ranges) {
                        ranges.add(r);
                        ranges.notifyAll();
                    }
                });
                copiedRanges.put(job.jobId(), List.copyOf(all)); // what the workers were handed, in the same order
                p.rowsTotal = all.stream().mapToLong(RangeOfFleet::rows).sum();
            } catch (SQLException | RuntimeException e) {
                stop.set(true);
                throw e;
            } finally {
                synchronized (ranges) {
                    planned = true; // complete, or abandoned with stop set: the workers stop waiting either way
                    ranges.notifyAll();
                }
            }
        }

        /** Copies ranges before the last until none is left or another worker or the plan failed. */
        private void copyBeforeLast(Connection src, Connection tgt, int slot)
                throws SQLException, InterruptedException {
            try {
                for (RangeOfFleet r = take(true); r != null; r = take(true)) {
                    copyOne(r, src, tgt, slot, true);
                }
            } catch (SQLException | RuntimeException | InterruptedException e) {
                stop.set(true);
                throw e;
            }
        }

        /**
         * The next range nobody took, once the plan holds a later one (so it is not the last); null when only the last
         * is left, or the copy stops.
         *
         * @param connected false for a worker that has no connections yet: once the plan is complete it takes nothing
         *        unless two or more ranges before the last are left (one the job's thread copies sooner than a worker
         *        connects)
         */
        private RangeOfFleet take(boolean connected) throws InterruptedException {
            synchronized (ranges) {
                while (!planned && !stop.get() && ranges.size() <= next + 1) {
                    ranges.wait(100); // stop is set outside the lock
                }
                int left = ranges.size() - 1 - next;
                return stop.get() || left < 1 || !connected && planned && left < 2 ? null : ranges.get(next++);
            }
        }

        /** Ends the plan's scan early once a worker failed. */
        private static final class StoppedByWorker extends RuntimeException {
            StoppedByWorker() {
                super("a copy worker failed", null, false, false);
            }
        }

        private void copyOne(RangeOfFleet r, Connection src, Connection tgt, int slot, boolean deferReplicaWait)
                throws SQLException {
            checkStill(job);
            tgtSql.beginTagged(tgt, slot, job.jobId(), "copy");
            if (deferReplicaWait) {
                tgtSql.deferReplicaWait(tgt);
            }
            long n;
            if (crossTables.containsKey(job.jobId())) {
                try {
                    n = CrossEngineCopy.copyRange(srcSql, src, r.table(), tgtSql, tgt, onTarget(job, r.table()),
                            tenant(r.fleet()), fleet(r.fleet()), r.range(), config.reshardCopyBatchRows());
                } catch (CrossEngineCopy.ValueDoesNotFit e) {
                    tgt.rollback();
                    throw new JobFailed("the copy to " + job.targetShardId() + " stopped at a value it cannot"
                            + " hold: " + e.getMessage());
                }
            } else {
                n = tgtSql.copyRange(src, tgt, r.table(), tenant(r.fleet()), fleet(r.fleet()), r.range(),
                        config.reshardCopyBatchRows());
            }
            long committing = System.nanoTime();
            tgt.commit(); // the last range's waits for the target's synchronous replica, if it has one
            commitNanos.addAndGet(System.nanoTime() - committing);
            long copied;
            synchronized (p) {
                p.rowsCopied += n;
                copied = p.rowsCopied;
                p.copyPace.record(copied, clock.millis());
            }
            rowsCopied.increment(n);
            throttle(config.reshardCopyMaxRowsPerSec(), copied, p.copyStartedAtMs);
        }
    }

    /** One key range of one fleet's rows of one table, and about how many rows it holds. */
    record RangeOfFleet(String fleet, ReshardTable table, ReshardSql.KeyRange range, long rows) {
    }

    /**
     * The moving fleets' rows on the source cut into key ranges of {@code rows} rows: the units of copy
     * ({@code control.reshard.copy.batch.rows}, so a transaction stays small) and of validation
     * ({@code control.reshard.validate.batch.rows}), so that progress (and the ETA) moves evenly.
     */
    private List<RangeOfFleet> rangesOf(ReshardJob job, ReshardSql sql, Connection src, List<ReshardTable> tables,
            int rows) throws SQLException {
        return rangesOf(job, sql, src, tables, rows, r -> { });
    }

    /** As above, handing each fleet's ranges but its last to {@code cut} as soon as the scan finds them. */
    private List<RangeOfFleet> rangesOf(ReshardJob job, ReshardSql sql, Connection src, List<ReshardTable> tables,
            int rows, java.util.function.Consumer<RangeOfFleet> cut) throws SQLException {
        List<RangeOfFleet> out = new ArrayList<>();
        for (String key : job.fleets()) {
            for (ReshardTable t : tables) {
                checkStill(job);
                ReshardSql.FleetRanges fleetRanges = sql.ranges(src, t, tenant(key), fleet(key), rows,
                        r -> cut.accept(new RangeOfFleet(key, t, r, rows)));
                List<ReshardSql.KeyRange> ranges = fleetRanges.ranges();
                long total = fleetRanges.rows();
                for (int i = 0; i < ranges.size(); i++) {
                    long in = i < ranges.size() - 1 ? rows : total - (long) rows * (ranges.size() - 1);
                    out.add(new RangeOfFleet(key, t, ranges.get(i), Math.max(0, in)));
                }
                if (ranges.size() > 0) { // the fleet's last range: known once its scan ended
                    cut.accept(out.get(out.size() - 1));
                }
            }
        }
        return out;
    }

    /**
     * Validation's ranges: consecutive ranges of one fleet and table joined into as few as {@code rows} allows, of
     * about equal size. Equal, because each range's checksum reads most of the fleet's pages whatever its row count:
     * a small last range costs about as much as a full one, and the ETA, which counts rows, would then fall short.
     */
    static List<RangeOfFleet> joined(List<RangeOfFleet> ranges, int rows) {
        List<RangeOfFleet> out = new ArrayList<>();
        int runStart = 0;
        for (int i = 1; i <= ranges.size(); i++) {
            if (i == ranges.size() || !sameRun(ranges.get(runStart), ranges.get(i))) {
                joinRun(ranges.subList(runStart, i), rows, out);
                runStart = i;
            }
        }
        return out;
    }

    private static boolean sameRun(RangeOfFleet a, RangeOfFleet b) {
        return a.fleet().equals(b.fleet()) && a.table().equals(b.table());
    }

    /** Joins one fleet's ranges of one table into ceil(total / rows) groups, each range to the group of its middle. */
    private static void joinRun(List<RangeOfFleet> run, int rows, List<RangeOfFleet> out) {
        long total = run.stream().mapToLong(RangeOfFleet::rows).sum();
        long groups = Math.max(1, (total + rows - 1) / rows);
        double perGroup = Math.max(1, total / (double) groups);
        RangeOfFleet open = null;
        long openGroup = -1;
        long before = 0;
        for (RangeOfFleet r : run) {
            long group = Math.min(groups - 1, (long) ((before + r.rows() / 2.0) / perGroup));
            before += r.rows();
            if (open != null && group == openGroup) {
                open = new RangeOfFleet(open.fleet(), open.table(),
                        new ReshardSql.KeyRange(open.range().after(), r.range().upTo()), open.rows() + r.rows());
            } else {
                if (open != null) {
                    out.add(open);
                }
                open = r;
                openGroup = group;
            }
        }
        if (open != null) {
            out.add(open);
        }
    }

    private void catchup(ReshardJob job, ReshardProgress p) throws SQLException {
        if (job.fleets().isEmpty()) { // a split whose arcs hold no fleet: nothing to catch up
            transition(job, ReshardPhase.CUTOVER, null, List.of());
            return;
        }
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        long lastApplied = -1;
        long lastAt = clock.millis();
        ShardLogs.Markers markers = null;
        PipelineProbe probe = null;
        DeltaProgressWatch watch = null;
        p.probe = null;
        long catchupStart = System.nanoTime();
        long runningAfterMs = -1;
        long probeAfterMs = -1;
        try (Connection tgt = connect(job.targetShardId()); Connection src = connect(job.sourceShardId())) {
            while (true) {
                checkStill(job);
                ReshardSql.DeltaProgress d = tgtSql.progress(tgt, job.jobId());
                long end = offsets.endOffset(job.sourceShardId());
                long applied = d == null ? job.startOffset() - 1 : d.sourceOffset();
                long lag = Math.max(0, end - applied - 1);
                long now = clock.millis();
                if (lastApplied >= 0 && now > lastAt && applied > lastApplied) {
                    p.lagRecordsPerSec = (applied - lastApplied) * 1000 / (now - lastAt);
                }
                if (applied != lastApplied) {
                    lastApplied = applied;
                    lastAt = now;
                }
                p.lagRecords = lag;
                p.appliedOffset = applied;
                // the delta sync writes its progress row once it runs (at start offset - 1 before any record), so a
                // missing row means it is still starting: cutting over then would hold writes for its whole start-up
                boolean running = d != null || job.startOffset() == 0;
                if (running && runningAfterMs < 0) {
                    runningAfterMs = (System.nanoTime() - catchupStart) / 1_000_000;
                }
                if (running && lag <= config.reshardCutoverMaxLag()) {
                    if (config.reshardCutoverProbeMs() <= 0) {
                        transition(job, ReshardPhase.CUTOVER, null, List.of());
                        return;
                    }
                    // the lag above is the shard log's; what capture has not read from the source yet is in no log,
                    // so a probe goes the fence's way first (ADR 0033)
                    if (probe == null) {
                        // listening before the probe is sent: the notice of the delta sync passing it cannot be missed
                        watch = watchProgress(tgtSql, tgt, job, PROBE_POLL_MS);
                        markers = offsets.markers(job.sourceShardId(), end);
                        probe = new PipelineProbe(probePipeline(job, srcSql, src, tgtSql, tgt, markers),
                                config.reshardCutoverProbeMs(), config.reshardCutoverTimeout().toMillis(),
                                System::nanoTime);
                        probeAfterMs = (System.nanoTime() - catchupStart) / 1_000_000;
                    }
                    PipelineProbe.Status s = probe.check();
                    p.probe = s;
                    if (s.current()) {
                        LOG.info("reshard job {}: pipeline current after {} probe(s): {} (the delta sync's progress"
                                + " row seen {} ms into the catch-up, the first probe set up at {} ms)", job.jobId(),
                                s.sent(), s.where(), runningAfterMs, probeAfterMs);
                        transition(job, ReshardPhase.CUTOVER, null, List.of());
                        return;
                    }
                    if (probe.inFlight()) {
                        // its arrival time is the measurement: woken by the delta sync's commits (PostgreSQL), or polled
                        watch.await(NOTICE_FALLBACK_MS); // the probe reads the row itself
                    } else {
                        LOG.info("reshard job {}: {}", job.jobId(), s.where()); // late: the next one goes at once
                    }
                    continue;
                }
                // as often as the probe's poll: a cutover no longer follows the delta sync's first progress row at
                // once (the seventh session's concern with a 50 ms poll here, docs/benchmarks.md), the probe has to
                // pass through the running app first (ADR 0033); a tick here was up to 200 ms of every catch-up
                if (watch != null) {
                    watch.discardNotices(); // the row is read above anyway; the driver would keep them
                }
                pause(Math.min(PROBE_POLL_MS, config.reshardTickMs()));
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
            if (markers != null) {
                markers.close();
            }
        }
    }

    /** The probe's view of one job: the probe transaction on the source, its marker in the log, the delta sync. */
    private PipelineProbe.Pipeline probePipeline(ReshardJob job, ReshardSql srcSql, Connection src, ReshardSql tgtSql,
            Connection tgt, ShardLogs.Markers markers) {
        int slot = ReshardSql.slotOf(job.jobId());
        return new PipelineProbe.Pipeline() {
            @Override
            public long send() throws SQLException {
                long seq = srcSql.beginTagged(src, slot, job.jobId(), PROBE_MARKER);
                src.commit();
                return seq;
            }

            @Override
            public long offsetOf(long seq) {
                return markers.find(job.jobId(), PROBE_MARKER, seq);
            }

            @Override
            public long applied() throws SQLException {
                ReshardSql.DeltaProgress d = tgtSql.progress(tgt, job.jobId());
                return d == null ? -1 : d.sourceOffset();
            }
        };
    }

    private void cutover(ReshardJob job, ReshardProgress p) throws SQLException {
        if (job.fleets().isEmpty()) { // only tokens change owner: no row to fence or apply
            commit(job, "cutover: tokens to " + job.targetShardId(), map -> ReshardPlanner.placementAfter(job, map),
                    j -> j.withPhase(ReshardPhase.VALIDATE, clock.millis(), null));
            p.freezeMs = 0;
            return;
        }
        long startedNanos = System.nanoTime();
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        int slot = ReshardSql.slotOf(job.jobId());
        Connection snapshot = connect(job.targetShardId()); // connected before the fence: not part of the freeze
        boolean snapshotKept = false;
        try (Connection src = connect(job.sourceShardId()); Connection tgt = connect(job.targetShardId());
                DeltaProgressWatch watch = watchProgress(tgtSql, tgt, job, FENCE_POLL_MS)) { // listening: not in the freeze
            prepareSnapshot(snapshot, tgtSql); // its settings too: only the statement that takes it is in the freeze
            List<ReshardTable> tables = tablesOf(job, srcSql, src, tgtSql, tgt); // read at the copy, kept per job
            // the delta sync reports the newest fence marker of the job it applied by its sequence number: an older
            // fence of this job (lifted after a timeout) that it replays must not count as this one
            long fenceSeq = srcSql.beginTagged(src, slot, job.jobId(), "fence");
            long lockingNanos = System.nanoTime();
            srcSql.lockForFence(src, tables);
            long lockedNanos = System.nanoTime();
            for (String key : job.fleets()) {
                srcSql.fence(src, tenant(key), fleet(key), job.jobId());
            }
            src.commit();
            long fencedAtNanos = System.nanoTime();
            long fencedAtMs = clock.millis();
            long appliedAtMs = -1;
            long deadline = fencedAtNanos + config.reshardCutoverTimeout().toNanos();
            String placement = "cutover: new placement on " + job.targetShardId();
            java.util.function.Function<ShardMapSnapshot, List<MapEntity>> placed =
                    map -> ReshardPlanner.placementAfter(job, map);
            java.util.function.UnaryOperator<ReshardJob> validating =
                    j -> j.withPhase(ReshardPhase.VALIDATE, clock.millis(), null);
            // the placement's map transaction is written while the fence is on its way to the target, so that only
            // its commit is left for the freeze (ADR 0043); it holds the map's write lock, so not for long
            MapTransactionRunner.Staged<ReshardJob> staged = stagePlacement(job, placement, placed, validating);
            try {
                // a fence applied while the placement was being staged is found by this first read, without a wait
                // (ADR 0046: the staging keeps the map's write lock on this thread, its commit has to wait for it anyway)
                ReshardSql.DeltaProgress d = watch.read();
                while (true) {
                    if (d != null) {
                        p.appliedOffset = d.sourceOffset();
                    }
                    if (d != null && d.fenceSeq() >= fenceSeq) {
                        appliedAtMs = d.updatedAtMs();
                        break;
                    }
                    if (staged != null && System.nanoTime() - fencedAtNanos > STAGED_PLACEMENT_MAX_NANOS) {
                        LOG.info("reshard job {}: the fence is not applied on the target {} ms after it committed;"
                                + " the written-ahead placement is dropped and committed anew once it is", job.jobId(),
                                STAGED_PLACEMENT_MAX_NANOS / 1_000_000);
                        staged.abort(); // other map changes may not wait for a slow fence
                        staged = null;
                    }
                    if (System.nanoTime() > deadline) {
                        if (staged != null) { // before the job's own change below, which needs the writer
                            staged.abort();
                            staged = null;
                        }
                        liftFence(job, srcSql, src, slot);
                        String why = "the target did not apply through the fence within "
                                + config.reshardCutoverTimeout().toMillis() + " ms (is the stream-processors delta"
                                + " sync running?); the fence is lifted and writes go on on " + job.sourceShardId();
                        p.lastError = why;
                        p.lastErrorAtMs = clock.millis();
                        transition(job, ReshardPhase.CATCHUP, why, List.of());
                        return;
                    }
                    checkStill(job);
                    long now = System.nanoTime();
                    long waitNanos = deadline - now;
                    if (staged != null) { // the staged placement's 1 s bound is kept to the ms
                        waitNanos = Math.min(waitNanos, fencedAtNanos + STAGED_PLACEMENT_MAX_NANOS - now);
                    }
                    d = watch.next(Math.max(1, (waitNanos + 999_999) / 1_000_000));
                }
                long noticedNanos = System.nanoTime();
                takeSnapshot(snapshot, tgtSql);
                long snapshotNanos = System.nanoTime() - noticedNanos;
                if (staged != null) {
                    MapTransactionRunner.Staged<ReshardJob> s = staged;
                    staged = null;
                    commit(s, job, placement);
                } else {
                    commit(job, placement, placed, validating);
                }
                p.freezeNoticedMs = (noticedNanos - fencedAtNanos) / 1_000_000;
                p.freezeMapCommitMs = (System.nanoTime() - noticedNanos) / 1_000_000;
                p.freezeSnapshotMs = snapshotNanos / 1_000_000;
            } finally {
                if (staged != null) {
                    staged.abort();
                }
            }
            long frozenNanos = System.nanoTime() - fencedAtNanos;
            freeze.record(Duration.ofNanos(frozenNanos));
            p.freezeMs = frozenNanos / 1_000_000;
            // where the freeze went: capture + delta sync (fence to the target's progress row, both wall clocks of
            // this machine or NTP-synchronised ones), this instance noticing it, the map transaction
            long noticedMs = p.freezeNoticedMs;
            p.freezeAppliedMs = appliedAtMs >= fencedAtMs ? Math.min(noticedMs, appliedAtMs - fencedAtMs) : -1;
            p.freezeFencedAtMs = fencedAtMs;
            p.freezeMapSteps = p.lastMapSteps;
            Connection old = cutoverSnapshots.put(job.jobId(), snapshot);
            snapshotKept = true;
            closeQuietly(old);
            LOG.info("reshard job {}: cutover done, writes of {} fleet(s) held {} ms (fence applied on the target"
                    + " after {} ms, noticed after {} ms, map transaction {} ms; before the fence, {} ms for the"
                    + " connections and the snapshot's settings, {} ms for the table lock; {} read(s) of the target's"
                    + " progress row, {} notice(s))", job.jobId(),
                    job.fleets().size(), p.freezeMs, p.freezeAppliedMs, p.freezeNoticedMs, p.freezeMapCommitMs,
                    (lockingNanos - startedNanos) / 1_000_000, (lockedNanos - lockingNanos) / 1_000_000,
                    watch.reads(), watch.noticesSeen());
        } finally {
            if (!snapshotKept) {
                closeQuietly(snapshot);
            }
        }
    }

    /**
     * The placement's map transaction written ahead, or null when it cannot be now (then it is committed the usual way
     * once the fence is applied).
     */
    private MapTransactionRunner.Staged<ReshardJob> stagePlacement(ReshardJob job, String placement,
            java.util.function.Function<ShardMapSnapshot, List<MapEntity>> placed,
            java.util.function.UnaryOperator<ReshardJob> validating) {
        try {
            return stage(job, placement, placed, validating);
        } catch (ApiProblem e) {
            LOG.info("reshard job {}: placement not written ahead ({}); committed once the fence is applied",
                    job.jobId(), e.getMessage());
            return null;
        }
    }

    private void liftFence(ReshardJob job, ReshardSql srcSql, Connection src, int slot) throws SQLException {
        srcSql.beginTagged(src, slot, job.jobId(), "rollback");
        for (String key : job.fleets()) {
            srcSql.unfence(src, tenant(key), fleet(key));
        }
        src.commit();
        // the next cutover's fence has a higher marker sequence number, which is what it waits for on the target
    }

    /**
     * Watches the job's progress row on the target: through the delta sync's notices on PostgreSQL (re-read at least
     * every {@link #NOTICE_FALLBACK_MS}), else read every {@code pollMs} (ADR 0046).
     */
    private DeltaProgressWatch watchProgress(ReshardSql sql, Connection tgt, ReshardJob job, long pollMs)
            throws SQLException {
        return DeltaProgressWatch.open(sql, tgt, job.jobId(), NOTICE_FALLBACK_MS, pollMs, this::pause);
    }

    /** Readies {@code c} for {@link #takeSnapshot}: repeatable read, no autocommit, UTC (PostgreSQL). */
    private static void prepareSnapshot(Connection c, ReshardSql sql) throws SQLException {
        c.setAutoCommit(true);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        if (sql instanceof ReshardSql.Postgres) {
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'UTC'"); // session-wide: outlives the statement's own transaction
            }
        }
        c.setAutoCommit(false);
    }

    /** Starts, on {@code c}, a repeatable-read transaction whose snapshot is the target at the fence. */
    private static void takeSnapshot(Connection c, ReshardSql sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (sql instanceof ReshardSql.Postgres) {
                st.executeQuery("SELECT 1").close(); // a repeatable-read snapshot is taken by the first statement
            } else {
                st.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
            }
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private void validate(ReshardJob job, ReshardProgress p) throws SQLException {
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        Connection snapshot = cutoverSnapshots.remove(job.jobId());
        boolean exact = snapshot != null;
        List<String> mismatches = new ArrayList<>();
        long rows = 0;
        long explained = 0;
        try (Connection src = connect(job.sourceShardId());
                Connection tgt = snapshot != null ? snapshot : connect(job.targetShardId())) {
            long plannedAt = System.nanoTime();
            List<ReshardTable> tables = tablesOf(job, srcSql, src, tgtSql, tgt);
            // larger ranges than the copy's: each range's query reads most of the fleet's pages. The copy's ranges,
            // joined, when this instance copied (they still cover every key; their row counts are estimates now);
            // else cut on the source, which no longer changes (fenced)
            List<RangeOfFleet> copied = copiedRanges.get(job.jobId());
            List<RangeOfFleet> ranges = copied != null ? joined(copied, config.reshardValidateBatchRows())
                    : rangesOf(job, srcSql, src, tables, config.reshardValidateBatchRows());
            long checkAt = System.nanoTime();
            long sourceNanos = 0;
            long targetNanos = 0;
            p.rowsToValidate = ranges.stream().mapToLong(RangeOfFleet::rows).sum();
            p.rowsValidated = 0;
            p.validateStartedAtMs = clock.millis();
            p.validatePace.start(p.validateStartedAtMs);
            p.mismatches.clear();
            List<RangeOfFleet> differing = new ArrayList<>();
            ReshardSql.Checksum[] onSourceSum = new ReshardSql.Checksum[1]; // written by the helper, read after join
            for (RangeOfFleet r : ranges) {
                checkStill(job);
                String tenant = tenant(r.fleet());
                String fleet = fleet(r.fleet());
                // both databases compute their side at once
                long t0 = System.nanoTime();
                java.util.concurrent.Future<Long> sourceDone = helpers.submit(() -> {
                    ReshardSql.Checksum c = srcSql.checksum(src, r.table(), tenant, fleet, r.range());
                    onSourceSum[0] = c;
                    return System.nanoTime();
                });
                ReshardSql.Checksum b = tgtSql.checksum(tgt, onTarget(job, r.table()), tenant, fleet, r.range());
                targetNanos += System.nanoTime() - t0;
                sourceNanos += join(sourceDone) - t0;
                ReshardSql.Checksum a = onSourceSum[0];
                if (!a.equals(b)) {
                    String m = r.fleet() + " " + r.table().name() + " " + r.range() + ": source " + a.rows()
                            + " rows / checksum " + a.sum() + ", target " + b.rows() + " rows / checksum " + b.sum();
                    if (exact) {
                        mismatches.add(m);
                        p.mismatches.add(m);
                    } else {
                        differing.add(r);
                    }
                }
                rows += a.rows();
                p.rowsValidated += a.rows();
                p.rowsToValidate = Math.max(p.rowsToValidate, p.rowsValidated); // the counts may be estimates
                p.validatePace.record(p.rowsValidated, clock.millis());
                rowsValidated.increment(a.rows());
                throttle(config.reshardValidateMaxRowsPerSec(), p.rowsValidated, p.validateStartedAtMs);
            }
            p.rowsToValidate = p.rowsValidated;
            LOG.info("reshard job {}: validated {} row(s) in {} range(s) in {} ms (tables and ranges planned in {} ms;"
                    + " checksum queries: source {} ms, target {} ms, run side by side)", job.jobId(), rows,
                    ranges.size(), (System.nanoTime() - checkAt) / 1_000_000, (checkAt - plannedAt) / 1_000_000,
                    sourceNanos / 1_000_000, targetNanos / 1_000_000);
            if (snapshot != null) {
                snapshot.rollback();
            }
            if (!differing.isEmpty()) {
                Map<RowKey, String> unexplained = differingRows(job, differing, srcSql, src, tgtSql, tgt);
                explained = explainByApplicationWrites(job, unexplained);
                unexplained.values().forEach(m -> {
                    mismatches.add(m);
                    p.mismatches.add(m);
                });
            }
        }
        String summary = job.fleets().size() + " fleet(s), " + rows + " row(s): row counts and checksums equal on "
                + job.sourceShardId() + " and " + job.targetShardId()
                + (exact ? "" : " (the control API restarted after cutover, so the target was compared as it is now;"
                        + " " + explained + " row(s) written by the application since the cutover differ, each"
                        + " explained by its write in the shard log of " + job.targetShardId() + ")");
        if (mismatches.isEmpty()) {
            p.validation = summary;
            transition(job, ReshardPhase.CLEANUP, summary, List.of());
            return;
        }
        String why = "validation found " + mismatches.size() + " difference(s)"
                + (exact ? "" : " not explained by writes made since the cutover (the control API restarted after"
                        + " cutover, so the target was compared as it is now)")
                + ": " + String.join("; ", mismatches.subList(0, Math.min(5, mismatches.size())))
                + ". The fleets are served by " + job.targetShardId() + "; their rows on " + job.sourceShardId()
                + " are kept for inspection";
        p.validation = why;
        throw new JobFailed(why);
    }

    /** The rows of {@code ranges} that differ between the two databases, each with what differs. */
    private Map<RowKey, String> differingRows(ReshardJob job, List<RangeOfFleet> ranges, ReshardSql srcSql,
            Connection src, ReshardSql tgtSql, Connection tgt) throws SQLException {
        Map<RowKey, String> out = new java.util.LinkedHashMap<>();
        for (RangeOfFleet r : ranges) {
            String tenant = tenant(r.fleet());
            String fleet = fleet(r.fleet());
            java.util.concurrent.Future<Map<RowKey, String>> onSource = helpers.submit(
                    () -> srcSql.rowHashes(src, r.table(), tenant, fleet, r.range()));
            Map<RowKey, String> b = tgtSql.rowHashes(tgt, onTarget(job, r.table()), tenant, fleet, r.range());
            Map<RowKey, String> a = join(onSource);
            java.util.Set<RowKey> keys = new java.util.LinkedHashSet<>(a.keySet());
            keys.addAll(b.keySet());
            for (RowKey k : keys) {
                String onSrc = a.get(k);
                String onTgt = b.get(k);
                if (!java.util.Objects.equals(onSrc, onTgt)) {
                    out.put(k, r.fleet() + " " + k + ": " + (onSrc == null ? "only on the target"
                            : onTgt == null ? "missing on the target" : "differs"));
                }
            }
        }
        return out;
    }

    /**
     * Removes from {@code differing} every row the application wrote on the target since the cutover, as the
     * target's shard log shows (untagged changes of the moving fleets; before the cutover the target had none), and
     * returns how many it removed. A write can reach the log a little after the row changed, so this reads the log
     * until every row is explained or {@link #EXPLAIN_WAIT_MS} passed.
     */
    private long explainByApplicationWrites(ReshardJob job, Map<RowKey, String> differing) {
        int before = differing.size();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXPLAIN_WAIT_MS);
        // the log's timestamps are the shard's commit times; a margin covers clocks a little apart
        try (ShardLogs.ApplicationWrites writes = offsets.applicationWrites(job.targetShardId(),
                java.util.Set.copyOf(job.fleets()), job.createdAtMs() - CLOCK_MARGIN_MS)) {
            while (true) {
                writes.readToEnd(differing::remove);
                if (differing.isEmpty() || System.nanoTime() > deadline) {
                    break;
                }
                checkStill(job);
                pause(EXPLAIN_POLL_MS);
            }
        }
        return before - differing.size();
    }

    private void cleanup(ReshardJob job, ReshardProgress p) throws SQLException {
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        int slot = ReshardSql.slotOf(job.jobId());
        long started = clock.millis();
        long deleted = 0;
        try (Connection src = connect(job.sourceShardId())) {
            List<ReshardTable> tables = srcSql.tables(src);
            for (String key : job.fleets()) {
                for (ReshardTable t : tables) {
                    deleted += deleteAll(job, srcSql, src, t, key, slot, "cleanup", started, deleted);
                    p.rowsCleaned = deleted;
                }
            }
        }
        rowsCleaned.increment(deleted);
        String detail = (p.validation != null ? p.validation : job.detail()) + "; " + deleted + " moved row(s) deleted"
                + " from " + job.sourceShardId();
        transition(job, ReshardPhase.DONE, detail, List.of());
    }

    private long deleteAll(ReshardJob job, ReshardSql sql, Connection c, ReshardTable t, String key, int slot,
            String kind, long startedAtMs, long doneBefore) throws SQLException {
        long deleted = 0;
        while (true) {
            checkStill(job);
            sql.beginTagged(c, slot, job.jobId(), kind);
            int n = sql.deleteBatch(c, t, tenant(key), fleet(key), config.reshardCopyBatchRows());
            if (n > 0) {
                // the empty batch that ends the loop waits for the synchronous replica, and so covers these
                sql.deferReplicaWait(c);
            }
            c.commit();
            deleted += n;
            if (n == 0) {
                return deleted;
            }
            throttle(config.reshardCopyMaxRowsPerSec(), doneBefore + deleted, startedAtMs);
        }
    }

    private void cancel(ReshardJob job, ReshardProgress p) throws SQLException {
        ReshardSql srcSql = sqlOf(job.sourceShardId());
        ReshardSql tgtSql = sqlOf(job.targetShardId());
        int slot = ReshardSql.slotOf(job.jobId());
        long removed = 0;
        try (Connection src = connect(job.sourceShardId()); Connection tgt = connect(job.targetShardId())) {
            srcSql.prepare(src);
            tgtSql.prepare(tgt);
            srcSql.beginTagged(src, slot, job.jobId(), "rollback");
            for (String key : job.fleets()) {
                srcSql.unfence(src, tenant(key), fleet(key));
            }
            src.commit();
            awaitDeltaSyncStopped(job, tgtSql, tgt);
            long started = clock.millis();
            for (String key : job.fleets()) {
                for (ReshardTable t : tgtSql.tables(tgt)) {
                    removed += deleteAll(job, tgtSql, tgt, t, key, slot, "rollback", started, removed);
                }
            }
            try (PreparedStatement ps = tgt.prepareStatement("DELETE FROM " + tgtSql.quote(ReshardSql.PROGRESS_TABLE)
                    + " WHERE job_id = ?")) {
                ps.setString(1, job.jobId());
                ps.executeUpdate();
            }
            tgt.commit();
        }
        closeQuietly(cutoverSnapshots.remove(job.jobId()));
        transition(job, ReshardPhase.CANCELLED, (job.detail() == null ? "cancelled" : job.detail()) + "; " + removed
                + " copied row(s) removed from " + job.targetShardId() + ", writes stay on " + job.sourceShardId(),
                List.of());
    }

    /**
     * The delta sync stops when it sees the job leave {@code catchup}/{@code cutover}; a batch it applies after the
     * rollback's deletes would leave rows behind, so wait until its progress row has been quiet for a while.
     */
    private void awaitDeltaSyncStopped(ReshardJob job, ReshardSql sql, Connection tgt) throws SQLException {
        long deadline = clock.millis() + DELTA_QUIET_MAX_MS;
        while (clock.millis() < deadline) {
            ReshardSql.DeltaProgress d = sql.progress(tgt, job.jobId());
            if (!tgt.getAutoCommit()) {
                tgt.commit();
            }
            if (d == null || clock.millis() - d.updatedAtMs() >= DELTA_QUIET_MS) {
                return;
            }
            checkStill(job);
            pause(100);
        }
        LOG.warn("reshard job {}: the delta sync still wrote progress {} ms after the rollback began; removing the"
                + " copied rows anyway", job.jobId(), DELTA_QUIET_MAX_MS);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static <T> T join(java.util.concurrent.Future<T> f) throws SQLException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new PhaseChanged("interrupted (the control API stops)");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private List<ReshardTable> tablesOf(ReshardJob job, ReshardSql srcSql, Connection src, ReshardSql tgtSql,
            Connection tgt) throws SQLException {
        List<ReshardTable> known = jobTables.get(job.jobId());
        if (known != null) {
            return known;
        }
        if (crossEngine(job)) {
            CrossEngineTables x = readCrossTables(job, src, tgt);
            if (!x.refusals().isEmpty()) { // the schema changed since the plan checked it
                throw new JobFailed("cannot move between engines (ADR 0047): " + String.join("; ", x.refusals()));
            }
            crossTables.put(job.jobId(), x);
            jobTables.put(job.jobId(), x.source());
            return x.source();
        }
        List<ReshardTable> tables = srcSql.tables(src);
        List<String> onTarget = tgtSql.tables(tgt).stream().map(ReshardTable::name).toList();
        for (ReshardTable t : tables) {
            if (!onTarget.contains(t.name())) {
                throw new JobFailed("table " + t.name() + " exists on the source but not on the target (it has "
                        + onTarget + "); create it there first");
            }
        }
        jobTables.put(job.jobId(), List.copyOf(tables));
        return tables;
    }

    /** Waits until {@code done} rows since {@code startedAtMs} are no faster than {@code rate} per second. */
    private void throttle(int rate, long done, long startedAtMs) {
        if (rate <= 0) {
            return;
        }
        long due = startedAtMs + done * 1000 / rate;
        long wait = due - clock.millis();
        if (wait > 0) {
            pause(wait);
        }
    }

    /** Waits {@code ms}, or less when the map changes (a cancel or pause should not wait out a poll interval). */
    private void pause(long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000;
        synchronized (mapChanged) {
            long left;
            while (!stopping && (left = deadline - System.nanoTime()) > 0) {
                long seen = mapVersionSeen;
                try {
                    mapChanged.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PhaseChanged("interrupted (the control API stops)");
                }
                if (mapVersionSeen != seen) {
                    return;
                }
            }
        }
    }

    private void onMapChange(ShardMapSnapshot map) {
        synchronized (mapChanged) {
            mapVersionSeen = map.version();
            mapChanged.notifyAll();
        }
        if (!stopping) {
            try {
                ticker.execute(this::tickSafely); // a new or resumed job starts now, not at the next tick
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private ReshardSql sqlOf(String shardId) {
        return ReshardSql.of(shard(shardId).engine());
    }

    private Shard shard(String shardId) {
        return source.current().shard(shardId).orElseThrow(() -> new JobFailed("shard " + shardId
                + " is no longer in the map"));
    }

    private Connection connect(String shardId) throws SQLException {
        Engine engine = shard(shardId).engine();
        Node primary = source.current().primaryOf(shardId).orElseThrow(() -> new JobFailed("shard " + shardId
                + " has no primary in the map"));
        return AdminConnections.open(config, engine, primary.jdbcUrl(), "fleetshard-resharder", Duration.ofSeconds(10),
                Duration.ofMinutes(10));
    }

    static String tenant(String key) {
        return key.substring(0, key.indexOf('/'));
    }

    static String fleet(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing a resharder connection failed: {}", e.toString());
        }
    }


    static String requireJobId(String id) {
        return Objects.requireNonNull(id, "jobId");
    }
}
