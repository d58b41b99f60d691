package io.fleetshard.iceberg;

import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maintains one Iceberg table per logical table from its change topic {@code fleetshard.cdc.<table>}: the current
 * rows (upserts and deletes as Iceberg v2 equality deletes) and, optionally, {@code <table>_history} with every change.
 *
 * <p>Exactly once (ADR 0017, {@code docs/adr/0017-iceberg-sink-offsets-in-snapshots.md}): every
 * {@code commit.interval.ms} each table's buffered changes are written as Parquet files and committed in one
 * {@code RowDelta} whose snapshot summary records the next Kafka offset of every partition. On start, and after any
 * failed commit, the sink reads those offsets back from the table and seeks there; Kafka's group offsets are only a
 * mirror for lag tools. A commit is atomic, so a crash at any point neither loses nor repeats a change.
 *
 * <p>One thread polls (a {@code read_committed} consumer with manual assignment of every partition) and commits.
 */
public final class IcebergSink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IcebergSink.class);
    private static final long MAX_POLL_MS = 500;

    private final IcebergSinkConfig config;
    private final Catalog catalog;
    private final boolean ownsCatalog;
    private final Clock clock;
    private final Map<String, TableState> byTopic = new LinkedHashMap<>();
    private final Map<String, TableSinkStatus> status = new ConcurrentHashMap<>();
    private final Set<TopicPartition> assigned = new java.util.HashSet<>();
    private volatile boolean running;
    private volatile boolean commitOnStop = true;
    private volatile Throwable failure;
    private Thread thread;
    private KafkaConsumer<byte[], byte[]> consumer;
    private java.util.concurrent.ScheduledExecutorService maintenance;

    /** The state of one logical table: its topic, its targets, whether it waits for a resume or has stopped. */
    private static final class TableState {
        final String table;
        final String topic;
        final List<SinkTarget> targets = new ArrayList<>();
        final List<TopicPartition> partitions = new ArrayList<>();
        boolean resumePending = true;
        String stoppedReason;
        String lastError;
        long commits;
        /** Offload records skipped since the last commit: their offsets are recorded by an offsets-only snapshot. */
        long skippedSinceCommit;

        TableState(String table, String topic) {
            this.table = table;
            this.topic = topic;
        }
    }

    /** A sink on {@code catalog}, which the caller keeps and closes. */
    public IcebergSink(IcebergSinkConfig config, Catalog catalog, Clock clock) {
        this(config, catalog, false, clock);
    }

    private IcebergSink(IcebergSinkConfig config, Catalog catalog, boolean ownsCatalog, Clock clock) {
        this.config = config;
        this.catalog = catalog;
        this.ownsCatalog = ownsCatalog;
        this.clock = clock;
        for (String table : config.tables()) {
            TableState ts = new TableState(table, config.topicOf(table));
            ts.targets.add(new SinkTarget(table, ts.topic, SinkTarget.Kind.CURRENT, config.namespace()));
            if (config.historyEnabled()) {
                ts.targets.add(new SinkTarget(table, ts.topic, SinkTarget.Kind.HISTORY, config.namespace()));
            }
            byTopic.put(ts.topic, ts);
        }
    }

    /** A sink on the catalog the configuration describes (JDBC or Glue); closing the sink closes the catalog. */
    public static IcebergSink open(IcebergSinkConfig config) {
        return new IcebergSink(config, catalogOf(config), true, Clock.systemUTC());
    }

    /** The Iceberg catalog {@code config} describes, for the sink and for readers of its tables. */
    public static Catalog catalogOf(IcebergSinkConfig config) {
        return CatalogUtil.buildIcebergCatalog(config.catalogName(), config.icebergCatalogProperties(), null);
    }

    /** Starts the sink's thread; tables are created, and offsets read, by that thread. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("the sink is already started");
        }
        LOG.info("starting iceberg sink: {}", config);
        consumer = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "iceberg-sink");
        thread.setDaemon(true);
        thread.start();
        if (config.maintenanceIntervalMs() > 0) {
            maintenance = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "iceberg-maintenance");
                t.setDaemon(true);
                return t;
            });
            maintenance.scheduleWithFixedDelay(this::maintainQuietly, config.maintenanceIntervalMs(),
                    config.maintenanceIntervalMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Maintains every table of the sink that exists (ADR 0019): compaction, then snapshot expiry, then orphan removal,
     * each table on its own; runs beside the sink's commits, on the maintenance thread every
     * {@code maintenance.interval.ms}, or on the caller's thread here (operators, benchmarks, tests).
     */
    public Map<String, IcebergSinkMaintenance> maintain() {
        Map<String, IcebergSinkMaintenance> out = new LinkedHashMap<>();
        for (TableState ts : byTopic.values()) {
            for (SinkTarget t : ts.targets) {
                if (!catalog.tableExists(t.id())) {
                    continue;
                }
                org.apache.iceberg.Table table = catalog.loadTable(t.id());
                long start = System.nanoTime();
                TableMaintenance.Compaction c = TableMaintenance.compact(table, config.targetFileSizeBytes(),
                        config.minInputFiles());
                long now = clock.millis();
                int expired = TableMaintenance.expireSnapshots(table, now, config.snapshotMaxAgeMs(),
                        config.snapshotRetainLast());
                int orphans = TableMaintenance.removeOrphans(table, now - config.orphanMinAgeMs()).size();
                out.put(t.id().toString(), new IcebergSinkMaintenance(t.id().toString(), c.partitions(),
                        c.dataFilesRemoved(), c.deleteFilesRemoved(), c.dataFilesAdded(), c.rows(), c.snapshotId(),
                        expired, orphans));
                if (c.partitions() > 0 || expired > 0 || orphans > 0) {
                    LOG.info("maintained {} in {} ms: {} partitions compacted ({} data + {} delete files into {}, {} rows),"
                            + " {} snapshots expired, {} orphan files removed", t.id(),
                            (System.nanoTime() - start) / 1_000_000, c.partitions(), c.dataFilesRemoved(),
                            c.deleteFilesRemoved(), c.dataFilesAdded(), c.rows(), expired, orphans);
                }
            }
        }
        return out;
    }

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) { // a failed run changes nothing (each step is one commit); the next run retries
            LOG.warn("table maintenance failed (retried in {} ms): {}", config.maintenanceIntervalMs(), e.toString(), e);
        }
    }

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "iceberg-sink-" + config.groupId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
        return p;
    }

    /** Per logical table, where the sink stands. */
    public Map<String, TableSinkStatus> status() {
        return Map.copyOf(status);
    }

    /** Why the sink's thread ended, or null while it runs (or ended by {@link #close()}). */
    public Throwable failure() {
        return failure;
    }

    private void run() {
        boolean woken = false;
        try {
            long nextCommit = clock.millis() + config.commitIntervalMs();
            resumeWaitingTables();
            while (running) {
                long wait = Math.max(1, Math.min(MAX_POLL_MS, nextCommit - clock.millis()));
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(wait))) {
                    route(r);
                }
                if (clock.millis() >= nextCommit) {
                    commitAll();
                    resumeWaitingTables();
                    nextCommit = clock.millis() + config.commitIntervalMs();
                }
            }
        } catch (WakeupException e) {
            woken = true; // close()
        } catch (Throwable t) {
            failure = t;
            LOG.error("iceberg sink stopped: {}", t.toString(), t);
        }
        try {
            if (failure == null && commitOnStop && (woken || !running)) {
                commitAll(); // a graceful stop commits what it read
            }
        } catch (RuntimeException e) {
            LOG.warn("final commit at stop failed (the changes will be read again at the next start): {}", e.toString());
        } finally {
            consumer.close();
        }
    }

    private void route(ConsumerRecord<byte[], byte[]> r) {
        TableState ts = byTopic.get(r.topic());
        if (ts == null || ts.resumePending || ts.stoppedReason != null) {
            return; // a table waiting for its resume re-reads from its committed offsets then
        }
        if (isOffload(r)) {
            ts.skippedSinceCommit++; // ADR 0023: cold rows deleted from a shard after a snapshot took them stay
            return;
        }
        try {
            ChangeEvent e = ChangeEventParser.parse(r.topic(), r.partition(), r.offset(), r.value());
            for (SinkTarget t : ts.targets) {
                if (t.needs(e)) {
                    t.ensureTable(catalog, e);
                    t.add(e);
                }
            }
        } catch (DefectiveChangeException e) {
            stop(ts, e);
        } catch (RuntimeException e) {
            retryLater(ts, e);
        }
        publish(ts);
    }

    /**
     * A change of an offload transaction ({@code fleetshard.origin=offload}, docs/spec/change-events.md): not applied to
     * the current table nor written to the history (ADR 0023); its offset still counts as read.
     */
    static boolean isOffload(ConsumerRecord<byte[], byte[]> r) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(IcebergSinkOffload.ORIGIN_HEADER);
        return h != null && h.value() != null
                && IcebergSinkOffload.ORIGIN_OFFLOAD.equals(new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private void commitAll() {
        Map<TopicPartition, OffsetAndMetadata> mirror = new HashMap<>();
        for (TableState ts : byTopic.values()) {
            if (ts.resumePending || ts.stoppedReason != null) {
                continue;
            }
            try {
                Map<Integer, Long> positions = positions(ts);
                for (SinkTarget t : ts.targets) {
                    long start = System.nanoTime();
                    int events = t.buffered();
                    TableCommitter.Committed c = t.commit(positions);
                    if (c != null) {
                        ts.commits++;
                        LOG.debug("committed {} events to {} in {} ms: snapshot {}, {} data files, {} delete files,"
                                + " offsets {}", events, t.id(), (System.nanoTime() - start) / 1_000_000, c.snapshotId(),
                                c.dataFiles(), c.deleteFiles(), t.committed());
                    }
                }
                ts.lastError = null;
                ts.skippedSinceCommit = 0;
            } catch (DefectiveChangeException e) {
                stop(ts, e);
            } catch (RuntimeException e) {
                retryLater(ts, e);
            }
            publish(ts);
            if (!ts.resumePending && ts.stoppedReason == null) {
                mirrorOffsets(ts, mirror);
            }
        }
        if (!mirror.isEmpty()) {
            consumer.commitAsync(mirror, (offsets, e) -> {
                if (e != null) {
                    LOG.debug("mirroring offsets to group {} failed (informative only): {}", config.groupId(), e.toString());
                }
            });
        }
    }

    /**
     * The consumer's position in each of the table's partitions, when one of its targets has something to commit or
     * offload records were skipped since the last commit: every record before it was routed (buffered by the targets
     * that need it), skipped as an offload's, or skipped by read_committed. After a stretch of offload deletes only,
     * the targets then commit that position alone (an offsets-only snapshot), so the recorded offsets and the lag
     * computed from them do not stay behind until the next real change.
     */
    private Map<Integer, Long> positions(TableState ts) {
        boolean pending = ts.skippedSinceCommit > 0;
        for (SinkTarget t : ts.targets) {
            pending |= t.buffered() > 0;
        }
        if (!pending) {
            return Map.of();
        }
        Map<Integer, Long> out = new HashMap<>();
        for (TopicPartition tp : ts.partitions) {
            out.put(tp.partition(), consumer.position(tp, Duration.ofSeconds(30)));
        }
        return out;
    }

    /** The group offsets of a table's partitions: the lowest any of its targets committed. */
    private static void mirrorOffsets(TableState ts, Map<TopicPartition, OffsetAndMetadata> into) {
        for (TopicPartition tp : ts.partitions) {
            long min = Long.MAX_VALUE;
            for (SinkTarget t : ts.targets) {
                min = Math.min(min, t.committed().getOrDefault(tp.partition(), 0L));
            }
            if (min > 0) {
                into.put(tp, new OffsetAndMetadata(min));
            }
        }
    }

    /**
     * For every table waiting for it (at start, after a failure): reads the committed offsets from its tables and
     * seeks its partitions to the lowest, so each target re-reads exactly what it lacks.
     */
    private void resumeWaitingTables() {
        boolean assignmentChanged = false;
        for (TableState ts : byTopic.values()) {
            if (ts.partitions.isEmpty()) {
                List<PartitionInfo> infos = consumer.partitionsFor(ts.topic);
                if (infos == null || infos.isEmpty()) {
                    ts.lastError = "topic " + ts.topic + " does not exist yet";
                    publish(ts);
                    continue;
                }
                for (PartitionInfo i : infos) {
                    ts.partitions.add(new TopicPartition(i.topic(), i.partition()));
                }
                assigned.addAll(ts.partitions);
                assignmentChanged = true;
            }
        }
        if (assignmentChanged) {
            consumer.assign(new ArrayList<>(assigned));
        }
        for (TableState ts : byTopic.values()) {
            if (!ts.resumePending || ts.partitions.isEmpty() || ts.stoppedReason != null) {
                continue;
            }
            try {
                for (SinkTarget t : ts.targets) {
                    t.load(catalog);
                    if (TableLayouts.isFixed(ts.table)) {
                        t.ensureTable(catalog, null); // the others wait for their first event (route)
                    }
                }
                checkForGaps(ts);
                List<TopicPartition> fromStart = new ArrayList<>();
                for (TopicPartition tp : ts.partitions) {
                    long min = Long.MAX_VALUE;
                    boolean all = true;
                    for (SinkTarget t : ts.targets) {
                        Long o = t.committed().get(tp.partition());
                        if (o == null) {
                            all = false;
                        } else {
                            min = Math.min(min, o);
                        }
                    }
                    if (all) {
                        consumer.seek(tp, min);
                    } else {
                        fromStart.add(tp);
                    }
                }
                if (!fromStart.isEmpty()) {
                    consumer.seekToBeginning(fromStart);
                }
                ts.resumePending = false;
                LOG.info("resumed {} from its snapshots: {}", ts.table, describe(ts));
            } catch (DefectiveChangeException e) {
                stop(ts, e);
            } catch (RuntimeException e) {
                ts.lastError = e.toString();
                LOG.warn("could not resume {} (retrying in {} ms): {}", ts.table, config.commitIntervalMs(), e.toString());
            }
            publish(ts);
        }
    }

    /**
     * Refuses to resume a table whose committed offset of a partition is below the topic's earliest retained offset:
     * retention deleted changes the table never got, and reading on would silently lose them.
     */
    private void checkForGaps(TableState ts) {
        Map<TopicPartition, Long> earliest = consumer.beginningOffsets(ts.partitions);
        for (TopicPartition tp : ts.partitions) {
            long first = earliest.getOrDefault(tp, 0L);
            for (SinkTarget t : ts.targets) {
                Long committed = t.committed().get(tp.partition());
                if (committed != null && committed < first) {
                    throw new DefectiveChangeException("gap: " + t.id() + " holds " + tp + " up to offset " + committed
                            + " but the topic's earliest retained offset is " + first + ": changes " + committed + ".."
                            + (first - 1) + " were deleted by retention before the sink read them. The table cannot be"
                            + " completed from Kafka: rebuild it from the shards (not automated yet) and keep the change"
                            + " topics' retention above the sink's longest outage");
                }
            }
        }
    }

    private void retryLater(TableState ts, RuntimeException e) {
        ts.resumePending = true;
        ts.lastError = e.toString();
        LOG.warn("{}: {} — buffered changes dropped, re-reading from the committed offsets in {} ms", ts.table,
                e.toString(), config.commitIntervalMs(), e);
    }

    private void stop(TableState ts, DefectiveChangeException e) {
        ts.stoppedReason = e.getMessage();
        ts.lastError = e.getMessage();
        consumer.pause(ts.partitions);
        LOG.error("table {} stopped (its partitions paused; other tables go on): {}", ts.table, e.getMessage());
    }

    private static String describe(TableState ts) {
        StringBuilder sb = new StringBuilder();
        for (SinkTarget t : ts.targets) {
            sb.append(t.id()).append(" offsets ").append(t.committed()).append(" (snapshot ").append(t.snapshotId())
                    .append(") ");
        }
        return sb.toString().trim();
    }

    private void publish(TableState ts) {
        SinkTarget current = ts.targets.get(0);
        SinkTarget history = ts.targets.size() > 1 ? ts.targets.get(1) : null;
        long buffered = 0;
        for (SinkTarget t : ts.targets) {
            buffered = Math.max(buffered, t.buffered());
        }
        String state = ts.stoppedReason != null ? "stopped" : ts.resumePending ? "retrying" : "running";
        status.put(ts.table, new TableSinkStatus(ts.table, state, current.committed(), current.snapshotId(),
                history == null ? Map.of() : history.committed(), ts.commits, buffered, ts.lastError));
    }

    /** Stops like a crash after reading: what was read and not committed is dropped (tests of the restart path). */
    void closeWithoutCommit() {
        commitOnStop = false;
        close();
    }

    /** Stops the thread after committing what it read, then closes the consumer (and the catalog if the sink built it). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            running = false;
        }
        if (maintenance != null) {
            maintenance.shutdownNow();
            try {
                maintenance.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t != null) {
            consumer.wakeup();
            try {
                t.join(Duration.ofMinutes(2).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownsCatalog && catalog instanceof Closeable c) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("closing the catalog failed: {}", e.toString());
            }
        }
    }
}
