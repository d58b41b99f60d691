package io.fleetshard.controlapi;

import io.fleetshard.archive.format.AuditChain;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@link AuditLog} on a Kafka topic of one partition (one order), kept forever (append-only; the archiver copies it to
 * S3): key = request id, value = the event as JSON sealed into the audit hash chain ({@link AuditChain},
 * {@code docs/spec/audit-chain.md}: each record starts with the hash of the one before and its own), record timestamp
 * = the event's time, so a time range is found with {@code offsetsForTimes}.
 *
 * <p>Appends are serialized, so the chain follows the partition's order. The chain's head is read from the topic's
 * last record on the first append and again after any append whose outcome is unknown (a failed send may still have
 * been stored), so a retried or lost send never forks the chain. One control API instance writes at a time (the map
 * log's writer fences the others, ADR 0002); two writing at once would break the chain, which verify reports.
 */
final class KafkaAuditLog implements AuditLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaAuditLog.class);
    private static final Duration READ_DEADLINE = Duration.ofSeconds(10);

    private final String bootstrapServers;
    private final Map<String, String> security;
    private final String topic;
    private final TopicPartition tp;
    private final KafkaProducer<byte[], byte[]> producer;
    /** Hash of the last record appended; null: read it from the topic first. */
    private String head;

    KafkaAuditLog(String bootstrapServers, String topic) {
        this(bootstrapServers, Map.of(), topic);
    }

    KafkaAuditLog(String bootstrapServers, Map<String, String> security, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.security = Map.copyOf(security);
        this.topic = topic;
        this.tp = new TopicPartition(topic, 0);
        ControlLogs.ensureTopic(bootstrapServers, security, topic, null, "audit");
        this.producer = ControlLogs.producer(bootstrapServers, security, "fleetshard-control-api-audit");
    }

    @Override
    public synchronized void append(AuditEvent event) {
        if (head == null) {
            head = readHead();
        }
        byte[] sealed = AuditChain.seal(head, event.toJson().toString().getBytes(StandardCharsets.UTF_8));
        try {
            ControlLogs.append(producer, topic, event.timeMs(), event.requestId(),
                    new String(sealed, StandardCharsets.UTF_8), "audit event " + event.eventId());
        } catch (RuntimeException e) {
            head = null; // stored or not is unknown: the topic's last record says, before the next append
            throw e;
        }
        head = AuditChain.parse(sealed).orElseThrow().sha256();
    }

    /** The hash of the topic's last record ({@link AuditChain#GENESIS} when empty). */
    private String readHead() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.putAll(security); // TLS/SASL (ADR 0027)
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-audit-head");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (end == 0) {
                return AuditChain.GENESIS;
            }
            consumer.seek(tp, end - 1);
            long deadline = System.nanoTime() + READ_DEADLINE.toNanos();
            byte[] last = null;
            while (consumer.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new ControlApiException("reading the last record of " + topic + " took over "
                            + READ_DEADLINE.toSeconds() + " s", null);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    last = r.value();
                }
            }
            java.util.Optional<AuditChain.Link> link = AuditChain.parse(last);
            if (link.isEmpty()) {
                // a topic written before the chain: it starts here; verify counts the records before as unprotected
                LOG.warn("the last record of {} (offset {}) is not sealed into the audit hash chain (written before"
                        + " it existed): the chain starts with the next record (docs/spec/audit-chain.md)", topic,
                        end - 1);
                return AuditChain.GENESIS;
            }
            return link.get().sha256();
        } catch (KafkaException e) {
            throw new ControlApiException("cannot read " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<AuditEvent> read(long fromMs, long toMs, String actor, int limit) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.putAll(security); // TLS/SASL (ADR 0027)
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-audit-reader");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        List<AuditEvent> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            OffsetAndTimestamp start = consumer.offsetsForTimes(Map.of(tp, Math.max(0, fromMs))).get(tp);
            if (start == null) {
                return out; // nothing at or after fromMs
            }
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            consumer.seek(tp, start.offset());
            long deadline = System.nanoTime() + READ_DEADLINE.toNanos();
            while (consumer.position(tp) < end && out.size() < limit) {
                if (System.nanoTime() > deadline) {
                    throw new ControlApiException("reading " + topic + " took over " + READ_DEADLINE.toSeconds()
                            + " s (at offset " + consumer.position(tp) + " of " + end + ")", null);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.timestamp() > toMs) {
                        return out;
                    }
                    AuditEvent e = AuditEvent.parse(r.value());
                    if ((actor == null || actor.equals(e.actor())) && out.size() < limit) {
                        out.add(e);
                    }
                }
            }
            return out;
        } catch (KafkaException e) {
            throw new ControlApiException("cannot read " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
