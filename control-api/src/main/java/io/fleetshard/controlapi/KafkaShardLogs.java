package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * {@link ShardLogs} from Kafka: the last stable offset of the shard log's one partition, and its records, read
 * committed.
 */
final class KafkaShardLogs implements ShardLogs {
    /** Capture's offsets topic when nothing else is said (cdc-capture's {@code offsets.topic} default). */
    static final String CAPTURE_OFFSETS_TOPIC = "fleetshard.cdc.offsets";
    /** How far back from its end {@link #capture} reads the offsets topic's partition for a shard's position. */
    private static final long CAPTURE_SCAN_MAX = 200_000;
    private static final long CAPTURE_SCAN_FIRST = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Admin admin;
    private final String topicPrefix;
    private final String offsetsTopic;
    private final String bootstrapServers;
    private final Map<String, String> security;

    KafkaShardLogs(String bootstrapServers, Map<String, String> security, String topicPrefix) {
        this(bootstrapServers, security, topicPrefix, CAPTURE_OFFSETS_TOPIC);
    }

    KafkaShardLogs(String bootstrapServers, Map<String, String> security, String topicPrefix, String offsetsTopic) {
        this.offsetsTopic = offsetsTopic;
        this.bootstrapServers = bootstrapServers;
        this.security = Map.copyOf(security);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-reshard");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        this.admin = Admin.create(p);
        this.topicPrefix = topicPrefix;
    }

    @Override
    public long endOffset(String shardId) {
        TopicPartition tp = new TopicPartition(topicPrefix + shardId, 0);
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlApiException("interrupted while reading the end of " + tp.topic(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new ControlApiException("cannot read the end offset of shard log " + tp.topic() + ": "
                    + (e.getCause() == null ? e : e.getCause()).getMessage()
                    + " (is change capture running for shard " + shardId + "?)", e);
        }
    }

    @Override
    public Markers markers(String shardId, long fromOffset) {
        TopicPartition tp = new TopicPartition(topicPrefix + shardId, 0);
        KafkaConsumer<byte[], byte[]> consumer = consumer("fleetshard-control-api-reshard-probe");
        try {
            consumer.assign(List.of(tp));
            consumer.seek(tp, Math.max(0, fromOffset));
        } catch (KafkaException e) {
            consumer.close(Duration.ZERO);
            throw new ControlApiException("cannot read shard log " + tp.topic() + ": " + e.getMessage(), e);
        }
        return new KafkaMarkers(consumer, tp);
    }

    private KafkaConsumer<byte[], byte[]> consumer(String clientId) {
        return new KafkaConsumer<>(consumerProperties(clientId), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private Properties consumerProperties(String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        return p;
    }

    @Override
    public ApplicationWrites applicationWrites(String shardId, Set<String> fleets, long sinceMs) {
        TopicPartition tp = new TopicPartition(topicPrefix + shardId, 0);
        KafkaConsumer<byte[], byte[]> consumer = consumer("fleetshard-control-api-reshard-validate");
        try {
            consumer.assign(List.of(tp));
            OffsetAndTimestamp from = consumer.offsetsForTimes(Map.of(tp, Math.max(0, sinceMs))).get(tp);
            if (from == null) {
                consumer.seekToEnd(List.of(tp)); // nothing stamped since: only records yet to come count
            } else {
                consumer.seek(tp, from.offset());
            }
            consumer.position(tp);
        } catch (KafkaException e) {
            consumer.close(Duration.ZERO);
            throw new ControlApiException("cannot read shard log " + tp.topic() + ": " + e.getMessage(), e);
        }
        return new KafkaApplicationWrites(consumer, tp, Set.copyOf(fleets));
    }

    @Override
    public List<String> lastTransactionIds(String shardId, int records) {
        TopicPartition tp = new TopicPartition(topicPrefix + shardId, 0);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-failover-verify");
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        java.util.LinkedHashSet<String> ids = new java.util.LinkedHashSet<>();
        java.util.Set<String> retracted = new java.util.HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            consumer.seek(tp, Math.max(0, end - records));
            readUpTo(consumer, tp, end, r -> {
                Header undoes = r.headers().lastHeader("fleetshard.retracts");
                if (undoes != null && undoes.value() != null) {
                    retracted.add(new String(undoes.value(), StandardCharsets.UTF_8));
                }
                Header h = r.headers().lastHeader("fleetshard.tx");
                Header origin = r.headers().lastHeader("fleetshard.origin");
                // a retraction (ADR 0029) carries the GTID it undoes; it is not a transaction of the shard
                if (h != null && h.value() != null && (origin == null
                        || !"retraction".equals(new String(origin.value(), StandardCharsets.UTF_8)))) {
                    ids.add(new String(h.value(), StandardCharsets.UTF_8));
                }
            });
        } catch (KafkaException e) {
            throw new ControlApiException("cannot read shard log " + tp.topic() + ": " + e.getMessage(), e);
        }
        ids.removeAll(retracted); // lost at an earlier failover and already retracted by capture
        return List.copyOf(ids);
    }

    /**
     * The newest record of the shard in capture's compacted offsets topic (key = shard id, on the partition capture's
     * partitioner picks), read committed: windows read backwards from the partition's end, 64 offsets first, each
     * four times the last, at most {@value #CAPTURE_SCAN_MAX} offsets back. A busy shard's position is in the first
     * window (capture commits one per batch, and at least one per heartbeat while streaming).
     */
    @Override
    public CaptureState capture(String shardId) {
        byte[] key = shardId.getBytes(StandardCharsets.UTF_8);
        Properties props = consumerProperties("fleetshard-control-api-reshard-capture");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // capture creates it, with its settings
        // each window ends at a commit marker or the log's end, where a fetch would otherwise wait its 500 ms default
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(offsetsTopic);
            if (partitions == null || partitions.isEmpty()) {
                return CaptureState.none(shardId); // no capture worker has ever started on this cluster
            }
            TopicPartition tp = new TopicPartition(offsetsTopic,
                    Utils.toPositive(Utils.murmur2(key)) % partitions.size());
            consumer.assign(List.of(tp));
            long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
            long end = consumer.endOffsets(List.of(tp)).get(tp); // read_committed: the last stable offset
            long to = end;
            long window = CAPTURE_SCAN_FIRST;
            while (to > begin && end - to < CAPTURE_SCAN_MAX) {
                long from = Math.max(begin, to - window);
                consumer.seek(tp, from);
                ConsumerRecord<byte[], byte[]> newest = newestOf(consumer, tp, key, to);
                if (newest != null) {
                    return CaptureState.fromStoredOffset(shardId,
                            newest.value() == null ? null : JSON.readTree(newest.value()));
                }
                to = from;
                window *= 4;
            }
            return CaptureState.none(shardId);
        } catch (KafkaException | java.io.IOException e) {
            throw new ControlApiException("cannot read change capture's position of shard " + shardId + " from "
                    + offsetsTopic + ": " + e.getMessage(), e);
        }
    }

    /** The last record with {@code key} below offset {@code to}, reading from the consumer's position; or null. */
    private static ConsumerRecord<byte[], byte[]> newestOf(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp,
            byte[] key, long to) {
        java.util.concurrent.atomic.AtomicReference<ConsumerRecord<byte[], byte[]>> newest =
                new java.util.concurrent.atomic.AtomicReference<>();
        readUpTo(consumer, tp, to, r -> {
            if (r.offset() < to && java.util.Arrays.equals(r.key(), key)) {
                newest.set(r);
            }
        });
        return newest.get();
    }

    /** Polls {@code consumer} (assigned {@code tp}) until its position reaches {@code end}, handing on each record. */
    private static void readUpTo(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long end,
                                 Consumer<ConsumerRecord<byte[], byte[]>> each) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.position(tp) < end) {
            if (System.nanoTime() > deadline) {
                throw new ControlApiException("topic " + tp.topic() + " not read up to offset " + end
                        + " within 30 s (at " + consumer.position(tp) + ")");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(each);
        }
    }

