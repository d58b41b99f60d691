package io.fleetshard.streams;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link HotFleetTopology} (application id {@code fleetshard-hotfleets} by default): reports fleets whose writes
 * in a window reach the threshold to {@code fleetshard.hotfleets}, for the control plane to consider moving them.
 */
public final class HotFleetDetector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HotFleetDetector.class);

    private final HotFleetConfig config;
    private KafkaStreams streams;
    private volatile String lastError;

    public HotFleetDetector(HotFleetConfig config) {
        this.config = config;
    }

    /** Starts the app; returns at once ({@link #state()} says when it runs). */
    public synchronized void start() {
        if (streams != null) {
            throw new StreamProcessorException("the hot-fleet detector is already started (state " + streams.state() + ")");
        }
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties()); // TLS/SASL (ADR 0027)
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitIntervalMs());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, config.replicationFactor());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // as DeltaSyncService: a stopped detector leaves its group at once, and a crashed one's member expires after
        // 10 s, not the default 45 s. Until the group has rebalanced the new member's stream thread sits in the group
        // join, and a close() meanwhile waits out its whole timeout (a Ctrl-C of fleetshard dev right after a restart).
        p.put(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), true);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
        streams = new KafkaStreams(HotFleetTopology.build(config.inputPattern(), config.outputTopic(),
                Duration.ofMillis(config.windowMs()), Duration.ofMillis(config.graceMs()), config.threshold()), p);
        streams.setStateListener((now, before) -> LOG.info("hot-fleet detector: {} -> {}", before, now));
        streams.setUncaughtExceptionHandler(e -> {
            lastError = e.toString();
            LOG.error("hot-fleet detector failed; replacing its stream thread", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        LOG.info("hot-fleet detector starting: {}", config);
        createOutputTopic();
        streams.start();
    }

    /**
     * Kafka Streams creates its internal topics, not the one it reports to. A broker that does not create topics on
     * first use (MSK's default) would leave every report unwritable; one that does makes a topic that readers
     * subscribed by pattern only find at their next metadata refresh. Compacted: readers want each fleet's newest
     * report. An existing topic is left as it is; a creation that fails (e.g. not authorized) is logged and the
     * producer's own errors then say more.
     */
    private void createOutputTopic() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.kafkaSecurity().clientProperties());
        try (Admin admin = Admin.create(p)) {
            Optional<Short> replication = config.replicationFactor() > 0
                    ? Optional.of((short) config.replicationFactor()) : Optional.empty();
            NewTopic topic = new NewTopic(config.outputTopic(), Optional.of(1), replication)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            LOG.info("hot-fleet detector created its output topic {}", config.outputTopic());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                LOG.warn("hot-fleet detector could not create its output topic {}: {}", config.outputTopic(),
                        e.getCause().toString());
            }
        } catch (TimeoutException e) {
            LOG.warn("hot-fleet detector: creating its output topic {} timed out", config.outputTopic());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamProcessorException("interrupted while creating " + config.outputTopic(), e);
        }
    }

    /** The Kafka Streams state; {@code CREATED} before {@link #start()}. */
    public synchronized KafkaStreams.State state() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    /** The last stream-thread failure, or null. */
    public String lastError() {
        return lastError;
    }

    @Override
    public synchronized void close() {
        if (streams != null) {
            streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
        }
    }
}
