package io.fleetshard.cdc;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code fleetshard tail --table vehicles [--tenant T] [--fleet F] [--from-beginning] [--max N]}: prints committed change
 * events of one logical table as JSON lines (the envelope of {@code docs/spec/change-events.md}), one per event. Reads
 * {@code read_committed} without a consumer group; filters by the tenant/fleet headers without decoding other rows.
 */
public final class ChangeTail implements AutoCloseable {

    /**
     * @param idleTimeout stop after this long without a matching event (null: run until {@link #close()} or max)
     * @param max         stop after this many events (0: no limit)
     */
    public record Options(String table, Optional<String> tenant, Optional<String> fleet, boolean fromBeginning, long max,
                          Duration idleTimeout) {
        public Options {
            if (table == null || !table.matches("[a-z_][a-z0-9_]*")) {
                throw new IllegalArgumentException("--table must be a lower-case table name such as vehicles, got '" + table + "'");
            }
            if (max < 0) {
                throw new IllegalArgumentException("--max must be 0 (no limit) or positive, got " + max);
            }
            tenant = Objects.requireNonNullElse(tenant, Optional.empty());
            fleet = Objects.requireNonNullElse(fleet, Optional.empty());
            if (fleet.isPresent() && tenant.isEmpty()) {
                throw new IllegalArgumentException("--fleet needs --tenant (fleet ids are unique per tenant)");
            }
        }

        public static Options of(String table) {
            return new Options(table, Optional.empty(), Optional.empty(), false, 0, null);
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Options options;
    private final String topic;
    private volatile boolean closed;

    public ChangeTail(String bootstrapServers, String changeTopicPrefix, Options options) {
        this(bootstrapServers, java.util.Map.of(), changeTopicPrefix, options);
    }

    /** @param security Kafka client properties for TLS/SASL ({@code KafkaClientSecurity.clientProperties()}, ADR 0027) */
    public ChangeTail(String bootstrapServers, java.util.Map<String, String> security, String changeTopicPrefix,
            Options options) {
        this.options = options;
        this.topic = changeTopicPrefix + options.table();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-tail");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(p);
    }

    /** Tails until {@code max} events, the idle timeout, or {@link #close()}; returns how many events were printed. */
    public long run(PrintStream out) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new CaptureException("change topic '" + topic + "' does not exist: is table '" + options.table()
                    + "' captured (capture config 'tables')?");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        consumer.assign(partitions);
        if (options.fromBeginning()) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // pin "now" before returning control
        }
        long printed = 0;
        long lastMatch = System.nanoTime();
        try {
            while (!closed) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!matches(r)) {
                        continue;
                    }
                    out.println(new String(r.value(), StandardCharsets.UTF_8));
                    printed++;
                    lastMatch = System.nanoTime();
                    if (options.max() > 0 && printed >= options.max()) {
                        out.flush();
                        return printed;
                    }
                }
                out.flush();
                if (options.idleTimeout() != null && System.nanoTime() - lastMatch > options.idleTimeout().toNanos()) {
                    return printed;
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                throw e;
            }
        }
        return printed;
    }

    private boolean matches(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null || ShardLogWatermark.is(r.headers())) { // a watermark belongs to the shard log only
            return false;
        }
        if (options.tenant().isPresent() && !options.tenant().get().equals(header(r, ChangeEnvelopeMapper.H_TENANT))) {
            return false;
        }
        return options.fleet().isEmpty() || options.fleet().get().equals(header(r, ChangeEnvelopeMapper.H_FLEET));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Ends {@link #run} from another thread; then releases the consumer. */
    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
    }

    /** Releases the consumer; call after {@link #run} returned. */
    public void release() {
        consumer.close();
    }
}
