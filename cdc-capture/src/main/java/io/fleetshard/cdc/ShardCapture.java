package io.fleetshard.cdc;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.ShardMapSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures one shard primary: a Debezium engine whose batches are each committed, together with the batch's source
 * offset, in one Kafka transaction of a producer whose {@code transactional.id} is derived from the shard id (so a new
 * owner fences a zombie). Only after the commit are the records marked processed. A failed engine is restarted with a
 * bounded, doubling backoff from the last committed offset; failures are logged and counted, other shards never wait.
 */
final class ShardCapture {
    private static final Logger LOG = LoggerFactory.getLogger(ShardCapture.class);
    /** Times a batch holding a resharder's fence marker (kind {@code fence}, ReshardOrchestrator), at INFO: that trip is part of a cutover's write freeze. */
    private static final Logger FENCE_LOG = LoggerFactory.getLogger(ShardCapture.class.getName() + ".fence");
    private static final long STOP_TIMEOUT_MS = 30_000;
    private static final byte[] ORIGIN_RESHARD = ChangeEnvelopeMapper.ORIGIN_RESHARD.getBytes(StandardCharsets.UTF_8);
    private static final byte[] ORIGIN_OFFLOAD = ChangeEnvelopeMapper.ORIGIN_OFFLOAD.getBytes(StandardCharsets.UTF_8);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final String BAD_CONFIG_HINT = " (a setting or right of this shard is wrong: fix the shard's user, "
            + "its rights (PostgreSQL: REPLICATION; MySQL/MariaDB: REPLICATION SLAVE, REPLICATION CLIENT) or its "
            + "database name, see the cdc-capture README; capture retries with backoff meanwhile)";

    /** PostgreSQL {@code application_name} of the source-lag probe's kept connection. */
    static final String SOURCE_LAG_APPLICATION_NAME = "fleetshard-capture-source-lag";

    enum State { STARTING, RUNNING, BACKOFF, STOPPED }

    private final CaptureConfig config;
    private final String shardId;
    private final Engine engine;
    private final String jdbcUrl;
    private final ShardMapSource shardMap;
    private final CaptureMetrics metrics;
    private final Clock clock;
    private final Thread supervisor;
    private final Object wakeup = new Object();
    private final AtomicLong published = new AtomicLong();
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    /**
     * Kept for this capture's life, closed by {@link #stop}: a failover to another node stops this capture and starts
     * one for the new node's URL, with a connection of its own.
     */
    private final SourceLagConnection lagConnection = new SourceLagConnection(this::connectForSourceLag);

    private volatile boolean stopping;
    private volatile State state = State.STARTING;
    private volatile String lastError;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> running;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile ChangeEnvelopeMapper mapper;
    private volatile boolean committedSinceStart;
    /** PostgreSQL: whether this engine run asked the server for a running-transactions record (see below). */
    private boolean standbySnapshotAsked;
    private volatile Map<String, ?> lastOffset;
    /** What the last retraction of lost transactions did (ADR 0029); null if there was none since start. */
    private volatile String lastRetraction;
    /** The source transaction a resharder marker started and that is still being read (ADR 0013); null if none. */
    private volatile String taggedTx;
    /** Whether {@link #taggedTx} is an offload transaction (ADR 0023) rather than a resharder's. */
    private volatile boolean taggedOffload;
    /** What this engine run's topics keep (ADR 0061): read at each engine start. */
    private volatile RetentionGuard retention = RetentionGuard.NONE;

    ShardCapture(CaptureConfig config, String shardId, Engine engine, String jdbcUrl, ShardMapSource shardMap,
                 CaptureMetrics metrics, Clock clock) {
        this.config = config;
        this.shardId = shardId;
        this.engine = engine;
        this.jdbcUrl = jdbcUrl;
        this.shardMap = shardMap;
        this.metrics = metrics;
        this.clock = clock;
        this.supervisor = new Thread(this::supervise, "cdc-" + shardId);
        this.supervisor.setDaemon(true);
    }

    String shardId() {
        return shardId;
    }

    String jdbcUrl() {
        return jdbcUrl;
    }

    Engine engine() {
        return engine;
    }

    ShardCaptureStatus status() {
        State s = state;
        boolean streaming = s == State.RUNNING && StreamingMetricsProbe.connected(ConnectorSettings.serverName(shardId));
        return new ShardCaptureStatus(shardId, s.name().toLowerCase(Locale.ROOT), streaming, lastError, published.get(),
                lastRetraction);
    }

