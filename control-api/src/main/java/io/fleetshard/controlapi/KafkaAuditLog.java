package io.fleetshard.controlapi;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

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
        ensureTopic();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-audit");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void ensureTopic() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(p)) {
            int brokers = admin.describeCluster().nodes().get(15, TimeUnit.SECONDS).size();
            short replication = (short) Math.min(3, Math.max(1, brokers));
            NewTopic t = new NewTopic(topic, 1, replication).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                    TopicConfig.RETENTION_MS_CONFIG, "-1",
                    TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(Math.max(1, replication - 1))));
            try {
                admin.createTopics(List.of(t)).all().get(15, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlApiException("interrupted while creating topic " + topic, e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new ControlApiException("cannot create audit topic " + topic + " at " + bootstrapServers + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void append(AuditEvent event) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, event.timeMs(),
                    event.requestId().getBytes(StandardCharsets.UTF_8),
                    event.toJson().toString().getBytes(StandardCharsets.UTF_8))).get(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlApiException("interrupted while storing audit event " + event.eventId(), e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new ControlApiException("cannot store audit event " + event.eventId() + " in " + topic + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
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
