package io.fleetshard.shardmap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the map log. Opening it initialises a transactional producer with the fixed transactional id,
 * which fences any earlier writer (its next commit fails with {@link WriterFencedException}) and aborts whatever
 * transaction that writer left open. Each commit is one Kafka transaction: the entity records, then the
 * {@code version} record. A commit returns once this process's follower has applied it.
 *
 * <p>A commit whose outcome is unknown (timeout) is reconciled, never guessed: the producer is re-initialised (which
 * aborts an open transaction) and the next version is re-read from the log before the next commit.
 */
public final class ShardMapWriter implements ShardMapCommitter, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardMapWriter.class);

    private final ShardMapLogConfig config;
    private final ShardMapFollower follower;
    private KafkaProducer<String, byte[]> producer; // guarded by this
    private long lastVersion = -1; // guarded by this; -1 = unknown, re-read from the follower
    private volatile boolean fenced;
    private boolean open; // guarded by this: a prepared transaction is neither committed nor aborted yet
    private long beganNanos; // guarded by this: when the open transaction began, its records were sent and flushed
    private long sentNanos;
    private long flushedNanos;

    private ShardMapWriter(ShardMapLogConfig config, ShardMapFollower follower) {
        this.config = config;
        this.follower = follower;
    }

    /**
     * Takes over the map log: creates the topic if missing, fences earlier writers and learns the current version.
     *
     * @throws MapUnavailableException when Kafka cannot be reached within the configured timeout
     */
    public static ShardMapWriter open(ShardMapLogConfig config, ShardMapFollower follower) {
        ShardMapTopic.ensureExists(config);
        ShardMapWriter w = new ShardMapWriter(config, follower);
        synchronized (w) {
            w.initProducer();
            w.resync();
        }
        LOG.info("shard-map writer {} active on {} at map version {}", config.transactionalId(), config.topic(),
                w.lastVersion);
        return w;
    }

    private void initProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.clientSecurity()); // TLS/SASL (ADR 0027)
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "shardmap-writer");
        int timeoutMs = (int) config.requestTimeout().toMillis();
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(timeoutMs, 1000));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(timeoutMs, 1000));
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Math.max(timeoutMs * 2, 10_000));
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            producer = null;
            throw new MapUnavailableException("could not initialise the shard-map writer " + config.transactionalId()
                    + " at " + config.bootstrapServers() + ": " + e.getMessage(), e);
        }
    }

    private void resync() {
        if (!follower.awaitCaughtUp(config.requestTimeout())) {
            throw new MapUnavailableException("shard-map follower did not catch up with " + config.topic()
                    + " within " + config.requestTimeout().toMillis() + " ms", null);
        }
        lastVersion = follower.current().version();
    }

    /** True once another writer has taken over; this one will refuse every commit. */
    public boolean isFenced() {
        return fenced;
    }

    @Override
    public synchronized long commit(long baseVersion, Collection<? extends MapEntity> puts,
            Collection<String> deletedKeys) {
        long version = begin(baseVersion, puts, deletedKeys, false);
        return end(version);
    }

    /**
     * Writes the transaction's records and waits for the broker to take them (the produce round trip), without
     * committing: the map log's readers see nothing of it until {@link Prepared#commit()}. Until it is committed or
     * aborted, every other commit or prepare of this writer fails with {@link IllegalStateException}; the caller
     * keeps it short (the broker aborts a transaction left open for its timeout, and that fences this writer).
     */
    @Override
    public synchronized Prepared prepare(long baseVersion, Collection<? extends MapEntity> puts,
            Collection<String> deletedKeys) {
        long version = begin(baseVersion, puts, deletedKeys, true);
        open = true;
        return new Prepared() {
            private boolean done; // guarded by the writer

            @Override
            public long commit() {
                synchronized (ShardMapWriter.this) {
                    finish();
                    return end(version);
                }
            }

            @Override
            public void abort() {
                synchronized (ShardMapWriter.this) {
                    if (done) {
                        return;
                    }
                    finish();
                    if (producer == null) {
                        return; // dropped after an error: its successor aborts the transaction
                    }
                    try {
                        producer.abortTransaction();
                    } catch (KafkaException e) {
                        LOG.warn("could not abort prepared map version {} ({}); the producer is re-initialised before"
                                + " the next commit, which aborts it", version, e.toString());
                        closeProducer();
                        lastVersion = -1;
                    }
                }
            }

            private void finish() {
                if (done) {
                    throw new IllegalStateException("prepared map version " + version + " was already committed or"
                            + " aborted");
                }
                done = true;
                open = false;
            }
        };
    }

    /** Checks the base version, begins the transaction and sends its records (and waits for them when asked to). */
    private long begin(long baseVersion, Collection<? extends MapEntity> puts, Collection<String> deletedKeys,
            boolean flush) {
        if (open) {
            throw new IllegalStateException("a prepared map transaction is open: commit or abort it first");
        }
        if (fenced) {
            throw fencedError(null);
        }
        if (lastVersion >= 0 && follower.current().version() > lastVersion) {
            // The log holds versions this writer never wrote: another writer took over, even if Kafka has not told
            // this producer yet (it only does so on its next transaction).
            fenced = true;
            closeProducer();
            throw fencedError(null);
        }
        if (producer == null) {
            initProducer();
        }
        if (lastVersion < 0) {
            resync();
        }
        if (baseVersion != lastVersion) {
            throw new MapVersionConflictException(baseVersion, lastVersion);
        }
        long version = lastVersion + 1;
        List<String> keys = new ArrayList<>(puts.size() + deletedKeys.size());
        beganNanos = System.nanoTime();
        flushedNanos = -1;
        try {
            producer.beginTransaction();
            for (MapEntity e : puts) {
                producer.send(new ProducerRecord<>(config.topic(), 0, e.entityKey(), MapRecordCodec.encode(version, e)));
                keys.add(e.entityKey());
            }
            for (String key : deletedKeys) {
                producer.send(new ProducerRecord<>(config.topic(), 0, key, null));
                keys.add(key);
            }
            producer.send(new ProducerRecord<>(config.topic(), 0, VersionRecord.KEY,
                    new VersionRecord(version, keys, System.currentTimeMillis()).encode()));
            sentNanos = System.nanoTime();
            if (flush || LOG.isDebugEnabled()) { // commitTransaction flushes anyway: else only to split its time
                producer.flush();
                flushedNanos = System.nanoTime();
            }
        } catch (KafkaException e) {
            throw failed(version, e);
        }
        return version;
    }

    /** Commits the transaction {@link #begin} opened and waits until the follower has applied it. */
    private long end(long version) {
        long ending = System.nanoTime();
        try {
            producer.commitTransaction();
        } catch (KafkaException e) {
            throw failed(version, e);
        }
        lastVersion = version;
        long committed = System.nanoTime();
        if (!follower.awaitVersion(version, config.requestTimeout())) {
            LOG.warn("map version {} committed but not yet applied by the local follower", version);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("map version {}: sends {} µs, flush (produce) {} µs, then {} µs until the commit,"
                    + " commitTransaction (end) {} µs, then applied by the follower {} µs", version,
                    (sentNanos - beganNanos) / 1_000, (flushedNanos - sentNanos) / 1_000,
                    (ending - flushedNanos) / 1_000, (committed - ending) / 1_000,
                    (System.nanoTime() - committed) / 1_000);
        }
        return version;
    }

    /** Classifies a failed transaction: fenced for good, or an unknown outcome that the next commit reconciles. */
    private ShardMapException failed(long version, KafkaException e) {
        open = false;
        if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException
                || e instanceof TransactionalIdAuthorizationException) {
            fenced = true;
            closeProducer();
            return fencedError(e);
        }
        // Outcome unknown: drop the producer (its successor aborts any open transaction) and re-read the version.
        closeProducer();
        lastVersion = -1;
        return new MapUnavailableException("shard-map commit of version " + version + " did not complete ("
                + e.getMessage() + "); the map shows whether it applied, retry after re-reading it", e);
    }

    private WriterFencedException fencedError(Exception cause) {
        return new WriterFencedException("this shard-map writer (" + config.transactionalId()
                + ") was fenced by a newer writer and may no longer change the map; send changes to the active"
                + " control-API instance", cause);
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // already broken
            }
            producer = null;
        }
    }

    @Override
    public synchronized void close() {
        closeProducer();
    }
}