    void start() {
        LOG.info("Shard {} ({} at {}): capture starting", shardId, engine.wireName(), redact(jdbcUrl));
        supervisor.start();
    }

    /** Stops the engine and waits for it; records not yet committed are left for the next owner. */
    void stop() {
        stopping = true;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        lagConnection.close();
        closeEngine();
        try {
            supervisor.join(STOP_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (supervisor.isAlive()) {
            LOG.warn("Shard {}: engine did not stop within {} ms; interrupting it", shardId, STOP_TIMEOUT_MS);
            supervisor.interrupt();
        }
        state = State.STOPPED;
        LOG.info("Shard {}: capture stopped ({} events published)", shardId, published.get());
    }

    private void closeEngine() {
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e = running;
        if (e != null) {
            try {
                e.close();
            } catch (Exception ex) {
                LOG.warn("Shard {}: closing engine failed: {}", shardId, ex.toString());
            }
        }
    }

    private void supervise() {
        long backoffMs = config.restartBackoffMs();
        while (!stopping) {
            state = State.STARTING;
            committedSinceStart = false;
            standbySnapshotAsked = false;
            try {
                runEngineOnce();
                if (stopping) {
                    break;
                }
                throw new CaptureException("engine of shard " + shardId + " stopped without being asked to");
            } catch (Throwable e) {
                if (stopping) {
                    break;
                }
                String kind = ErrorKind.of(e);
                lastError = describe(e) + ("bad-config".equals(kind) ? BAD_CONFIG_HINT : "");
                metrics.error(kind);
                LOG.error("Shard {}: capture failed ({}): {}. Retrying in {} ms; other shards are unaffected.", shardId,
                        kind, lastError, backoffMs, e instanceof CaptureException ? null : e);
            }
            if (committedSinceStart) {
                backoffMs = config.restartBackoffMs();
            }
            state = State.BACKOFF;
            synchronized (wakeup) {
                long deadline = System.currentTimeMillis() + backoffMs;
                while (!stopping && System.currentTimeMillis() < deadline) {
                    try {
                        wakeup.wait(Math.max(1, deadline - System.currentTimeMillis()));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            backoffMs = Math.min(backoffMs * 2, config.restartBackoffMaxMs());
        }
        state = State.STOPPED;
    }

    private void runEngineOnce() throws Exception {
        JdbcTarget target = JdbcTarget.parse(jdbcUrl);
        Properties props = ConnectorSettings.forShard(config, shardId, engine, target);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> p = newProducer()) {
            // Fences any earlier owner of this shard and aborts its open transaction before we read the stored offset.
            p.initTransactions();
            ChangeTopics.ensureShardLog(config, shardId);
            List<String> guarded = new java.util.ArrayList<>();
            config.tables().forEach(t -> guarded.add(config.changeTopic(t)));
            guarded.add(config.shardLogTopic(shardId));
            retention = RetentionGuard.read(config, shardId, guarded);
            // Debezium may resume inside a source transaction: if the shard log ends in a tagged one, go on tagging it.
            ShardLogTail.Tagged tail = ShardLogTail.taggedTxAtEnd(config.bootstrapServers(),
                    config.kafkaSecurity().clientProperties(), config.shardLogTopic(shardId));
            taggedTx = tail == null ? null : tail.txId();
            taggedOffload = tail != null && tail.offload();
            producer = p;
            mapper = new ChangeEnvelopeMapper(config, shardId, engine, this::partitionsOf);
            if (engine == Engine.POSTGRES) {
                checkSlotStillThere(target);
                ensureMarkerTablePostgres();
            } else {
                try (Connection c = connect(); Statement ddl = c.createStatement()) {
                    ddl.execute(ConnectorSettings.MYSQL_RESHARD_TX_DDL);
                    ddl.execute(ConnectorSettings.MYSQL_HEARTBEAT_DDL);
                }
                if (engine == Engine.MARIADB) {
                    retractLostTransactions(p);
                }
            }
            DebeziumEngine<RecordChangeEvent<SourceRecord>> e = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(props)
                    .using((success, message, error) -> {
                        if (!success) {
                            failure.set(error != null ? error : new CaptureException(message));
                        }
                    })
                    .notifying(this::handleBatch)
                    .build();
            running = e;
            if (stopping) {
                e.close();
                return;
            }
            state = State.RUNNING;
            e.run();
            running = null;
            try {
                e.close();
            } catch (Exception | Error closeFailure) {
                // A failed engine has already shut itself down ("Engine has been already shut down"): the failure
                // reported to the completion callback is the one that counts.
                if (failure.get() == null && !stopping) {
                    failure.set(closeFailure);
                }
            }
        } finally {
            producer = null;
        }
        Throwable t = failure.get();
        if (t != null && !stopping) {
            throw t instanceof Exception ex ? ex : new CaptureException(t.toString(), t);
        }
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(shardId));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetshard-cdc-" + config.workerId() + "-" + shardId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // A batch's records are invisible until commitTransaction(), which sends whatever still lingers at once: lingering
        // costs a read_committed consumer nothing and fills fewer, larger produce requests (each change is sent twice,
        // to its table topic and the shard log). Measured: about a quarter less CPU per event than linger 0 with 16 KiB
        // batches (CaptureLatencyBench); lz4 cost more CPU than it saved on the 2-core bench machine.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
        // With transactions v2 (Kafka 4) a partition's first batch of a transaction is verified before it is written,
        // and a second batch to it arriving meanwhile is refused as out of order (retriable, KAFKA-18202). The default
        // backoff (100 ms, doubling to 1 s) then lands in the change latency; a short one costs a few more requests.
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "5");
        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "50");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(1_048_576, config.maxRecordBytes() + 65_536)));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    static String transactionalId(String shardId) {
        return "fleetshard-cdc-" + shardId;
    }

