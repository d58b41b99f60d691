package io.fleetshard.archiver;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Archives shard logs to the object store (ADR 0011, docs/spec/archive.md). One consumer, in group {@code group.id},
 * subscribed to every topic {@code <shard.log.topic.prefix>*} and to the audit log ({@code audit.topic}, archived under
 * its own name like a shard: docs/spec/audit-chain.md): Kafka divides the shards among archiver instances and
 * hands a dead instance's shards to the others. Per owned shard a {@link ShardSegmenter} cuts segments by size and
 * age and writes segment, then manifest; the group offset is committed after the manifest, and on assignment the
 * consumer seeks to the stored chain's end, so a crash at any point neither loses nor repeats an event in the archive.
 */
public final class Archiver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Archiver.class);
    static final String H_COMMIT_TS = "fleetshard.commit.ts.ms";
    static final String H_POSITION = "fleetshard.position";
    /** Header naming a shard-log marker; {@value #WATERMARK} for capture's watermark (ADR 0048). */
    static final String H_MARKER = "fleetshard.marker";
    static final String WATERMARK = "watermark";

    private final ArchiverConfig config;
    private final ArchiveStore store;
    private final MeterRegistry registry;
    private final Clock clock;
    private final Thread thread;
    private final Map<TopicPartition, ShardSegmenter> owned = new ConcurrentHashMap<>();
    private final Map<String, ShardArchiveStatus> statuses = new ConcurrentHashMap<>();
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean closing;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Throwable failure;
    private final ArchiveEncryption encryption;

    public Archiver(ArchiverConfig config, ArchiveStore store, MeterRegistry registry, Clock clock) {
        this(config, store, ArchiveEncryption.NONE, registry, clock);
    }

    /**
     * An archiver that seals the records of the tenants {@code encryption} names with their own keys (ADR 0025). The
     * audit log is never sealed: its record chain must verify without tenant keys.
     */
    public Archiver(ArchiverConfig config, ArchiveStore store, ArchiveEncryption encryption, MeterRegistry registry,
                    Clock clock) {
        this.encryption = java.util.Objects.requireNonNull(encryption, "encryption");
        this.config = config;
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.thread = new Thread(this::run, "archiver-" + config.archiverId());
        this.thread.setDaemon(true);
    }

    public Archiver(ArchiverConfig config, ArchiveStore store) {
        this(config, store, new SimpleMeterRegistry(), Clock.systemUTC());
    }

    public void start() {
        LOG.info("Archiver starting: {}, {}", config, encryption);
        thread.start();
    }

    /** Waits until the consumer is created (not until shards are assigned). */
    public boolean awaitStarted(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public MeterRegistry meterRegistry() {
        return registry;
    }

    /** The shards this instance owns now, by shard id. */
    public Map<String, ShardArchiveStatus> status() {
        return new TreeMap<>(statuses);
    }

    /** Non-null when the poll loop died of an error it could not handle. */
    public Throwable failure() {
        return failure;
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-archiver-" + config.archiverId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(config.sessionTimeoutMs()));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(Math.max(100, config.sessionTimeoutMs() / 3)));
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, Long.toString(config.topicDiscoveryMs()));
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private void run() {
        try (KafkaConsumer<byte[], byte[]> c = newConsumer()) {
            consumer = c;
            ready.countDown();
            c.subscribe(config.subscription(), new Rebalance(c));
            long pollMs = Math.max(10, Math.min(100, config.segmentMaxAgeMs() / 4));
            long nextLagMs = 0;
            while (!closing) {
                ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(pollMs));
                for (TopicPartition tp : records.partitions()) {
                    ShardSegmenter seg = owned.get(tp);
                    if (seg == null || seg.state() != ShardSegmenter.State.ARCHIVING) {
                        continue; // paused meanwhile; these records are re-read after the stored chain's end
                    }
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (r.value() == null) {
                            continue;
                        }
                        if (WATERMARK.equals(header(r, H_MARKER))) {
                            // Capture's watermark (ADR 0048): carried by a manifest, never archived as an event.
                            seg.watermark(r.offset(), header(r, H_POSITION), commitTsOf(r));
                            continue;
                        }
                        seg.append(r.offset(), r.value(), commitTsOf(r), header(r, H_POSITION));
                        if (seg.dueBySize()) {
                            act(c, tp, seg, seg.flush());
                            if (seg.state() != ShardSegmenter.State.ARCHIVING) {
                                break;
                            }
                        }
                    }
                    if (seg.state() == ShardSegmenter.State.ARCHIVING) {
                        seg.advanceTo(c.position(tp));
                    }
                }
                long now = clock.millis();
                for (Map.Entry<TopicPartition, ShardSegmenter> e : owned.entrySet()) {
                    ShardSegmenter seg = e.getValue();
                    if (seg.resumeDue(now)) {
                        resume(c, e.getKey(), seg);
                    } else if (seg.retryDue(now)) {
                        seg.backToArchiving();
                        act(c, e.getKey(), seg, seg.flush());
                    } else if (seg.dueByAge(now) || seg.dueByWatermark(now)) {
                        act(c, e.getKey(), seg, seg.flush());
                    }
                    seg.reportPending();
                }
                if (now >= nextLagMs) {
                    nextLagMs = now + 1000;
                    for (Map.Entry<TopicPartition, ShardSegmenter> e : owned.entrySet()) {
                        OptionalLong lag = c.currentLag(e.getKey());
                        e.getValue().lagRecords(lag.isPresent() ? lag.getAsLong() + e.getValue().pending() : -1);
                    }
                }
                owned.forEach((tp, seg) -> statuses.put(seg.shardId(), seg.status()));
            }
        } catch (WakeupException e) {
            if (!closing) {
                failure = e;
            }
        } catch (Throwable t) {
            failure = t;
            LOG.error("Archiver {} stopped on an unexpected error; its shards move to other archivers: {}",
                    config.archiverId(), t.toString(), t);
        } finally {
            ready.countDown();
            owned.values().forEach(this::forget);
            owned.clear();
        }
    }

    private void resume(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, ShardSegmenter seg) {
        long start = c.beginningOffsets(List.of(tp)).getOrDefault(tp, 0L);
        long end = c.endOffsets(List.of(tp)).getOrDefault(tp, 0L);
        act(c, tp, seg, seg.resume(start, end));
    }

    private void act(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, ShardSegmenter seg, ShardSegmenter.Outcome outcome) {
        if (outcome instanceof ShardSegmenter.Committed done) {
            try {
                c.commitSync(Map.of(tp, new OffsetAndMetadata(done.nextOffset())));
            } catch (KafkaException e) {
                // The manifest is the record of progress; a lost commit only makes the group's lag look larger.
                LOG.debug("Shard {}: offset commit failed after a stored manifest: {}", seg.shardId(), e.toString());
            }
            c.resume(List.of(tp));
        } else if (outcome instanceof ShardSegmenter.Seek seek) {
            c.seek(tp, seek.offset());
            c.resume(List.of(tp));
        } else {
            c.pause(List.of(tp));
            if (seg.state() == ShardSegmenter.State.BACKOFF) {
                // Records fetched after the buffered ones were not kept: fetch them again once the write succeeds.
                c.seek(tp, seg.consumeFrom());
            }
        }
        statuses.put(seg.shardId(), seg.status());
    }

    private static long commitTsOf(ConsumerRecord<byte[], byte[]> r) {
        String ts = header(r, H_COMMIT_TS);
        if (ts != null) {
            try {
                return Long.parseLong(ts);
            } catch (NumberFormatException ignored) {
                // fall back to the record timestamp, which capture sets to the commit time too
            }
        }
        return r.timestamp();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private void forget(ShardSegmenter seg) {
        statuses.remove(seg.shardId());
        seg.discard();
    }

    /** Assignment: a new owner resumes from the stored chain; a leaving one drops its unwritten buffer. */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> c;

        Rebalance(KafkaConsumer<byte[], byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                String shard = config.shardOf(tp.topic());
                if (shard == null || tp.partition() != 0) {
                    LOG.warn("Archiver {}: ignoring {} (a shard log has exactly one partition)", config.archiverId(), tp);
                    c.pause(List.of(tp));
                    continue;
                }
                ShardSegmenter seg = new ShardSegmenter(config, shard, tp.topic(), store,
                        new ArchiverMetrics(registry, shard), clock,
                        tp.topic().equals(config.auditTopic()) ? ArchiveEncryption.NONE : encryption);
                owned.put(tp, seg);
                resume(c, tp, seg);
            }
            LOG.info("Archiver {}: now archiving {}", config.archiverId(), status().keySet());
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                ShardSegmenter seg = owned.remove(tp);
                if (seg != null) {
                    forget(seg);
                }
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("Archiver {} closed", config.archiverId());
    }
}
