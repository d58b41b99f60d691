package io.fleetshard.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Explicit operator actions. Nothing here runs on its own: capture never drops a slot or forgets an offset by itself. */
public final class CaptureOperations {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureOperations.class);

    /** How often a reset fenced by a worker restarting the shard is tried. */
    private static final int RESET_ATTEMPTS = 5;

    private CaptureOperations() {
    }

    /**
     * Forgets a shard's stored offset, so its next capture starts with a fresh snapshot. Uses the shard's transactional
     * id, so a worker still capturing it is fenced and restarts from nothing.
     */
    public static void resetShard(CaptureConfig config, String shardId) {
        // a worker restarting the shard's engine meanwhile (initTransactions) fences this producer before its commit;
        // the worker then reads its offset once more after its backoff, so trying again a few times wins the race
        for (int attempt = 1; ; attempt++) {
            try {
                deleteStoredOffset(config, shardId);
                break;
            } catch (ProducerFencedException | InvalidProducerEpochException e) {
                if (attempt >= RESET_ATTEMPTS) {
                    throw new CaptureException("could not reset shard " + shardId + ": a capture worker fenced the"
                            + " reset " + attempt + " times (" + e.getMessage() + "); try again", e);
                }
                LOG.info("Reset of shard {} was fenced by a capture worker restarting it ({}); trying again", shardId,
                        e.getMessage());
            }
        }
        LOG.warn("Operator reset shard {}: its stored offset is deleted; the next capture snapshots it again", shardId);
    }

    private static void deleteStoredOffset(CaptureConfig config, String shardId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, ShardCapture.transactionalId(shardId));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            int partitions = producer.partitionsFor(config.offsetsTopic()).size();
            producer.send(OffsetsTopic.tombstone(config.offsetsTopic(), partitions, shardId));
            producer.commitTransaction();
        } catch (org.apache.kafka.common.KafkaException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ProducerFencedException fenced) {
                    throw fenced;
                }
                if (t instanceof InvalidProducerEpochException epoch) {
                    throw epoch;
                }
            }
            throw e;
        }
    }

    /**
     * Drops a PostgreSQL shard's replication slot and publication (after the shard was removed from the map, or before
     * {@link #resetShard}). Returns false when there was no slot. MySQL/MariaDB shards have no slot: nothing to do.
     *
     * @throws CaptureException if the slot is still in use (a worker still captures the shard) or the server refuses
     */
    public static boolean dropReplicationSlot(String jdbcUrl, DbCredentials credentials, String shardId) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            return false;
        }
        String slot = ConnectorSettings.slotName(shardId);
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        try (Connection c = DriverManager.getConnection(jdbcUrl, props)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            dropPublication(c, slot);
                            return false;
                        }
                        if (!rs.getBoolean(1)) {
                            break;
                        }
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new CaptureException("replication slot '" + slot + "' of shard " + shardId
                            + " is still in use after 10 s: stop capturing the shard (remove it from the map) first");
                }
                Thread.onSpinWait();
            }
            try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                drop.setString(1, slot);
                drop.execute();
            }
            dropPublication(c, slot);
            LOG.warn("Operator dropped replication slot and publication '{}' of shard {}", slot, shardId);
            return true;
        } catch (SQLException e) {
            throw new CaptureException("cannot drop replication slot '" + slot + "' of shard " + shardId + ": "
                    + e.getMessage(), e);
        }
    }

    private static void dropPublication(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP PUBLICATION IF EXISTS " + name);
        }
    }
}
