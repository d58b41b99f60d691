package io.fleetshard.cdc;

import io.fleetshard.shardmap.ShardMapTopic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics a worker writes and coordinates on, if missing (broker-default replication). */
final class ChangeTopics {
    private ChangeTopics() {
    }

    static void ensure(CaptureConfig config) {
        create(config, List.of());
    }

    /** The shard log of one shard: a single partition, so it holds the shard's changes in commit order (ADR 0011). */
    static void ensureShardLog(CaptureConfig config, String shardId) {
        create(config, List.of(new NewTopic(config.shardLogTopic(shardId), Optional.of(1), Optional.empty())));
    }

    /** An admin client of capture's Kafka (TLS/SASL as configured, ADR 0027) whose calls give up after that long. */
    static Admin admin(CaptureConfig config, int apiTimeoutMs) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.putAll(config.kafkaSecurity().clientProperties());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(apiTimeoutMs));
        return Admin.create(props);
    }

    private static void create(CaptureConfig config, List<NewTopic> only) {
        try (Admin admin = admin(config, 60_000)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> wanted = new ArrayList<>(only);
            if (only.isEmpty()) {
                for (String table : config.tables()) {
                    wanted.add(new NewTopic(config.changeTopic(table), Optional.of(config.changeTopicPartitions()), Optional.empty()));
                }
                wanted.add(new NewTopic(config.offsetsTopic(), Optional.of(1), Optional.empty()).configs(OffsetsTopic.topicConfig()));
                wanted.add(new NewTopic(config.deadLetterTopic(), Optional.of(1), Optional.empty()));
                wanted.add(new NewTopic(config.assignmentTopic(), Optional.of(config.assignmentPartitions()), Optional.empty())
                        .configs(Map.of("retention.ms", "3600000")));
            }
            wanted.removeIf(t -> existing.contains(t.name()));
            if (wanted.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(wanted).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            awaitServed(admin, wanted.stream().map(NewTopic::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException("interrupted while creating change topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CaptureException("cannot create change topics on " + config.bootstrapServers() + ": " + e.getMessage()
                    + "; check that Kafka is reachable and that this worker may create topics", e);
        }
    }

    /**
     * Waits until the brokers serve the new {@code topics} (each known, each partition with a leader): the controller
     * acknowledges a creation before the brokers have applied it, and a client that meets a topic in between retries,
     * logging {@code UNKNOWN_TOPIC_OR_PARTITION} on every metadata refresh (a hundred warnings on a dev platform's
     * start).
     */
    private static void awaitServed(Admin admin, List<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ShardMapTopic.describeOnceKnown(admin, topics, deadline).values().stream()
                .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null))) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topics " + topics + " created but not served by the brokers within 60 s");
            }
            Thread.sleep(20);
        }
    }
}
