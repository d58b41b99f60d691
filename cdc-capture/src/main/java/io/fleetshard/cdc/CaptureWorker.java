package io.fleetshard.cdc;

import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A capture worker: joins the Kafka consumer group {@code group.id} on the assignment topic, and captures every shard of
 * the shard map whose assignment partition it was given (see ADR 0010). Shards added to the map are picked up, removed or
 * retired shards are stopped (their slots stay until {@link CaptureOperations#dropReplicationSlot}), and when a worker
 * dies the group hands its partitions, hence its shards, to the others after {@code session.timeout.ms}.
 *
 * <pre>{@code
 * try (CaptureWorker worker = new CaptureWorker(CaptureConfig.builder("kafka:9092", "cdc-1").build(), follower)) {
 *     worker.start();
 *     ...
 * }
 * }</pre>
 */
public final class CaptureWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureWorker.class);

    private final CaptureConfig config;
    private final ShardMapSource shardMap;
    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, ShardCapture> captures = new ConcurrentHashMap<>();
    private final Map<String, CaptureMetrics> metricsByShard = new ConcurrentHashMap<>();
    private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
    private final Thread membership;
    private final ScheduledExecutorService lagProbe;
    private volatile boolean closing;
    private volatile boolean started;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    public CaptureWorker(CaptureConfig config, ShardMapSource shardMap) {
        this(config, shardMap, new SimpleMeterRegistry());
    }

    public CaptureWorker(CaptureConfig config, ShardMapSource shardMap, MeterRegistry registry) {
        this(config, shardMap, registry, Clock.systemUTC());
    }

    CaptureWorker(CaptureConfig config, ShardMapSource shardMap, MeterRegistry registry, Clock clock) {
        this.config = config;
        this.shardMap = shardMap;
        this.registry = registry;
        this.clock = clock;
        this.membership = new Thread(this::membershipLoop, "cdc-membership-" + config.workerId());
        this.membership.setDaemon(true);
        this.lagProbe = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdc-source-lag-" + config.workerId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Creates missing topics, joins the group and starts capturing. Throws if Kafka cannot be reached. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("capture worker " + config.workerId() + " was already started");
        }
        started = true;
        LOG.info("Capture worker starting: {}", config);
        if (!DebeziumShadows.cheapFormatterLoaded()) {
            LOG.warn("Debezium's own EventFormatter is on the class path before cdc-capture's (ADR 0021): every change"
                    + " event's metrics summary costs a Jackson ObjectMapper; put fleetshard-cdc-capture before the"
                    + " Debezium jars");
        }
        if (!DebeziumShadows.spinFreeQueueLoaded()) {
            LOG.warn("Debezium's own ChangeEventQueue is on the class path before cdc-capture's (ADR 0054): every"
                    + " connector spins a millisecond per poll interval and waits a whole interval per batch; put"
                    + " fleetshard-cdc-capture before the Debezium jars");
        }
        if (!DebeziumShadows.cheapTimeTextLoaded()) {
            LOG.warn("Debezium's own ZonedTimestamp or PostgreSQL DateTimeFormat is on the class path before"
                    + " cdc-capture's (ADR 0057): every timestamp value is parsed and printed through"
                    + " DateTimeFormatters built per value; put fleetshard-cdc-capture before the Debezium jars");
        }
        ChangeTopics.ensure(config);
        consumer = newConsumer();
        membership.start();
        lagProbe.scheduleWithFixedDelay(this::probeSourceLag, config.sourceLagIntervalMs(), config.sourceLagIntervalMs(),
                TimeUnit.MILLISECONDS);
    }

    /** Ids of the shards this worker captures now. */
    public Set<String> ownedShards() {
        return new TreeSet<>(captures.keySet());
    }

    /** Per-shard state of this worker's captures. */
    public Map<String, ShardCaptureStatus> status() {
        Map<String, ShardCaptureStatus> out = new TreeMap<>();
        captures.forEach((id, c) -> out.put(id, c.status()));
        return out;
    }

    /**
     * Waits until this worker captures every shard of {@code shardIds} and each one streams
     * ({@link ShardCaptureStatus#streaming()}): its initial snapshot is done, so from now on a committed write reaches
     * the change topics as a change ({@code c}/{@code u}/{@code d}), never as a snapshot read ({@code r}).
     *
     * @throws CaptureException if {@code timeout} passes first; it names every shard that does not stream yet, with its
     *     state and last error
     */
    public void awaitStreaming(Collection<String> shardIds, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> pending = notStreaming(shardIds);
            if (pending.isEmpty()) {
                return;
            }
            if (closing) {
                throw new CaptureException("capture worker " + config.workerId() + " was closed while waiting for "
                        + String.join("; ", pending) + " to stream");
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new CaptureException("change capture did not reach streaming within " + timeout.toSeconds()
                        + " s: " + String.join("; ", pending) + ". Writes are not captured as changes until it does;"
                        + " see the log of io.fleetshard.cdc for why (a snapshot still running, or a failing engine)");
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** "shard: what it does" for each of {@code shardIds} that this worker does not stream. */
    private List<String> notStreaming(Collection<String> shardIds) {
        List<String> pending = new ArrayList<>();
        for (String shardId : new TreeSet<>(shardIds)) {
            ShardCapture c = captures.get(shardId);
            if (c == null) {
                pending.add(shardId + " not captured by this worker (yet)");
                continue;
            }
            ShardCaptureStatus s = c.status();
            if (!s.streaming()) {
                pending.add(shardId + " " + ("running".equals(s.state()) ? "running its initial snapshot" : s.state())
                        + (s.lastError() == null ? "" : " (last error: " + s.lastError() + ")"));
            }
        }
        return pending;
    }

    /** Partitions of the assignment topic the group gave this worker. */
    public Set<Integer> assignedPartitions() {
        return new TreeSet<>(assigned);
    }

    public MeterRegistry meterRegistry() {
        return registry;
    }

    public CaptureConfig config() {
        return config;
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-cdc-" + config.workerId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(config.sessionTimeoutMs()));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(Math.max(100, config.sessionTimeoutMs() / 4)));
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "300000");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RoundRobinAssignor.class.getName());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private void membershipLoop() {
        KafkaConsumer<byte[], byte[]> c = consumer;
        c.subscribe(List.of(config.assignmentTopic()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                partitions.forEach(tp -> assigned.remove(tp.partition()));
                LOG.info("Worker {}: assignment partitions revoked {}", config.workerId(), partitions.size());
                reconcile();
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                partitions.forEach(tp -> assigned.add(tp.partition()));
                LOG.info("Worker {}: {} assignment partitions now owned", config.workerId(), assigned.size());
                reconcile();
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                onPartitionsRevoked(partitions);
            }
        });
        try {
            while (!closing) {
                try {
                    c.poll(Duration.ofMillis(100));
                } catch (WakeupException e) {
                    if (closing) {
                        break;
                    }
                }
                reconcile();
            }
        } catch (RuntimeException e) {
            LOG.error("Worker {}: group membership failed: {}; stopping all captures of this worker", config.workerId(),
                    e.toString(), e);
        } finally {
            assigned.clear();
            reconcile();
            try {
                c.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                LOG.warn("Worker {}: closing the group consumer failed: {}", config.workerId(), e.toString());
            }
        }
    }

    /** Starts and stops shard captures so that exactly the owned shards of the current map are captured. */
    private void reconcile() {
        ShardMapSnapshot snapshot = shardMap.current();
        Map<String, Node> desired = new LinkedHashMap<>();
        Map<String, Shard> shards = new LinkedHashMap<>();
        if (!closing) {
            for (Shard shard : snapshot.shards()) {
                if (!shard.status().ownsRing()
                        || !assigned.contains(ShardAssignment.partitionOf(shard.shardId(), config.assignmentPartitions()))) {
                    continue;
                }
                Optional<Node> primary = snapshot.primaryOf(shard.shardId());
                primary.ifPresent(n -> {
                    desired.put(shard.shardId(), n);
                    shards.put(shard.shardId(), shard);
                });
            }
        }
        List<ShardCapture> toStop = new ArrayList<>();
        for (ShardCapture c : captures.values()) {
            Node n = desired.get(c.shardId());
            if (n == null || !n.jdbcUrl().equals(c.jdbcUrl()) || shards.get(c.shardId()).engine() != c.engine()) {
                toStop.add(c);
            }
        }
        if (!toStop.isEmpty()) {
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            for (ShardCapture c : toStop) {
                captures.remove(c.shardId());
                stops.add(CompletableFuture.runAsync(c::stop));
            }
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        }
        Set<String> started = new HashSet<>();
        desired.forEach((shardId, node) -> {
            if (!captures.containsKey(shardId)) {
                CaptureMetrics metrics = metricsByShard.computeIfAbsent(shardId, id -> new CaptureMetrics(registry, id));
                ShardCapture c = new ShardCapture(config, shardId, shards.get(shardId).engine(), node.jdbcUrl(), shardMap,
                        metrics, clock);
                captures.put(shardId, c);
                c.start();
                started.add(shardId);
            }
        });
        if (!started.isEmpty() || !toStop.isEmpty()) {
            LOG.info("Worker {} (map version {}): started {}, stopped {}, now capturing {}", config.workerId(),
                    snapshot.version(), started, toStop.stream().map(ShardCapture::shardId).toList(), ownedShards());
        }
    }

    private void probeSourceLag() {
        for (ShardCapture c : captures.values()) {
            if (closing) {
                return;
            }
            c.measureSourceLag();
        }
    }

    /** Stops every capture (waiting for in-flight batches to end), then leaves the group. */
    @Override
    public void close() {
        closing = true;
        lagProbe.shutdownNow();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (membership.isAlive()) {
            try {
                membership.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            captures.values().forEach(ShardCapture::stop);
            captures.clear();
        }
        LOG.info("Capture worker {} closed", config.workerId());
    }
}