    private int partitionsOf(String topic) {
        return partitionCounts.computeIfAbsent(topic, t -> {
            KafkaProducer<byte[], byte[]> p = producer;
            int n = p.partitionsFor(t).size();
            if (n < 1) {
                throw new CaptureException("topic " + t + " has no partitions");
            }
            return n;
        });
    }

    /** One batch = one Kafka transaction: its change events, dead letters and the offset of its last record. */
    private void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        KafkaProducer<byte[], byte[]> p = producer;
        ChangeEnvelopeMapper m = mapper;
        long mapVersion = shardMap.current().version();
        long nowMs = clock.millis();
        String shardLog = config.shardLogTopic(shardId);
        Map<String, Integer> perTable = new HashMap<>();
        long[] commitTimes = new long[events.size()];
        int changes = 0;
        int tagged = 0;
        boolean fenceMarker = false;
        long sendsDoneMs = 0;
        long flushedMs = 0;
        SourceRecord last = null;
        ChangeEnvelopeMapper.Heartbeat heartbeat = null;
        long oldestAcceptedMs = retention.oldestAcceptedMs(nowMs);
        try {
            p.beginTransaction();
            for (RecordChangeEvent<SourceRecord> event : events) {
                SourceRecord r = event.record();
                if (r.sourcePartition() != null && r.sourceOffset() != null) {
                    last = r;
                }
                ChangeEnvelopeMapper.Outcome outcome;
                try {
                    outcome = m.map(r, mapVersion, nowMs);
                } catch (RuntimeException e) {
                    outcome = m.unmappable(r, e, mapVersion, nowMs);
                }
                if (outcome instanceof ChangeEnvelopeMapper.Heartbeat hb) {
                    // Its own source transaction, committed after every change before it: a tagged one has ended.
                    heartbeat = hb;
                    taggedTx = null;
                    taggedOffload = false;
                    continue;
                }
                if (outcome instanceof ChangeEnvelopeMapper.Change rc && rc.commitTsMs() < oldestAcceptedMs) {
                    // the change's record is dated with its commit time; refused before it is sent, the batch's
                    // transaction is aborted below (ADR 0061)
                    throw retention.refusal(shardId, rc.table(), rc.commitTsMs(), nowMs);
                }
                boolean inTaggedTx = outcome instanceof ChangeEnvelopeMapper.Change tc && isTagged(tc);
                if (outcome instanceof ChangeEnvelopeMapper.Change c && inTaggedTx && taggedOffload) {
                    // An offload transaction (ADR 0023): a real change of the shard, so every consumer of the change
                    // topics and the shard log sees it, marked so that it is not taken for a user's delete.
                    ProducerRecord<byte[], byte[]> change = c.record();
                    change.headers().add(ChangeEnvelopeMapper.H_ORIGIN, ORIGIN_OFFLOAD);
                    if (c.isMarker()) {
                        change.headers().add(ChangeEnvelopeMapper.H_MARKER,
                                c.markerKind().getBytes(StandardCharsets.UTF_8));
                        p.send(new ProducerRecord<>(shardLog, 0, change.timestamp(), change.key(), change.value(),
                                change.headers()));
                    } else {
                        byte[] value = withOffloadOrigin(change.value());
                        p.send(new ProducerRecord<>(change.topic(), change.partition(), change.timestamp(), change.key(),
                                value, change.headers()));
                        p.send(new ProducerRecord<>(shardLog, 0, change.timestamp(), change.key(), value,
                                change.headers()));
                        perTable.merge(c.table(), 1, Integer::sum);
                        commitTimes[changes++] = c.commitTsMs();
                    }
                    tagged++;
                } else if (outcome instanceof ChangeEnvelopeMapper.Change c && inTaggedTx) {
                    // A resharder's transaction (ADR 0013): the shard log (archive, standbys, delta sync) keeps it,
                    // the change topics never see it.
                    ProducerRecord<byte[], byte[]> change = c.record();
                    change.headers().add(ChangeEnvelopeMapper.H_ORIGIN, ORIGIN_RESHARD);
                    if (c.isMarker()) {
                        change.headers().add(ChangeEnvelopeMapper.H_MARKER,
                                c.markerKind().getBytes(StandardCharsets.UTF_8));
                    }
                    p.send(new ProducerRecord<>(shardLog, 0, change.timestamp(), change.key(), change.value(),
                            change.headers()));
                    fenceMarker |= "fence".equals(c.markerKind());
                    tagged++;
                } else if (outcome instanceof ChangeEnvelopeMapper.Change c) {
                    ProducerRecord<byte[], byte[]> change = c.record();
                    p.send(change);
                    // The shard's own log: the same record in the shard's commit order, for the archive (ADR 0011).
                    p.send(new ProducerRecord<>(shardLog, 0, change.timestamp(), change.key(), change.value(),
                            change.headers()));
                    perTable.merge(c.table(), 1, Integer::sum);
                    commitTimes[changes++] = c.commitTsMs();
                } else if (outcome instanceof ChangeEnvelopeMapper.Rejected rej) {
                    p.send(rej.deadLetter());
                    metrics.deadLetter();
                    metrics.error("rejected-row");
                    LOG.error("Shard {}: a {} change was sent to dead-letter topic {} instead of its change topic: {}",
                            shardId, rej.table(), config.deadLetterTopic(), rej.reason());
                }
            }
            if (heartbeat != null) {
                // After this batch's changes: the watermark of the newest heartbeat only (ADR 0048).
                p.send(ShardLogWatermark.record(shardLog, shardId, heartbeat.position(), heartbeat.commitTsMs(), nowMs));
            }
            if (last != null) {
                p.send(OffsetsTopic.record(config.offsetsTopic(), partitionsOf(config.offsetsTopic()),
                        StoredOffset.of(shardId, last.sourcePartition(), last.sourceOffset(), mapVersion, nowMs)));
            }
            sendsDoneMs = clock.millis();
            // commitTransaction() would flush too; flushing first splits the fence log's commit time into the produce
            // (with transactions v2, the broker verifies each partition's first batch of a transaction) and EndTxn
            p.flush();
            flushedMs = clock.millis();
            p.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            throw new CaptureException("shard " + shardId + ": another worker now owns this shard (producer "
                    + transactionalId(shardId) + " was fenced); this engine stops without committing", e);
        } catch (RetentionGuard.Refused e) {
            abortQuietly(p, e);
            throw e;
        } catch (KafkaException e) {
            abortQuietly(p, e);
            throw new CaptureException("shard " + shardId + ": could not commit a batch of " + events.size()
                    + " events to Kafka (" + e.getMessage() + "); the engine restarts from the last committed offset", e);
        }
        long committedAt = clock.millis();
        if (fenceMarker && FENCE_LOG.isInfoEnabled()) {
            FENCE_LOG.info("Shard {}: a batch of {} events with a resharder's marker committed to Kafka +{} ms after it was"
                    + " mapped (sends +{} ms, acknowledged +{} ms, commitTransaction {} ms)", shardId,
                    events.size(), committedAt - nowMs, sendsDoneMs - nowMs, flushedMs - nowMs,
                    committedAt - flushedMs);
        }
        for (int i = 0; i < changes; i++) {
            metrics.commitLag(committedAt - commitTimes[i]);
        }
        perTable.forEach(metrics::published);
        if (tagged > 0) {
            metrics.resharderEvents(tagged);
        }
        published.addAndGet(changes);
        committedSinceStart = true;
        if (engine == Engine.POSTGRES && !standbySnapshotAsked) {
            standbySnapshotAsked = true;
            logStandbySnapshot();
        }
        if (last != null) {
            lastOffset = last.sourceOffset();
        }
        lastError = null;
        for (RecordChangeEvent<SourceRecord> event : events) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    /** Aborts the batch's open transaction; a failure to abort is added to {@code cause}, which the caller throws. */
    private static void abortQuietly(KafkaProducer<byte[], byte[]> p, Exception cause) {
        try {
            p.abortTransaction();
        } catch (RuntimeException abortFailure) {
            cause.addSuppressed(abortFailure);
        }
    }

