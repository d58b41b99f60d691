package io.fleetshard.streams;

import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the delta syncs of resharding jobs (ADR 0013), one Kafka Streams app ({@code exactly_once_v2}, application id
 * {@code fleetshard-reshard-<jobId>}) per job. The control plane calls {@link #reconcile} with the jobs it wants
 * running and reads {@link #status}; the job is done with the delta sync when {@code fenceSeen}.
 *
 * <p>A new job (its consumer group has no committed offset) starts at the spec's {@code startOffset}: the service
 * commits that offset for the group before the app starts, after checking that the shard log still holds it. From
 * then on the group's committed offset wins, so a restart (of the job or the process) resumes where it stopped; the
 * app never resets to another offset ({@code auto.offset.reset=none}), so no record is ever skipped silently.
 */
public final class DeltaSyncService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaSyncService.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final DeltaSyncConfig config;
    private final MeterRegistry registry;
    private final Function<DeltaSyncSpec, TargetWriter> targets;
    private final Admin admin;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final java.util.Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private boolean closed;

    public DeltaSyncService(DeltaSyncConfig config, MeterRegistry registry, Clock clock) {
        this(config, registry, spec -> new JdbcTargetWriter(spec.jobId(), spec.targetJdbcUrl(), config.applyBatchSize(),
                config.applyAttempts(), config.applyRetryBackoffMs(), clock));
    }

    DeltaSyncService(DeltaSyncConfig config, MeterRegistry registry, Function<DeltaSyncSpec, TargetWriter> targets) {
        this.config = config;
        this.registry = registry;
        this.targets = targets;
        Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "fleetshard-reshard-delta-sync-admin");
        this.admin = Admin.create(props);
        LOG.info("delta sync service: {}", config);
    }

    /**
     * Makes the running jobs the {@code wanted} ones: starts each new job, stops (close, then remove its local state)
     * each job no longer wanted, restarts a job whose spec changed or that failed. A job already running with the
     * same spec is left alone, so calling this again with the same set does nothing. A job that cannot start (its
     * shard log is missing or no longer holds the start offset) is reported {@link DeltaSyncState#FAILED} by
     * {@link #status} and tried again by the next call.
     */
    public synchronized void reconcile(Collection<DeltaSyncSpec> wanted) {
        reconcile(wanted, Set.of());
    }

    /**
     * As {@link #reconcile(Collection)}, but the jobs named in {@code held} only get ready: their app starts (joins its
     * group, opens the target) paused, so it applies nothing and commits nothing, and a later reconcile that no
     * longer holds the job resumes it where it stands instead of starting it. The resharder holds a job's delta sync
     * while its bulk copy runs (a change applied under the copy could be overwritten by an older copied row), so the
     * app's start-up is not part of the catch-up (ADR 0030).
     */
    public synchronized void reconcile(Collection<DeltaSyncSpec> wanted, Set<String> held) {
        if (closed) {
            throw new StreamProcessorException("the delta sync service is closed");
        }
        Map<String, DeltaSyncSpec> byId = new HashMap<>();
        for (DeltaSyncSpec s : wanted) {
            if (byId.put(s.jobId(), s) != null) {
                throw new StreamProcessorException("job '" + s.jobId() + "' is wanted twice in one reconcile");
            }
        }
        for (Job j : List.copyOf(jobs.values())) {
            if (!byId.containsKey(j.spec.jobId())) {
                LOG.info("delta sync job '{}' is no longer wanted: stopping it and removing its local state", j.spec.jobId());
                jobs.remove(j.spec.jobId());
                j.stop(true);
            }
        }
        for (DeltaSyncSpec s : byId.values()) {
            Job j = jobs.get(s.jobId());
            boolean hold = held.contains(s.jobId());
            if (j != null && j.spec.equals(s) && j.state() != DeltaSyncState.FAILED) {
                j.hold(hold);
                continue;
            }
            if (j != null) {
                LOG.info("delta sync job '{}' {}: restarting it from its committed offset", s.jobId(),
                        j.spec.equals(s) ? "failed (" + j.progress.lastError() + ")" : "changed to " + s);
                jobs.remove(s.jobId());
                j.stop(false);
            }
            jobs.put(s.jobId(), start(s, hold));
        }
    }

    /**
     * Deletes the consumer groups (committed offsets) of finished jobs, which no delta sync will run again: each
     * group is deleted once per service, and a group that still has members (an app of another process that has not
     * stopped yet) is tried again at the next call. The apps keep no other Kafka state (the pending-apply store has no
     * changelog). A job wanted here is never touched.
     */
    public synchronized void forgetFinished(Collection<String> jobIds) {
        for (String jobId : jobIds) {
            if (jobs.containsKey(jobId) || forgotten.contains(jobId)) {
                continue;
            }
            String group = DeltaSyncSpec.applicationIdOf(jobId);
            try {
                admin.deleteConsumerGroups(List.of(group)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("delta sync job '{}' is finished: deleted its consumer group {}", jobId, group);
                forgotten.add(jobId);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
                    forgotten.add(jobId);
                } else {
                    LOG.info("delta sync job '{}' is finished; its consumer group {} stays for now: {}", jobId, group,
                            e.getCause().toString());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.info("delta sync job '{}' is finished; deleting its consumer group {} timed out", jobId, group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The job's status, or empty if the job is not wanted here. */
    public Optional<DeltaSyncStatus> status(String jobId) {
        Job j = jobs.get(jobId);
        if (j == null) {
            return Optional.empty();
        }
        return Optional.of(new DeltaSyncStatus(jobId, j.state(), j.progress.appliedOffset(), j.lag(),
                j.progress.eventsApplied(), j.progress.fenceSeen(), j.progress.lastError()));
    }

    /** How many times the job's stream thread has polled the shard log, -1 while unknown (tests of a held job). */
    long polls(String jobId) {
        Job j = jobs.get(jobId);
        KafkaStreams s = j == null ? null : j.streams;
        if (s == null) {
            return -1;
        }
        for (Map.Entry<MetricName, ? extends Metric> e : s.metrics().entrySet()) {
            if (e.getKey().name().equals("poll-total") && e.getKey().group().equals("stream-thread-metrics")
                    && e.getValue().metricValue() instanceof Number n) {
                return n.longValue();
            }
        }
        return -1;
    }

    /** Stops every job (their local state and committed offsets stay, so a new service resumes them). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Job j : List.copyOf(jobs.values())) {
            j.stop(false);
        }
        jobs.clear();
        admin.close(ADMIN_TIMEOUT);
    }

    private Job start(DeltaSyncSpec spec, boolean hold) {
        String topic = config.shardLogTopicPrefix() + spec.sourceShardId();
        Job job = new Job(spec, topic);
        try {
            seedStartOffset(spec, topic);
        } catch (RuntimeException e) {
            String message = e.getMessage();
            LOG.error("delta sync job '{}' cannot start: {}", spec.jobId(), message);
            job.startFailed(message);
            return job;
        }
        Topology topology = DeltaSyncTopology.build(topic, spec.jobId(), spec.fleets(), config.applyBatchSize(),
                Duration.ofMillis(config.applyFlushIntervalMs()),
                () -> new StartAnnouncingWriter(targets.apply(spec), spec.startOffset(), () -> job.held,
                        () -> job.announcedAfterRelease(spec.startOffset())), job.progress,
                job.metrics);
        KafkaStreams streams = new KafkaStreams(topology, streamsProperties(spec));
        streams.setStateListener((now, before) -> LOG.info("delta sync job '{}': {} -> {}", spec.jobId(), before, now));
        streams.setUncaughtExceptionHandler(e -> job.failed(e));
        job.streams = streams;
        if (hold) {
            streams.pause(); // before start: no record is processed until resumed
            job.held = true;
        }
        LOG.info("delta sync job '{}' starting{}: {}", spec.jobId(), hold ? " held (paused until the bulk copy ends)" : "",
                spec);
        streams.start();
        return job;
    }

    private Properties streamsProperties(DeltaSyncSpec spec) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, spec.applicationId());
        p.put(StreamsConfig.CLIENT_ID_CONFIG, spec.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
        // a transaction stays open for a commit interval and then commits: its timeout must outlast both
        p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                (int) Math.max(10_000, 3 * config.commitIntervalMs()));
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // transactions v2 refuse a partition's second in-flight batch until the first is verified (retriable): keep
        // the retry short, it is in the cutover's path (see ShardCapture)
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG), 50);
        // the fence marker's trip from capture to the target is part of the cutover's write freeze
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), (int) config.fetchMaxWaitMs());
        // the committed offset (seeded with the start offset) or nothing: never reset past unapplied rows
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "none");
        // a stopped job leaves its group at once, so a restart (or a start-offset reset) need not wait out the session
        p.put(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), true);
        // a crashed one (SIGKILL, lost host) does not leave: its successor waits for the session to expire, and a job
        // in catch-up or cutover waits with it (the default 45 s made a cutover time out and lift its fence)
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        return p;
    }

    /** Commits {@code startOffset} for a new job's group; a group with a committed offset keeps it. */
    private void seedStartOffset(DeltaSyncSpec spec, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        String group = spec.applicationId();
        Map<TopicPartition, OffsetAndMetadata> committed =
                get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), "read the committed offsets of group " + group);
        if (committed.get(tp) != null) {
            LOG.info("delta sync job '{}' resumes at committed offset {} of {}", spec.jobId(), committed.get(tp).offset(), topic);
            return;
        }
        TopicDescription d;
        try {
            d = get(admin.describeTopics(List.of(topic)).allTopicNames(), "describe " + topic).get(topic);
        } catch (StreamProcessorException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new StreamProcessorException("shard log " + topic + " of source shard '" + spec.sourceShardId()
                        + "' does not exist: check the shard id and shard.log.topic.prefix (" + config.shardLogTopicPrefix() + ")");
            }
            throw e;
        }
        if (d.partitions().size() != 1) {
            throw new StreamProcessorException("shard log " + topic + " has " + d.partitions().size()
                    + " partitions; a shard log has exactly one (ADR 0011)");
        }
        long earliest = offset(tp, OffsetSpec.earliest());
        long latest = offset(tp, OffsetSpec.latest());
        if (spec.startOffset() < earliest) {
            throw new StreamProcessorException("shard log " + topic + " starts at offset " + earliest + ", after the job's start "
                    + "offset " + spec.startOffset() + ": changes after the bulk copy were deleted by retention; copy again "
                    + "with a new start offset");
        }
        if (spec.startOffset() > latest) {
            throw new StreamProcessorException("the job's start offset " + spec.startOffset() + " is beyond the end (" + latest
                    + ") of shard log " + topic + ": the start offset must be an end offset read before the bulk copy");
        }
        get(admin.alterConsumerGroupOffsets(group, Map.of(tp, new OffsetAndMetadata(spec.startOffset())))
                .all(), "commit the start offset for group " + group);
        LOG.info("delta sync job '{}' starts at offset {} of {} (shard log holds {}..{})", spec.jobId(), spec.startOffset(),
                topic, earliest, latest);
    }

    private long offset(TopicPartition tp, OffsetSpec which) {
        ListOffsetsResult r = admin.listOffsets(Map.of(tp, which));
        return get(r.partitionResult(tp), "list the offsets of " + tp).offset();
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f, String what) {
        try {
            return f.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamProcessorException("interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new StreamProcessorException("could not " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new StreamProcessorException("could not " + what + " within " + ADMIN_TIMEOUT.toSeconds() + " s: is Kafka up?", e);
        }
    }

    /** One job's app and what it reports. */
    private final class Job {
        final DeltaSyncSpec spec;
        final String topic;
        final DeltaSyncProgress progress = new DeltaSyncProgress();
        final DeltaSyncMetrics metrics;
        volatile KafkaStreams streams;
        volatile boolean startFailed;
        /** Paused: started and ready, but processing nothing (see {@link #reconcile(Collection, Set)}). */
        volatile boolean held;
        /** When {@link #hold} last released the job; 0 before. */
        volatile long releasedAtNanos;

        Job(DeltaSyncSpec spec, String topic) {
            this.spec = spec;
            this.topic = topic;
            this.metrics = new DeltaSyncMetrics(registry, spec.jobId(), this::lag);
        }

        void hold(boolean hold) {
            KafkaStreams s = streams;
            if (s == null || hold == held) {
                return;
            }
            if (hold) {
                s.pause();
                held = true;
            } else {
                releasedAtNanos = System.nanoTime();
                held = false; // before the first record or punctuation: the start announcement must see it
                s.resume();
            }
            LOG.info("delta sync job '{}' {}", spec.jobId(), hold ? "held (paused)" : "released: applying changes");
        }

        /** Logs how long the held app took from its release to its progress row: the start of the catch-up's wait. */
        void announcedAfterRelease(long startOffset) {
            long released = releasedAtNanos;
            LOG.info("delta sync job '{}' wrote its progress row at offset {}, {} ms after its release", spec.jobId(),
                    startOffset - 1, released == 0 ? -1 : (System.nanoTime() - released) / 1_000_000);
        }

        void startFailed(String message) {
            startFailed = true;
            progress.failed(message);
            metrics.error();
        }

        /** Classifies a stream thread's failure: the target being down is retried with a new thread, the rest stops. */
        StreamThreadExceptionResponse failed(Throwable e) {
            Throwable root = e;
            boolean retriable = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                root = t;
                retriable |= t instanceof JdbcTargetWriter.TargetUnavailable || t instanceof SQLException;
            }
            String message = root.getMessage() == null ? root.toString() : root.getMessage();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof StreamProcessorException) {
                    message = t.getMessage(); // ours says what failed and what to do
                    break;
                }
            }
            progress.failed(message);
            metrics.error();
            LOG.error("delta sync job '{}' failed ({}): {}", spec.jobId(), retriable ? "retrying with a new stream thread"
                    : "stopping", message, e);
            return retriable ? StreamThreadExceptionResponse.REPLACE_THREAD : StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }

        DeltaSyncState state() {
            KafkaStreams s = streams;
            if (startFailed) {
                return DeltaSyncState.FAILED;
            }
            if (s == null) {
                return DeltaSyncState.STARTING;
            }
            return switch (s.state()) {
                case CREATED -> DeltaSyncState.STARTING;
                case REBALANCING -> DeltaSyncState.REBALANCING;
                case RUNNING -> DeltaSyncState.RUNNING;
                case PENDING_SHUTDOWN, NOT_RUNNING -> DeltaSyncState.STOPPED;
                case PENDING_ERROR, ERROR -> DeltaSyncState.FAILED;
            };
        }

        /** The main consumer's lag on the shard log (end offset - position), -1 while unknown. */
        long lag() {
            KafkaStreams s = streams;
            if (s == null) {
                return -1;
            }
            for (Map.Entry<MetricName, ? extends Metric> e : s.metrics().entrySet()) {
                MetricName n = e.getKey();
                if (n.name().equals("records-lag") && n.group().equals("consumer-fetch-manager-metrics")
                        && topic.equals(n.tags().get("topic")) && "0".equals(n.tags().get("partition"))
                        && !String.valueOf(n.tags().get("client-id")).contains("restore")) {
                    Object v = e.getValue().metricValue();
                    if (v instanceof Number num && !Double.isNaN(num.doubleValue())) {
                        return Math.max(0, num.longValue());
                    }
                }
            }
            return -1;
        }

        void stop(boolean cleanUp) {
            KafkaStreams s = streams;
            if (s != null) {
                boolean closedInTime = s.close(new KafkaStreams.CloseOptions()
                        .timeout(Duration.ofMillis(config.closeTimeoutMs())).leaveGroup(true));
                if (!closedInTime) {
                    LOG.warn("delta sync job '{}' did not close within {} ms", spec.jobId(), config.closeTimeoutMs());
                } else if (cleanUp) {
                    s.cleanUp();
                }
            }
            metrics.remove();
        }
    }

    /**
     * Writes the job's progress row at {@code startOffset - 1} when the running app first opens the target and finds
     * none: the control API then knows the delta sync runs and how far it is, even before any record arrives (it
     * starts the cutover only once the delta sync is caught up, not while it is still starting). Not while the job is
     * {@code held}: the row would say the app applies when it is paused (ADR 0030); the processor asks again once it
     * runs ({@link #announced()}).
     */
    static final class StartAnnouncingWriter implements TargetWriter {
        private final TargetWriter inner;
        private final long startOffset;
        private final java.util.function.BooleanSupplier held;
        private final Runnable announcedLate;
        private boolean announced;
        private boolean skippedWhileHeld;

        /** @param announcedLate runs after the row is written for a job that was held when the app started */
        StartAnnouncingWriter(TargetWriter inner, long startOffset, java.util.function.BooleanSupplier held,
                Runnable announcedLate) {
            this.inner = inner;
            this.startOffset = startOffset;
            this.held = held;
            this.announcedLate = announcedLate;
        }

        @Override
        public TargetProgress stored() {
            TargetProgress p = inner.stored();
            if (p.sourceOffset() < startOffset - 1 && !p.fenceSeen()) {
                if (held.getAsBoolean()) {
                    skippedWhileHeld = true;
                    return p;
                }
                p = inner.apply(List.of(), startOffset - 1, 0);
                if (skippedWhileHeld) {
                    announcedLate.run();
                }
            }
            announced = true;
            return p;
        }

        @Override
        public boolean announced() {
            return announced;
        }

        @Override
        public TargetProgress apply(List<TargetChange> changes, long lastOffset, long fenceSeq) {
            return inner.apply(changes, lastOffset, fenceSeq);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
