package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.MapVersionConflictException;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapCommitter;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.shardmap.WriterFencedException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every map change of this instance, one at a time: validate against the latest snapshot, commit on top of its
 * version, and wait until this instance's follower shows the new version, so that a following GET here sees it.
 *
 * <p>Outcomes of a commit, and what happens:
 * <ul>
 *   <li>committed: the new version is returned;</li>
 *   <li>{@link MapVersionConflictException}: wait for the version it reports, re-validate, retry (bounded);</li>
 *   <li>{@link WriterFencedException}: another instance took over the map log; this one is fenced for good, every
 *       later change answers 503 without touching the log, and {@code /readyz} reports it;</li>
 *   <li>{@link MapUnavailableException}: the outcome is unknown, so it is reconciled from the follower rather than
 *       guessed: if the change shows up it was committed, else the answer is a 503 that says so.</li>
 * </ul>
 * Validation failures ({@link ApiProblem}s thrown by a {@link MapChange}) leave the map untouched.
 */
final class MapTransactionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(MapTransactionRunner.class);

    /** A change to validate against a snapshot; throws an {@link ApiProblem} when the change is not allowed. */
    @FunctionalInterface
    interface MapChange<R> {
        Plan<R> plan(ShardMapSnapshot snapshot);
    }

    /** What a change writes in one map transaction, and the result to answer once it is committed. */
    record Plan<R>(List<? extends MapEntity> puts, List<String> deletedKeys, R result) {
        Plan {
            puts = List.copyOf(puts);
            deletedKeys = List.copyOf(deletedKeys);
        }

        static <R> Plan<R> put(List<? extends MapEntity> puts, R result) {
            return new Plan<>(puts, List.of(), result);
        }
    }

    /** A committed change: the map version it created, the change's result, and where its time went. */
    record Committed<R>(long mapVersion, R result, Steps steps) {
    }

    /**
     * Where a change's time went, in µs: waiting for the write lock (changes before it), for the follower to show
     * the base version, planning, the committer (the Kafka transaction and the writer's follower applying it), and
     * this instance's follower showing it after that; attempts after a conflict add to the same steps. A change
     * {@link #stage staged} ahead has its base wait, planning and written-ahead records in {@code stagedUs} (-1 when
     * not staged), before its commit.
     */
    record Steps(long lockWaitUs, long baseWaitUs, long planUs, long commitUs, long seenUs, long stagedUs) {
        static final Steps NONE = new Steps(-1, -1, -1, -1, -1, -1);
    }

    private final ShardMapCommitter committer;
    private final MapVersionTracker tracker;
    private final Clock clock;
    private final int maxAttempts;
    private final Duration waitTimeout;
    private final Duration lockTimeout;
    private final int retryAfterSeconds;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final AtomicReference<Instant> fencedAt = new AtomicReference<>();
    private final Map<String, Counter> outcomes;
    private volatile long lastCommittedVersion;

    MapTransactionRunner(ShardMapCommitter committer, MapVersionTracker tracker, Clock clock,
            ControlApiConfig config, MeterRegistry registry) {
        this.committer = committer;
        this.tracker = tracker;
        this.clock = clock;
        this.maxAttempts = config.mapCommitMaxAttempts();
        this.waitTimeout = config.mapWaitTimeout();
        this.lockTimeout = config.mapWriteLockTimeout();
        this.retryAfterSeconds = config.retryAfterSeconds();
        this.outcomes = Map.of(
                "committed", outcomeCounter(registry, "committed"),
                "rejected", outcomeCounter(registry, "rejected"),
                "conflict", outcomeCounter(registry, "conflict"),
                "fenced", outcomeCounter(registry, "fenced"),
                "unavailable", outcomeCounter(registry, "unavailable"),
                "unknown-reconciled", outcomeCounter(registry, "unknown-reconciled"));
    }

    private static Counter outcomeCounter(MeterRegistry registry, String outcome) {
        return Counter.builder("fleetshard.control.map.commits")
                .description("Map-change attempts of this control-API instance by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** When this instance's writer was fenced, or null while it may write. */
    Instant fencedAt() {
        return fencedAt.get();
    }

    /**
     * The snapshot to answer a read from: at least the last version this instance committed (read your writes),
     * waiting for the follower at most the configured wait.
     */
    ShardMapSnapshot readSnapshot() {
        long needed = lastCommittedVersion;
        ShardMapSnapshot current = tracker.current();
        if (current.version() >= needed) {
            return current;
        }
        return awaitVersion(needed, "this instance committed it");
    }

    /**
     * Validates and commits {@code change}.
     *
     * @param what the change in words, for messages ("register shard s1")
     */
    <R> Committed<R> run(String what, MapChange<R> change) {
        long lockWaitNanos = lock(what);
        try {
            return runLocked(what, change, lockWaitNanos);
        } finally {
            writeLock.unlock();
        }
    }

    /** Takes the write lock for {@code what}; returns how long that took, in ns. */
    private long lock(String what) {
        rejectIfFenced(what);
        long lockingNanos = System.nanoTime();
        boolean locked;
        try {
            locked = writeLock.tryLock(lockTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiProblem.unavailable("interrupted while waiting to " + what, retryAfterSeconds);
        }
        if (!locked) {
            throw ApiProblem.unavailable("could not " + what + ": the map change before it has been running for"
                    + " more than " + lockTimeout.toMillis() + " ms (" + writeLock.getQueueLength()
                    + " changes waiting)", retryAfterSeconds);
        }
        return System.nanoTime() - lockingNanos;
    }

    /**
     * Validates {@code change} and writes its map transaction without committing it
     * ({@link ShardMapCommitter#prepare}): the caller commits or aborts the returned change later, from this thread.
     * Until then this instance's write lock stays taken, so every other change waits (at most
     * {@code control.map.write.lock.timeout.ms}): keep it short.
     * Nothing commits on a stale base: no change of this instance can come between, and a writer that took over
     * fences this one, whose commit then fails.
     */
    <R> Staged<R> stage(String what, MapChange<R> change) {
        long lockWaitNanos = lock(what);
        boolean staged = false;
        try {
            long requiredVersion = lastCommittedVersion;
            for (int attempt = 1; attempt <= maxAttempts; attempt++) {
                rejectIfFenced(what);
                long waiting = System.nanoTime();
                ShardMapSnapshot base = awaitVersion(requiredVersion, "this instance committed it");
                Plan<R> plan = plan(change, base);
                ShardMapCommitter.Prepared prepared;
                try {
                    prepared = committer.prepare(base.version(), plan.puts(), plan.deletedKeys());
                } catch (MapVersionConflictException e) {
                    requiredVersion = conflict(what, attempt, e, requiredVersion);
                    continue;
                } catch (WriterFencedException e) {
                    throw fenced(what, e.getMessage(), e);
                } catch (MapUnavailableException e) {
                    outcomes.get("unavailable").increment();
                    throw ApiProblem.unavailable("could not " + what + ": the shard map log is unreachable ("
                            + e.getMessage() + "); nothing was committed, retry", retryAfterSeconds);
                }
                staged = true;
                return new Staged<>(what, base, plan, prepared, lockWaitNanos, System.nanoTime() - waiting);
            }
            throw ApiProblem.unavailable("could not " + what + ": the shard map changed concurrently on each of "
                    + maxAttempts + " attempts; retry", retryAfterSeconds);
        } finally {
            if (!staged) {
                writeLock.unlock();
            }
        }
    }

    /** A change written ahead by {@link #stage}; holds this instance's write lock until it is committed or aborted. */
    final class Staged<R> {
        private final String what;
        private final ShardMapSnapshot base;
        private final Plan<R> plan;
        private final ShardMapCommitter.Prepared prepared;
        private final long lockWaitNanos;
        private final long stagedNanos;
        private boolean done;

        private Staged(String what, ShardMapSnapshot base, Plan<R> plan, ShardMapCommitter.Prepared prepared,
                long lockWaitNanos, long stagedNanos) {
            this.what = what;
            this.base = base;
            this.plan = plan;
            this.prepared = prepared;
            this.lockWaitNanos = lockWaitNanos;
            this.stagedNanos = stagedNanos;
        }

        /** Commits the change (outcomes as {@link #run}) and releases the write lock. */
        Committed<R> commit() {
            end();
            try {
                rejectIfFenced(what);
                long started = System.nanoTime();
                long version;
                try {
                    version = prepared.commit();
                } catch (MapVersionConflictException e) { // only a committer that writes nothing ahead gets here
                    conflict(what, maxAttempts, e, e.actualVersion());
                    throw ApiProblem.unavailable("could not " + what + ": the shard map changed while it was staged;"
                            + " retry", retryAfterSeconds);
                } catch (WriterFencedException e) {
                    throw fenced(what, e.getMessage(), e);
                } catch (MapUnavailableException e) {
                    return reconcileUnknownOutcome(what, base, plan, e);
                }
                return committed(what, version, plan, started, new Steps(lockWaitNanos / 1_000, 0, 0,
                        (System.nanoTime() - started) / 1_000, -1, stagedNanos / 1_000));
            } finally {
                prepared.abort(); // nothing after a commit; drops a change that a fenced writer must not commit
                writeLock.unlock();
            }
        }

        /** Drops the change and releases the write lock; nothing after {@link #commit()} or a first abort. */
        void abort() {
            if (done) {
                return;
            }
            end();
            try {
                prepared.abort();
            } finally {
                writeLock.unlock();
            }
        }

        private void end() {
            if (done) {
                throw new IllegalStateException("staged change to " + what + " already ended");
            }
            done = true;
        }
    }

    private <R> Committed<R> runLocked(String what, MapChange<R> change, long lockWaitNanos) {
        long requiredVersion = lastCommittedVersion;
        long baseWaitNanos = 0;
        long planNanos = 0;
        long commitNanos = 0;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            rejectIfFenced(what);
            long waiting = System.nanoTime();
            ShardMapSnapshot base = awaitVersion(requiredVersion, "this instance committed it");
            long planning = System.nanoTime();
            baseWaitNanos += planning - waiting;
            Plan<R> plan = plan(change, base);
            long version;
            long started = System.nanoTime();
            planNanos += started - planning;
            try {
                version = committer.commit(base.version(), plan.puts(), plan.deletedKeys());
            } catch (MapVersionConflictException e) {
                commitNanos += System.nanoTime() - started;
                requiredVersion = conflict(what, attempt, e, requiredVersion);
                continue;
            } catch (WriterFencedException e) {
                throw fenced(what, e.getMessage(), e);
            } catch (MapUnavailableException e) {
                return reconcileUnknownOutcome(what, base, plan, e);
            }
            commitNanos += System.nanoTime() - started;
            return committed(what, version, plan, started, new Steps(lockWaitNanos / 1_000, baseWaitNanos / 1_000,
                    planNanos / 1_000, commitNanos / 1_000, -1, -1));
        }
        throw ApiProblem.unavailable("could not " + what + ": the shard map changed concurrently on each of "
                + maxAttempts + " attempts; retry", retryAfterSeconds);
    }

    /** A conflict: fenced when another writer committed, else counted; returns the version to wait for next. */
    private long conflict(String what, int attempt, MapVersionConflictException e, long requiredVersion) {
        if (e.actualVersion() < e.expectedVersion()) {
            // The writer knows an older map than this instance's follower shows: versions were committed by
            // another writer, which took over the log (its initTransactions fenced ours, but Kafka only says
            // so on our next transaction). Never write next to it.
            throw fenced(what, "the writer of this instance is at map version " + e.actualVersion()
                    + " but the map log is at version " + e.expectedVersion()
                    + ", so another writer has committed changes", e);
        }
        outcomes.get("conflict").increment();
        LOG.info("map changed concurrently while trying to {} (attempt {} of {}): based on version {},"
                + " map at {}; re-reading", what, attempt, maxAttempts, e.expectedVersion(),
                e.actualVersion());
        return Math.max(requiredVersion, e.actualVersion());
    }

    /** {@code change}'s plan on {@code base}; a change it refuses counts as rejected. */
    private <R> Plan<R> plan(MapChange<R> change, ShardMapSnapshot base) {
        try {
            return change.plan(base);
        } catch (ApiProblem e) {
            outcomes.get("rejected").increment();
            throw e;
        }
    }

    /** Counts a committed change and waits (bounded) until this instance's follower shows it. */
    private <R> Committed<R> committed(String what, long version, Plan<R> plan, long startedNanos, Steps steps) {
        outcomes.get("committed").increment();
        lastCommittedVersion = Math.max(lastCommittedVersion, version);
        long committedNanos = System.nanoTime();
        try {
            if (tracker.awaitAtLeast(version, waitTimeout) == null) {
                LOG.warn("map version {} ({}) is committed but this instance's follower has not applied it within"
                        + " {} ms; reads here wait for it", version, what, waitTimeout.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long seenNanos = System.nanoTime() - committedNanos;
        LOG.info("committed map version {}: {} ({} puts, {} deletes; transaction {} ms, then seen here {} ms)", version,
                what, plan.puts().size(), plan.deletedKeys().size(), (committedNanos - startedNanos) / 1_000_000,
                seenNanos / 1_000_000);
        return new Committed<>(version, plan.result(), new Steps(steps.lockWaitUs(), steps.baseWaitUs(),
                steps.planUs(), steps.commitUs(), seenNanos / 1_000, steps.stagedUs()));
    }

    /**
     * After {@link MapUnavailableException} the transaction may or may not have been committed. Only this instance
     * writes, so the next version after {@code base} is either this change or nothing: wait for the follower to move
     * past {@code base} and look.
     */
    private <R> Committed<R> reconcileUnknownOutcome(String what, ShardMapSnapshot base, Plan<R> plan,
            MapUnavailableException cause) {
        LOG.warn("map log unreachable while trying to {} on version {}: {}; reconciling from the follower", what,
                base.version(), cause.getMessage());
        ShardMapSnapshot after;
        try {
            after = tracker.awaitAtLeast(base.version() + 1, waitTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            after = null;
        }
        if (after != null && contains(after, plan)) {
            outcomes.get("unknown-reconciled").increment();
            LOG.info("map version {} shows the change to {}: it was committed", after.version(), what);
            return committed(what, after.version(), plan, System.nanoTime(), Steps.NONE);
        }
        outcomes.get("unavailable").increment();
        throw ApiProblem.unavailable("could not " + what + ": the shard map log is unreachable (" + cause.getMessage()
                + "); the change is not visible in the map. Retrying is safe: if it was applied after all, the"
                + " retry answers 409", retryAfterSeconds);
    }

    private static boolean contains(ShardMapSnapshot s, Plan<?> plan) {
        for (MapEntity e : plan.puts()) {
            if (!e.equals(lookup(s, e))) {
                return false;
            }
        }
        return plan.deletedKeys().stream().noneMatch(key -> isPresent(s, key));
    }

    private static MapEntity lookup(ShardMapSnapshot s, MapEntity e) {
        if (e instanceof Tenant t) {
            return s.tenant(t.tenantId()).orElse(null);
        } else if (e instanceof Fleet f) {
            return s.fleet(f.tenantId(), f.fleetId()).orElse(null);
        } else if (e instanceof Shard x) {
            return s.shard(x.shardId()).orElse(null);
        } else if (e instanceof Node n) {
            return s.node(n.nodeId()).orElse(null);
        } else if (e instanceof ReshardJob j) {
            return s.reshard(j.jobId()).orElse(null);
        }
        return null;
    }

    private static boolean isPresent(ShardMapSnapshot s, String key) {
        int colon = key.indexOf(':');
        String id = key.substring(colon + 1);
        int slash = id.indexOf('/');
        return switch (key.substring(0, Math.max(colon, 0))) {
            case "tenant" -> s.tenant(id).isPresent();
            case "fleet" -> slash > 0 && s.fleet(id.substring(0, slash), id.substring(slash + 1)).isPresent();
            case "shard" -> s.shard(id).isPresent();
            case "node" -> s.node(id).isPresent();
            case "reshard" -> s.reshard(id).isPresent();
            default -> false;
        };
    }

    private ShardMapSnapshot awaitVersion(long version, String why) {
        try {
            ShardMapSnapshot s = tracker.awaitAtLeast(version, waitTimeout);
            if (s != null) {
                return s;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw ApiProblem.unavailable("the shard map follower of this instance is at version "
                + tracker.current().version() + " but version " + version + " is needed (" + why + "); waited "
                + waitTimeout.toMillis() + " ms for it", retryAfterSeconds);
    }

    private ApiProblem fenced(String what, String reason, RuntimeException cause) {
        outcomes.get("fenced").increment();
        Instant now = clock.instant();
        fencedAt.compareAndSet(null, now);
        LOG.error("map writer of this control-API instance is fenced since {} (found while trying to {}: {}); another"
                + " instance now writes the map, and this one answers every change with 503", now, what, reason,
                cause);
        return fencedProblem(what);
    }

    private void rejectIfFenced(String what) {
        if (fencedAt.get() != null) {
            throw fencedProblem(what);
        }
    }

    private ApiProblem fencedProblem(String what) {
        return ApiProblem.unavailable("could not " + what + ": this control-API instance's map writer was fenced at "
                + fencedAt.get() + " by another instance that now owns the shard map; send changes to that instance",
                retryAfterSeconds);
    }
}