    /**
     * Whether a change belongs to a resharder's transaction: a marker starts one (its source transaction is tagged),
     * every change of the same transaction follows it, and a change of any other transaction ends it (a shard's log
     * holds whole transactions in commit order). Snapshot reads have no transaction and are never tagged.
     */
    private boolean isTagged(ChangeEnvelopeMapper.Change c) {
        if (c.isMarker()) {
            taggedTx = c.txId();
            taggedOffload = ChangeEnvelopeMapper.MARKER_OFFLOAD.equals(c.markerKind());
            return true;
        }
        String tx = taggedTx;
        if (tx != null && tx.equals(c.txId())) {
            return true;
        }
        taggedTx = null;
        taggedOffload = false;
        return false;
    }

    /** The envelope with {@code "origin":"offload"} added (docs/spec/change-events.md; version stays 1). */
    private static byte[] withOffloadOrigin(byte[] envelope) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode node =
                    (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(envelope);
            node.put("origin", ChangeEnvelopeMapper.ORIGIN_OFFLOAD);
            return JSON.writeValueAsBytes(node);
        } catch (java.io.IOException e) {
            throw new CaptureException("cannot mark an offload change: " + e.getMessage(), e);
        }
    }

    /**
     * After a MariaDB failover (ADR 0029): if capture published transactions the current primary does not hold (the
     * killed primary's, never received by the promoted replica), publishes a retraction of each of their changes and
     * stores a resume offset cut back to the server's GTID position, in one Kafka transaction, before the engine
     * reads the offset. Does nothing when the server holds everything capture published.
     */
    private void retractLostTransactions(KafkaProducer<byte[], byte[]> p) throws SQLException {
        Optional<StoredOffset> stored = OffsetsTopic.read(config.bootstrapServers(),
                config.kafkaSecurity().clientProperties(), config.offsetsTopic(), shardId);
        if (stored.isEmpty() || stored.get().offset() == null || stored.get().inSnapshot()) {
            return;
        }
        MariaDbGtidPosition server;
        try (Connection c = connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT @@gtid_binlog_pos")) {
            rs.next();
            server = MariaDbGtidPosition.parse(rs.getString(1));
        }
        long mapVersion = shardMap.current().version();
        long nowMs = clock.millis();
        LostTransactions.Plan plan = LostTransactions.plan(stored.get().offset(), server,
                LostTransactions.tail(config.bootstrapServers(), config.kafkaSecurity().clientProperties(),
                        config.shardLogTopic(shardId)), nowMs, mapVersion);
        if (plan.isEmpty()) {
            return;
        }
        String shardLog = config.shardLogTopic(shardId);
        try {
            p.beginTransaction();
            for (LostTransactions.Retraction r : plan.retractions()) {
                if (!r.shardLogOnly()) {
                    String topic = config.changeTopic(r.table());
                    int partition = Math.floorMod(io.fleetshard.shardmap.FleetToken.of(r.tenant(), r.fleet()),
                            partitionsOf(topic));
                    p.send(new ProducerRecord<>(topic, partition, r.timestampMs(), r.key(), r.value(), r.headers()));
                }
                p.send(new ProducerRecord<>(shardLog, 0, r.timestampMs(), r.key(), r.value(), r.headers()));
            }
            p.send(OffsetsTopic.record(config.offsetsTopic(), partitionsOf(config.offsetsTopic()),
                    new StoredOffset(shardId, stored.get().partition(), plan.resumeOffset(), mapVersion, nowMs)));
            p.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            throw new CaptureException("shard " + shardId + ": another worker now owns this shard (producer "
                    + transactionalId(shardId) + " was fenced) while retracting lost transactions", e);
        } catch (KafkaException e) {
            abortQuietly(p, e);
            throw new CaptureException("shard " + shardId + ": could not publish the retractions of lost transactions ("
                    + e.getMessage() + "); capture retries", e);
        }
        metrics.lostTransactions(plan.lostGtids().size(), plan.retractions().size());
        lastRetraction = "at " + java.time.Instant.ofEpochMilli(nowMs) + " on a server at " + server + ": "
                + plan.describe();
        LOG.warn("Shard {}: capture had published transactions the current primary ({}) does not hold, the killed"
                + " primary's that its replica never received (ADR 0029): {}. Resuming from GTID position {} (stored"
                + " was {}).", shardId, redact(jdbcUrl), plan.describe(), plan.resumeOffset().path("gtids").asText(),
                stored.get().offset().path("gtids").asText());
    }

    /**
     * The marker table must exist and be in the shard's publication: Debezium's filtered publication is created with
     * the include list, but one created before the marker table existed lacks it.
     */
    private void ensureMarkerTablePostgres() throws SQLException {
        String publication = ConnectorSettings.slotName(shardId);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(ConnectorSettings.PG_RESHARD_TX_DDL);
            try (ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_publication WHERE pubname = '"
                    + publication + "'), (SELECT count(*) FROM pg_publication_tables WHERE pubname = '" + publication
                    + "' AND schemaname = 'public' AND tablename = '" + ConnectorSettings.RESHARD_TX_TABLE + "')")) {
                rs.next();
                if (rs.getInt(1) == 1 && rs.getInt(2) == 0) {
                    st.execute("ALTER PUBLICATION " + publication + " ADD TABLE public."
                            + ConnectorSettings.RESHARD_TX_TABLE);
                    LOG.info("Shard {}: added {} to publication {}", shardId, ConnectorSettings.RESHARD_TX_TABLE,
                            publication);
                }
            }
        }
    }

    /**
     * A stored offset without its slot means the WAL since that offset is gone: starting anyway would silently skip
     * changes. Refuse until an operator resets the shard ({@link CaptureOperations#resetShard}).
     */
    private void checkSlotStillThere(JdbcTarget target) throws SQLException {
        String slot = ConnectorSettings.slotName(shardId);
        try (Connection c = connect(); Statement ddl = c.createStatement()) {
            ddl.execute(ConnectorSettings.PG_HEARTBEAT_DDL);
        }
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        Optional<StoredOffset> stored = OffsetsTopic.read(config.bootstrapServers(), config.kafkaSecurity().clientProperties(),
                config.offsetsTopic(), shardId);
        if (stored.isPresent() && !stored.get().inSnapshot()) {
            throw new SlotMissingException("replication slot '" + slot + "' of shard " + shardId + " on "
                    + target.host() + ":" + target.port() + "/" + target.database()
                    + " is gone but capture stopped at " + stored.get().offset()
                    + ": the changes since then are lost. Capture of this shard stays stopped; to re-snapshot it, call "
                    + "CaptureOperations.resetShard(config, \"" + shardId + "\")");
        }
    }

    /**
     * Retained WAL (PostgreSQL: bytes behind the slot's restart LSN) or unread binlog bytes (MySQL/MariaDB), on the
     * connection kept for it ({@link SourceLagConnection}).
     */
    void measureSourceLag() {
        if (state != State.RUNNING) {
            return;
        }
        try {
            lagConnection.run(this::measureSourceLag);
        } catch (SQLException e) {
            metrics.error("source-lag");
            LOG.warn("Shard {}: cannot measure source lag: {}", shardId, e.getMessage());
        }
    }

    private void measureSourceLag(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (engine == Engine.POSTGRES) {
                try (ResultSet rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint "
                        + "FROM pg_replication_slots WHERE slot_name = '" + ConnectorSettings.slotName(shardId) + "'")) {
                    if (rs.next()) {
                        metrics.sourceLagBytes(rs.getLong(1));
                    }
                }
            } else {
                Map<String, ?> offset = lastOffset;
                if (offset == null || !(offset.get("file") instanceof String file) || !(offset.get("pos") instanceof Number pos)) {
                    return;
                }
                long lag = 0;
                try (ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        long size = rs.getLong(2);
                        int cmp = name.compareTo(file);
                        if (cmp == 0) {
                            lag += Math.max(0, size - pos.longValue());
                        } else if (cmp > 0) {
                            lag += size;
                        }
                    }
                }
                metrics.sourceLagBytes(lag);
            }
        }
    }

    /**
     * A replica's copy of this shard's slot (PostgreSQL 17 slot sync) stays temporary, and is dropped if the replica
     * is promoted, until the primary logs a running-transactions record past the slot's start; PostgreSQL logs one
     * every 15 s at most. Asking for one as soon as capture streams shortens the window in which a failover loses
     * capture's position from tens of seconds to the replica's next slot sync. Best effort: without the right (a
     * superuser's, or a grant of {@code pg_log_standby_snapshot}) the periodic record does it later.
     */
    private void logStandbySnapshot() {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_log_standby_snapshot()");
        } catch (SQLException e) {
            LOG.debug("Shard {}: cannot log a standby snapshot ({}); the replica's slot copy lasts after the server's"
                    + " next one", shardId, e.getMessage());
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, connectionProperties());
    }

    /**
     * The source-lag probe's connection, kept between rounds: a read that gets no answer in 10 s fails (a kept
     * connection to a node that vanished would otherwise wait for TCP to give up, holding every shard's probe), and
     * on PostgreSQL it names itself in {@code pg_stat_activity}.
     */
    private Connection connectForSourceLag() throws SQLException {
        Properties props = connectionProperties();
        props.setProperty("socketTimeout", engine == Engine.POSTGRES ? "10" : "10000");
        if (engine == Engine.POSTGRES) {
            props.setProperty("ApplicationName", SOURCE_LAG_APPLICATION_NAME);
        }
        return DriverManager.getConnection(jdbcUrl, props);
    }

    private Properties connectionProperties() {
        DbCredentials cred = config.credentialsFor(shardId);
        Properties props = new Properties();
        props.setProperty("user", cred.user());
        props.setProperty("password", cred.password());
        // 10 s either way: pgjdbc reads connectTimeout in seconds, the MariaDB and MySQL drivers in milliseconds
        props.setProperty("connectTimeout", engine == Engine.POSTGRES ? "10" : "10000");
        DriverManager.setLoginTimeout(10);
        return props;
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable c = e.getCause();
        int depth = 0;
        while (c != null && depth++ < 4) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            }
            c = c.getCause();
        }
        return sb.toString();
    }

    static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1******");
    }

    /** Classifies a failure for the errors metric. */
    static final class ErrorKind {
        private ErrorKind() {
        }

        static String of(Throwable e) {
            // the database's own error first, wherever it is in the chain: Debezium wraps it in Kafka Connect's
            // ConnectException, which is a KafkaException, and a lost source is not a Kafka failure
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof RetentionGuard.Refused) {
                    return "topic-retention";
                }
                if (t instanceof SlotMissingException) {
                    return "slot-missing";
                }
                if (t instanceof ProducerFencedException) {
                    return "fenced";
                }
                if (t instanceof SQLException sql) {
                    String state = sql.getSQLState() == null ? "" : sql.getSQLState();
                    // 28: invalid authorization; 42501: insufficient privilege (no REPLICATION); 3D000: no such database
                    if (state.startsWith("28") || state.equals("42501") || state.equals("3D000")) {
                        return "bad-config";
                    }
                    return "source-unreachable";
                }
                if (t.getMessage() != null && t.getMessage().contains("onnection refused")) {
                    return "source-unreachable";
                }
            }
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getClass().getName().contains("ConfigException") || t.getClass().getName().contains("ConnectException")
                        && t.getMessage() != null && t.getMessage().contains("onfig")) {
                    return "bad-config";
                }
                if (t instanceof KafkaException
                        && !t.getClass().getName().equals("org.apache.kafka.connect.errors.ConnectException")) {
                    return "kafka";
                }
            }
            return "engine";
        }
    }

    static final class SlotMissingException extends CaptureException {
        private static final long serialVersionUID = 1L;

        SlotMissingException(String message) {
            super(message);
        }
    }
}