    /** Finds one job's marker by its header {@code fleetshard.marker} and the marker row's {@code job_id} and {@code seq}. */
    private static final class KafkaMarkers implements Markers {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final TopicPartition tp;

        KafkaMarkers(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp) {
            this.consumer = consumer;
            this.tp = tp;
        }

        @Override
        public long find(String jobId, String kind, long seq) {
            long[] found = {-1};
            try {
                long end = consumer.endOffsets(List.of(tp)).get(tp); // read_committed: the last stable offset
                readUpTo(consumer, tp, end, r -> {
                    if (found[0] < 0 && isMarker(r, jobId, kind, seq)) {
                        found[0] = r.offset();
                    }
                });
            } catch (KafkaException e) {
                throw new ControlApiException("cannot read shard log " + tp.topic() + ": " + e.getMessage(), e);
            }
            return found[0];
        }

        private boolean isMarker(ConsumerRecord<byte[], byte[]> r, String jobId, String kind, long seq) {
            Header h = r.headers().lastHeader("fleetshard.marker");
            if (h == null || h.value() == null || !kind.equals(new String(h.value(), StandardCharsets.UTF_8))
                    || r.value() == null) {
                return false;
            }
            try {
                var after = JSON.readTree(r.value()).path("after");
                return jobId.equals(after.path("job_id").asText(null)) && after.path("seq").asLong(0) >= seq;
            } catch (java.io.IOException e) {
                throw new ControlApiException("shard log " + tp.topic() + " offset " + r.offset()
                        + ": a marker record that is not JSON: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    /** Keeps the untagged records of the fleets; a record's key is its primary key (docs/spec/change-events.md). */
    private static final class KafkaApplicationWrites implements ApplicationWrites {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final TopicPartition tp;
        private final Set<String> fleets;

        KafkaApplicationWrites(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, Set<String> fleets) {
            this.consumer = consumer;
            this.tp = tp;
            this.fleets = fleets;
        }

        @Override
        public long readToEnd(Consumer<RowKey> sink) {
            long[] found = {0};
            try {
                long end = consumer.endOffsets(List.of(tp)).get(tp); // read_committed: the last stable offset
                readUpTo(consumer, tp, end, r -> {
                    RowKey key = applicationWrite(r);
                    if (key != null) {
                        sink.accept(key);
                        found[0]++;
                    }
                });
            } catch (KafkaException e) {
                throw new ControlApiException("cannot read shard log " + tp.topic() + ": " + e.getMessage(), e);
            }
            return found[0];
        }

        private RowKey applicationWrite(ConsumerRecord<byte[], byte[]> r) {
            if ("reshard".equals(header(r, "fleetshard.origin")) || r.key() == null) {
                return null;
            }
            String table = header(r, "fleetshard.table");
            String tenant = header(r, "fleetshard.tenant");
            String fleet = header(r, "fleetshard.fleet");
            if (table == null || tenant == null || fleet == null || !fleets.contains(tenant + "/" + fleet)) {
                return null;
            }
            try {
                return RowKey.ofEvent(table, JSON.readTree(r.key()));
            } catch (java.io.IOException e) {
                throw new ControlApiException("shard log " + tp.topic() + " offset " + r.offset()
                        + ": the record's key is not JSON: " + e.getMessage(), e);
            }
        }

        private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
            Header h = r.headers().lastHeader(name);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
