package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot fleets that the {@code stream-processors} hot-fleet detector reports on {@code fleetshard.hotfleets}
 * (key {@code tenant/fleet}, value {@code {"tenantId","fleetId","shardId","writes","windowStartMs","windowEndMs"}}):
 * the newest window of each fleet, kept while it is recent. Read by {@code GET /v1/hot-fleets}; with
 * {@code control.reshard.auto=true} the orchestrator moves them.
 */
final class HotFleetBoard implements AutoCloseable {
    static final String TOPIC = "fleetshard.hotfleets";
    private static final Logger LOG = LoggerFactory.getLogger(HotFleetBoard.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One fleet's hottest recent window. */
    record HotFleet(String tenantId, String fleetId, String shardId, long writes, long windowStartMs,
                    long windowEndMs) {
    }

    private final Map<String, HotFleet> fleets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration keep;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final String topic;
    private volatile boolean running = true;
    private volatile boolean polled;

    HotFleetBoard(String bootstrapServers, Clock clock, Duration keep) {
        this(bootstrapServers, Map.of(), clock, keep);
    }

    HotFleetBoard(String bootstrapServers, Map<String, String> security, Clock clock, Duration keep) {
        this(bootstrapServers, security, clock, keep, TOPIC);
    }

    /** @param topic where the detector reports ({@link #TOPIC}; tests use their own) */
    HotFleetBoard(String bootstrapServers, Map<String, String> security, Clock clock, Duration keep, String topic) {
        this.topic = topic;
        this.clock = clock;
        this.keep = keep;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-hotfleets");
        // every instance reads the whole topic; the group only serves the subscription (nothing is committed)
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "fleetshard-control-api-hotfleets-" + java.util.UUID.randomUUID());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // a pattern subscription finds a topic created after it at the next metadata refresh: 5 minutes by default,
        // so the first reports of a fresh platform showed up that late
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "5000");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(p);
        this.thread = new Thread(this::follow, "control-api-hotfleets");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Fleets whose newest hot window ended less than the keep time ago, hottest first. */
    List<HotFleet> current() {
        long cutoff = clock.millis() - keep.toMillis();
        List<HotFleet> out = new ArrayList<>();
        for (HotFleet f : fleets.values()) {
            if (f.windowEndMs() >= cutoff) {
                out.add(f);
            }
        }
        out.sort(Comparator.comparingLong(HotFleet::writes).reversed().thenComparing(HotFleet::tenantId)
                .thenComparing(HotFleet::fleetId));
        return out;
    }

    /** True once the board has polled (so read the cluster's topics) at least once; for tests. */
    boolean polled() {
        return polled;
    }

    /** Records one report (also used by tests). */
    void accept(byte[] value) {
        if (value == null) {
            return;
        }
        try {
            JsonNode o = JSON.readTree(value);
            HotFleet f = new HotFleet(o.path("tenantId").asText(), o.path("fleetId").asText(),
                    o.path("shardId").asText(null), o.path("writes").asLong(), o.path("windowStartMs").asLong(),
                    o.path("windowEndMs").asLong());
            fleets.merge(f.tenantId() + "/" + f.fleetId(), f,
                    (a, b) -> b.windowStartMs() > a.windowStartMs() || b.windowStartMs() == a.windowStartMs()
                            && b.writes() >= a.writes() ? b : a);
        } catch (IOException e) {
            LOG.warn("skipping an unreadable hot-fleet report on {}: {}", topic, e.getMessage());
        }
    }

    private void follow() {
        try {
            // a pattern subscription also picks the topic up once the detector creates it
            consumer.subscribe(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(topic)));
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    accept(r.value());
                }
                polled = true;
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.warn("hot-fleet board stopped following {}: {}", topic, e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        running = false;
        if (!thread.isAlive()) {
            consumer.close(Duration.ofSeconds(2));
            return;
        }
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
