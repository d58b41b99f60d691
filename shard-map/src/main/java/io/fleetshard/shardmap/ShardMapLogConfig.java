package io.fleetshard.shardmap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the map log lives and how its clients behave.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topic the single-partition compacted map topic (default {@value #DEFAULT_TOPIC})
 * @param transactionalId the writer's fixed transactional id: a second writer with the same id fences the first
 * @param requestTimeout bound of one Kafka operation (commit, topic creation, catching up)
 * @param clientSecurity Kafka client properties merged into every client of the map log ({@code security.protocol},
 *     {@code ssl.*}, {@code sasl.*}): config-support's {@code KafkaClientSecurity.clientProperties()}, already checked
 *     there (ADR 0027); empty for plaintext
 */
public record ShardMapLogConfig(String bootstrapServers, String topic, String transactionalId, Duration requestTimeout,
        Map<String, String> clientSecurity) {
    public static final String DEFAULT_TOPIC = "fleetshard.shardmap";
    public static final String DEFAULT_TRANSACTIONAL_ID = "fleetshard-shardmap-writer";

    public ShardMapLogConfig(String bootstrapServers, String topic, String transactionalId, Duration requestTimeout) {
        this(bootstrapServers, topic, transactionalId, requestTimeout, Map.of());
    }

    public ShardMapLogConfig {
        clientSecurity = clientSecurity == null ? Map.of() : Map.copyOf(clientSecurity);
        List<String> problems = new ArrayList<>();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add("bootstrapServers must be set (host:port[,host:port])");
        }
        if (topic == null || !topic.matches("[A-Za-z0-9._-]{1,249}")) {
            problems.add("topic must be a valid Kafka topic name, got " + topic);
        }
        if (transactionalId == null || transactionalId.isBlank()) {
            problems.add("transactionalId must be set");
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            problems.add("requestTimeout must be positive, got " + requestTimeout);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid shard-map log config: " + String.join("; ", problems));
        }
    }

    public static ShardMapLogConfig defaults(String bootstrapServers) {
        return new ShardMapLogConfig(bootstrapServers, DEFAULT_TOPIC, DEFAULT_TRANSACTIONAL_ID, Duration.ofSeconds(10));
    }

    public ShardMapLogConfig withTopic(String newTopic) {
        return new ShardMapLogConfig(bootstrapServers, newTopic, transactionalId, requestTimeout, clientSecurity);
    }

    public ShardMapLogConfig withTransactionalId(String id) {
        return new ShardMapLogConfig(bootstrapServers, topic, id, requestTimeout, clientSecurity);
    }

    /** This log reached with {@code properties} merged into its clients (TLS, SASL: ADR 0027). */
    public ShardMapLogConfig withClientSecurity(Map<String, String> properties) {
        return new ShardMapLogConfig(bootstrapServers, topic, transactionalId, requestTimeout, properties);
    }

    @Override
    public String toString() { // the client properties may hold passwords
        return "ShardMapLogConfig[" + bootstrapServers + ", topic=" + topic + ", transactionalId=" + transactionalId
                + ", requestTimeout=" + requestTimeout + ", security=" + clientSecurity.getOrDefault("security.protocol",
                "PLAINTEXT") + "]";
    }
}
