package io.fleetshard.shardmap;

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
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Creates the map topic if missing: one partition (total order), compacted, replicated up to 3. */
public final class ShardMapTopic {
    private ShardMapTopic() {
    }

    public static void ensureExists(ShardMapLogConfig config) {
        ensureOnePartition(config.bootstrapServers(), config.clientSecurity(), config.topic(), Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT), config.requestTimeout(),
                "map transactions are totally ordered");
    }

    /** {@link #ensureOnePartition(String, Map, String, Map, java.time.Duration, String)} over a plaintext connection. */
    public static void ensureOnePartition(String bootstrapServers, String topicName, Map<String, String> configs,
            java.time.Duration timeout, String why) {
        ensureOnePartition(bootstrapServers, Map.of(), topicName, configs, timeout, why);
    }

    /**
     * Creates {@code topic} with one partition, replicated up to 3 (min in-sync replicas one less), if it is missing,
     * and checks that it has exactly one partition. Used for every log whose order is its meaning (the map log, the
     * orchestration log).
     *
     * @param clientSecurity properties merged into the admin client (TLS, SASL: ADR 0027)
     * @param configs topic settings besides replication
     * @param why what one partition guarantees, for the message when the topic has more
     * @throws ShardMapException when the topic exists with more than one partition
     * @throws MapUnavailableException when Kafka does not answer within {@code timeout}
     */
    public static void ensureOnePartition(String bootstrapServers, Map<String, String> clientSecurity, String topicName,
            Map<String, String> configs, java.time.Duration timeout, String why) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(clientSecurity);
        long timeoutMs = timeout.toMillis();
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        try (Admin admin = Admin.create(props)) {
            int brokers = admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            short replication = (short) Math.min(3, Math.max(1, brokers));
            Map<String, String> all = new java.util.HashMap<>(configs);
            all.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(Math.max(1, replication - 1)));
            NewTopic topic = new NewTopic(topicName, Optional.of(1), Optional.of(replication)).configs(all);
            try {
                admin.createTopics(List.of(topic)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            TopicDescription d = describeOnceKnown(admin, List.of(topicName), System.nanoTime()
                    + TimeUnit.MILLISECONDS.toNanos(timeoutMs)).get(topicName);
            if (d.partitions().size() != 1) {
                throw new ShardMapException("topic " + topicName + " has " + d.partitions().size()
                        + " partitions; it must have exactly 1 so " + why);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MapUnavailableException("interrupted while creating topic " + topicName, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new MapUnavailableException("could not create or describe topic " + topicName + " at "
                    + bootstrapServers + " within " + timeoutMs + " ms: " + e, e);
        }
    }

    /**
     * Describes the topics, retrying while the broker answering has not yet learned of one: in KRaft a just-created
     * topic reaches each broker's metadata cache a moment after the controller acknowledged the creation, and a
     * describe in that window fails with {@link UnknownTopicOrPartitionException} (a client that meets the topic then
     * logs {@code UNKNOWN_TOPIC_OR_PARTITION} on every metadata refresh). Past {@code deadlineNanos} that failure is
     * thrown.
     */
    public static Map<String, TopicDescription> describeOnceKnown(Admin admin, java.util.Collection<String> topics,
            long deadlineNanos) throws InterruptedException, ExecutionException, TimeoutException {
        long backoffMs = 10;
        while (true) {
            long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
            try {
                return admin.describeTopics(topics).allTopicNames().get(leftMs, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > deadlineNanos) {
                    throw e;
                }
            }
            Thread.sleep(backoffMs);
            backoffMs = Math.min(200, backoffMs * 2);
        }
    }
}
