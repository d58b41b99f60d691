package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OrchestrationLog} on a Kafka topic of one partition (one order for all events), kept for
 * {@link #RETENTION}: each record's key is the orchestration id, its value the orchestration as JSON.
 */
final class KafkaOrchestrationLog implements OrchestrationLog {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOrchestrationLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration RETENTION = Duration.ofDays(90);

    private final String bootstrapServers;
    private final Map<String, String> security;
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition tp;
    private volatile long endAtStart = -1;
    private volatile boolean caughtUp;
    private volatile boolean closing;
    private Thread tail;

    KafkaOrchestrationLog(String bootstrapServers, Map<String, String> security, String topic) {
        this.bootstrapServers = bootstrapServers;
        this.security = Map.copyOf(security);
        this.topic = topic;
        this.tp = new TopicPartition(topic, 0);
        ControlLogs.ensureTopic(bootstrapServers, security, topic, RETENTION, "orchestration");
        this.producer = ControlLogs.producer(bootstrapServers, security, "fleetshard-control-api-orchestrations");
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.putAll(security); // TLS/SASL (ADR 0027)
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-orchestrations");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void append(Orchestration o) {
        ControlLogs.append(producer, topic, null, o.id(), o.toJson().toString(), "orchestration " + o.id());
    }

    @Override
    public synchronized void start(Consumer<Orchestration> sink) {
        if (tail != null) {
            throw new IllegalStateException("the orchestration log is already started");
        }
        tail = new Thread(() -> run(sink), "control-api-orchestrations-tail");
        tail.setDaemon(true);
        tail.start();
    }

    private void run(Consumer<Orchestration> sink) {
        try {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            endAtStart = consumer.endOffsets(List.of(tp)).get(tp);
            while (!closing) {
                if (!caughtUp && consumer.position(tp) >= endAtStart) {
                    caughtUp = true;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        sink.accept(Orchestration.fromJson(JSON.readTree(r.value())));
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("skipping unreadable orchestration event at {} offset {}: {}", topic, r.offset(),
                                e.toString());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (!closing) {
                LOG.error("orchestration log reader of {} stopped: {}", topic, e.toString(), e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    @Override
    public boolean caughtUp() {
        return caughtUp;
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        Thread t;
        synchronized (this) {
            t = tail;
        }
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(Duration.ZERO);
        }
        producer.close(Duration.ofSeconds(2));
    }
}
