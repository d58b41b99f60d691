package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's offset store: its start offset is the shard's last offset committed to the offsets topic, in the same
 * Kafka transaction as the change records it covers (ADR 0010). The engine's own periodic flush ({@link #set}) is kept
 * in memory only, and served back by {@link #get}: Debezium's PostgreSQL task confirms to the slot whatever offset it
 * reads back from this store when the engine commits, so without it the slot's {@code confirmed_flush_lsn} never
 * moves and WAL is retained forever. The engine only flushes offsets of records marked processed, i.e. after their
 * Kafka transaction committed, so the confirmed LSN never runs ahead of the topic.
 */
public final class TransactionalOffsetStore implements OffsetBackingStore {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionalOffsetStore.class);

    private String bootstrapServers;
    private String topic;
    private String shardId;
    private final Map<String, String> security = new java.util.HashMap<>();
    private volatile JsonNode partition;
    private volatile JsonNode offset;
    /** Offsets flushed by the engine since start, by serialized key (the engine's converter is deterministic). */
    private final Map<ByteBuffer, ByteBuffer> flushed = new ConcurrentHashMap<>();

    /** Instantiated by Debezium through reflection. */
    public TransactionalOffsetStore() {
    }

    @Override
    public void configure(WorkerConfig config) {
        Map<String, Object> originals = config.originals();
        bootstrapServers = require(originals, ConnectorSettings.OFFSET_BOOTSTRAP);
        topic = require(originals, ConnectorSettings.OFFSET_TOPIC);
        shardId = require(originals, ConnectorSettings.OFFSET_SHARD);
        originals.forEach((k, v) -> { // the worker's Kafka client security (ADR 0027), passed under a prefix
            if (k.startsWith(ConnectorSettings.OFFSET_CLIENT_PREFIX) && v != null) {
                security.put(k.substring(ConnectorSettings.OFFSET_CLIENT_PREFIX.length()), v.toString());
            }
        });
    }

    private static String require(Map<String, Object> originals, String key) {
        Object v = originals.get(key);
        if (v == null || v.toString().isBlank()) {
            throw new CaptureException("offset store needs engine property '" + key + "'");
        }
        return v.toString();
    }

    @Override
    public void start() {
        Optional<StoredOffset> stored = OffsetsTopic.read(bootstrapServers, security, topic, shardId);
        stored.ifPresent(s -> {
            partition = s.partition();
            offset = s.offset();
        });
        LOG.info("Shard {} starts from {}", shardId, stored.map(s -> "stored offset " + s.offset()).orElse("no stored offset (snapshot first)"));
    }

    @Override
    public void stop() {
    }

    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        Map<ByteBuffer, ByteBuffer> result = new HashMap<>();
        JsonNode p = partition;
        JsonNode o = offset;
        for (ByteBuffer key : keys) {
            ByteBuffer latest = key == null ? null : flushed.get(key);
            if (latest != null) {
                result.put(key, copy(latest)); // the reader uses array(): exact-size, writable
                continue;
            }
            if (p == null || o == null || key == null) {
                continue;
            }
            JsonNode requested = parse(key);
            // The key is [engine name, partition map]; maps are compared as JSON values, never as bytes.
            if (requested != null && requested.isArray() && requested.size() == 2 && p.equals(requested.get(1))) {
                try {
                    result.put(key, ByteBuffer.wrap(StoredOffset.JSON.writeValueAsBytes(o)));
                } catch (java.io.IOException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        }
        return CompletableFuture.completedFuture(result);
    }

    private static JsonNode parse(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        try {
            return StoredOffset.JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        values.forEach((k, v) -> {
            if (k != null && v != null) {
                flushed.put(copy(k), copy(v));
            }
        });
        if (callback != null) {
            callback.onCompletion(null, null);
        }
        return CompletableFuture.completedFuture(null);
    }

    private static ByteBuffer copy(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return ByteBuffer.wrap(bytes);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }
}
