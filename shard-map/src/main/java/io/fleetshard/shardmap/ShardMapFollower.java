package io.fleetshard.shardmap;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the map log and exposes the latest complete map as an immutable snapshot.
 *
 * <p>Reads with {@code read_committed}; entity records are buffered until the {@code version} record that ends their
 * transaction, then applied together and swapped in atomically, so a reader never sees half a transaction. When
 * Kafka is unreachable the last snapshot keeps being served (fail open, stale); with a snapshot file the follower
 * serves the map from the file before Kafka answers and resumes the log from the file's offset.
 */
public final class ShardMapFollower implements ShardMapSource, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardMapFollower.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long SNAPSHOT_FILE_INTERVAL_MS = 2_000;

    private final ShardMapLogConfig config;
    private final Path snapshotFile;
    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final AtomicReference<ShardMapSnapshot> current;
    private final List<Consumer<ShardMapSnapshot>> snapshotListeners = new CopyOnWriteArrayList<>();
    private final List<MapTransactionListener> transactionListeners = new CopyOnWriteArrayList<>();
    private final Map<String, MapRecord> pending = new LinkedHashMap<>();
    private final Thread thread;
    private final Object progress = new Object();
    private volatile boolean running = true;
    private volatile long nextOffset;
    private volatile boolean caughtUpOnce;
    private volatile String lastError;
    private long endOffsetTarget = -1; // guarded by progress
    private long lastFileWriteMs;
    private long fileWrittenForVersion = -1;
    /**
     * While the map served came from the DynamoDB mirror: the log's own snapshot, rebuilt from offset 0 on the
     * follower thread and swapped in once the follower has caught up (the mirror holds each entity's newest version
     * only, so it may show a transaction in part, and the log's transactions up to its version must not be skipped).
     * Null otherwise.
     */
    private volatile ShardMapSnapshot replayed;

    private ShardMapFollower(ShardMapLogConfig config, Path snapshotFile, MapMirror mirror) {
        this.config = config;
        this.snapshotFile = snapshotFile;
        this.partition = new TopicPartition(config.topic(), 0);
        Optional<MapSnapshotFile.Loaded> loaded = snapshotFile == null ? Optional.empty()
                : MapSnapshotFile.read(snapshotFile);
        this.current = new AtomicReference<>(loaded.map(MapSnapshotFile.Loaded::snapshot)
                .orElse(ShardMapSnapshot.empty()));
        this.nextOffset = loaded.map(MapSnapshotFile.Loaded::nextOffset).orElse(0L);
        loaded.ifPresent(l -> LOG.info("serving shard map v{} from snapshot file {} until the log answers",
                l.snapshot().version(), snapshotFile));
        if (loaded.isEmpty() && mirror != null) {
            fromMirror(mirror).ifPresent(m -> {
                current.set(m);
                replayed = ShardMapSnapshot.empty();
                LOG.info("serving shard map v{} from the DynamoDB mirror until the log answers", m.version());
            });
        }
        this.consumer = new KafkaConsumer<>(consumerProps(config), new StringDeserializer(),
                new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "shardmap-follower-" + config.topic());
        this.thread.setDaemon(true);
    }

    /**
     * Starts following. Returns at once: the snapshot is empty (or the snapshot file's) until the log is read; use
     * {@link #awaitCaughtUp(Duration)} to wait for the latest map.
     *
     * @param snapshotFile where to keep a local snapshot, or null for none
     */
    public static ShardMapFollower start(ShardMapLogConfig config, Path snapshotFile) {
        return start(config, snapshotFile, null);
    }

    /**
     * Starts following; without a readable snapshot file the map is first read from {@code mirror} (when not null),
     * so that a process starting while Kafka is unreachable serves the mirror's map (stale, fail open) instead of an
     * empty one. Once the follower has read the log to its end, the log's map replaces the mirror's.
     */
    public static ShardMapFollower start(ShardMapLogConfig config, Path snapshotFile, MapMirror mirror) {
        ShardMapFollower f = new ShardMapFollower(config, snapshotFile, mirror);
        f.thread.start();
        return f;
    }

    /** The mirror's entities as a snapshot at their newest version; empty when it holds none or cannot be read. */
    private static Optional<ShardMapSnapshot> fromMirror(MapMirror mirror) {
        List<MapRecord> records;
        try {
            records = mirror.readAll();
        } catch (RuntimeException e) {
            LOG.warn("could not read the shard map's DynamoDB mirror, starting from an empty map: {}", e.toString());
            return Optional.empty();
        }
        long version = records.stream().mapToLong(MapRecord::version).max().orElse(0);
        if (version == 0) {
            return Optional.empty();
        }
        return Optional.of(ShardMapSnapshot.of(version, records.stream().map(MapRecord::entity).toList()));
    }

    private static Properties consumerProps(ShardMapLogConfig config) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.clientSecurity()); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "shardmap-follower");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        int timeout = (int) config.requestTimeout().toMillis();
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout);
        return p;
    }

    @Override
    public ShardMapSnapshot current() {
        return current.get();
    }

    @Override
    public void addListener(Consumer<ShardMapSnapshot> listener) {
        snapshotListeners.add(listener);
    }

    public void addTransactionListener(MapTransactionListener listener) {
        transactionListeners.add(listener);
    }

    /** Waits until a snapshot at {@code version} or later is applied; false on timeout. */
    public boolean awaitVersion(long version, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (current.get().version() < version) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                waitNanos(left);
            }
            return true;
        }
    }

    /**
     * Waits until every transaction committed before this call is applied: the follower reads the log's end offset
     * (last stable offset) after the call and catches up to it. False on timeout (Kafka unreachable).
     */
    public boolean awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            endOffsetTarget = -2; // ask the follower thread for a fresh end offset
            progress.notifyAll();
            while (endOffsetTarget < 0 || nextOffset < endOffsetTarget || replayed != null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                waitNanos(left);
            }
            return true;
        }
    }

    private void waitNanos(long nanos) {
        try {
            progress.wait(Math.max(1, nanos / 1_000_000), (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MapUnavailableException("interrupted while waiting for the shard map", e);
        }
    }

    /** True once the follower has read to the end of the log at least once since it started. */
    public boolean hasCaughtUp() {
        return caughtUpOnce;
    }

    /** Null when the map is loaded and the log reachable recently, else why not (for readiness probes). */
    public String notReadyReason() {
        if (!caughtUpOnce && current.get().version() == 0) {
            return "shard map not loaded yet from " + config.topic() + (lastError == null ? "" : ": " + lastError);
        }
        return null;
    }

    /** Offset of the next map-log record to read. */
    public long nextOffset() {
        return nextOffset;
    }

    private void run() {
        try {
            consumer.assign(Set.of(partition));
            if (nextOffset > 0) {
                consumer.seek(partition, nextOffset);
            } else {
                consumer.seekToBeginning(Set.of(partition));
            }
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = consumer.poll(POLL);
                } catch (WakeupException e) {
                    break;
                } catch (RuntimeException e) {
                    lastError = e.toString();
                    LOG.warn("shard-map log poll failed, serving map v{}: {}", current.get().version(), e.toString());
                    continue;
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    handle(r);
                }
                try {
                    nextOffset = consumer.position(partition);
                    trackEndOffset();
                } catch (RetriableException e) {
                    // Kafka did not answer (a start while it is down: the position of the log's beginning needs
                    // the broker); the next poll tries again, the map served stays as it is
                    lastError = e.toString();
                    LOG.warn("shard-map log position unknown, serving map v{}: {}", current.get().version(),
                            e.toString());
                    continue;
                }
                maybeWriteSnapshotFile(false);
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            lastError = e.toString();
            LOG.error("shard-map follower stopped on an unexpected error; serving map v{} from now on",
                    current.get().version(), e);
        } finally {
            maybeWriteSnapshotFile(true);
            consumer.close(Duration.ofSeconds(1));
        }
    }

    private void trackEndOffset() {
        OptionalLong lag = consumer.currentLag(partition);
        if (!caughtUpOnce && lag.isPresent() && lag.getAsLong() == 0) {
            if (replayed != null) { // the log's map replaces the mirror's
                ShardMapSnapshot fromLog = replayed;
                replayed = null;
                LOG.info("shard map of the log v{} replaces the mirror's v{}", fromLog.version(), current.get().version());
                synchronized (progress) {
                    current.set(fromLog);
                }
                for (Consumer<ShardMapSnapshot> l : snapshotListeners) {
                    notifySafely(() -> l.accept(fromLog));
                }
            }
            caughtUpOnce = true;
            LOG.info("shard map loaded: v{} at offset {}", current.get().version(), nextOffset);
        }
        boolean wanted;
        synchronized (progress) {
            wanted = endOffsetTarget == -2;
        }
        if (wanted) {
            try {
                Map<TopicPartition, Long> end = consumer.endOffsets(Set.of(partition), config.requestTimeout());
                synchronized (progress) {
                    endOffsetTarget = end.get(partition);
                }
            } catch (RuntimeException e) {
                lastError = e.toString();
            }
        }
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) {
        String key = r.key();
        try {
            if (VersionRecord.KEY.equals(key)) {
                VersionRecord v = VersionRecord.decode(r.value());
                applyPending(v.version());
            } else if (key != null) {
                pending.put(key, MapRecordCodec.decode(key, r.value(), Long.MAX_VALUE));
            }
        } catch (MapFormatException e) {
            // A malformed record is skipped loudly rather than stalling every reader of the map.
            lastError = e.getMessage();
            LOG.error("skipping malformed shard-map record at offset {}: {}", r.offset(), e.getMessage());
        }
    }

    private void applyPending(long version) {
        ShardMapSnapshot before = replayed != null ? replayed : current.get();
        if (version <= before.version()) {
            pending.clear(); // already in the snapshot we started from (snapshot file)
            return;
        }
        List<MapEntity> puts = new ArrayList<>();
        List<String> deletes = new ArrayList<>();
        List<MapRecord> applied = new ArrayList<>(pending.size());
        for (MapRecord rec : pending.values()) {
            MapRecord fixed = rec.isTombstone() ? new MapRecord(rec.key(), version, null) : rec;
            applied.add(fixed);
            if (fixed.isTombstone()) {
                deletes.add(fixed.key());
            } else {
                puts.add(fixed.entity());
            }
        }
        pending.clear();
        ShardMapSnapshot after = before.apply(version, puts, deletes);
        if (replayed != null) {
            replayed = after; // served once the log is read to its end; transaction listeners (the mirror) see it now
        } else {
            synchronized (progress) {
                current.set(after);
                progress.notifyAll();
            }
            for (Consumer<ShardMapSnapshot> l : snapshotListeners) {
                notifySafely(() -> l.accept(after));
            }
        }
        for (MapTransactionListener l : transactionListeners) {
            notifySafely(() -> l.onTransaction(after, applied));
        }
    }

    private static void notifySafely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("shard-map listener failed", e);
        }
    }

    private void maybeWriteSnapshotFile(boolean force) {
        if (snapshotFile == null || replayed != null) { // the mirror's map has no log offset to be resumed from
            return;
        }
        ShardMapSnapshot s = current.get();
        long now = System.currentTimeMillis();
        if (s.version() == fileWrittenForVersion || s.version() == 0
                || (!force && now - lastFileWriteMs < SNAPSHOT_FILE_INTERVAL_MS) || !pending.isEmpty()) {
            return;
        }
        try {
            MapSnapshotFile.write(snapshotFile, s, nextOffset);
            fileWrittenForVersion = s.version();
            lastFileWriteMs = now;
        } catch (RuntimeException e) {
            LOG.warn("could not write map snapshot file {}: {}", snapshotFile, e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
