package io.fleetshard.controlapi;

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
 * {@link AuditLog} on a Kafka topic of one partition (one order), kept forever (append-only; archiving it to S3 is not
 * done yet): key = request id, value = the event as JSON, record timestamp = the event's time, so a time range is
 * found with {@code offsetsForTimes}.
 */
final class KafkaAuditLog implements AuditLog {
    private static final Duration READ_DEADLINE = Duration.ofSeconds(10);

    private final String bootstrapServers;
    private final String topic;
    private final TopicPartition tp;
    private final KafkaProducer<byte[], byte[]> producer;

    KafkaAuditLog(String bootstrapServers, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.tp = new TopicPartition(topic, 0);
        ControlLogs.ensureTopic(bootstrapServers, topic, null, "audit");
        this.producer = ControlLogs.producer(bootstrapServers, "fleetshard-control-api-audit");
    }

    @Override
    public void append(AuditEvent event) {
        ControlLogs.append(producer, topic, event.timeMs(), event.requestId(), event.toJson().toString(),
                "audit event " + event.eventId());
    }

    @Override
    public List<AuditEvent> read(long fromMs, long toMs, String actor, int limit) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
