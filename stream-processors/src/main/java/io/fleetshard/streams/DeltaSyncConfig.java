package io.fleetshard.streams;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import io.fleetshard.config.KafkaClientSecurity;
import java.util.Map;

/**
 * Settings of a {@link DeltaSyncService}, shared by all its jobs, checked once at construction with every problem
 * reported together. Keys of {@link Key} work from a properties file, environment or flags through {@link #fromMap};
 * {@link #markdownTable()} renders the README's table from the same definitions.
 */
public record DeltaSyncConfig(
        String bootstrapServers,
        String shardLogTopicPrefix,
        String stateDir,
        long commitIntervalMs,
        int applyBatchSize,
        long applyFlushIntervalMs,
        int applyAttempts,
        long applyRetryBackoffMs,
        long fetchMaxWaitMs,
        long closeTimeoutMs,
        KafkaClientSecurity kafkaSecurity) {

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        BOOTSTRAP_SERVERS("kafka.bootstrap.servers", null, "Kafka bootstrap servers (required)."),
        SHARD_LOG_TOPIC_PREFIX("shard.log.topic.prefix", "fleetshard.shardlog.", "A job reads the topic <prefix><source shard> (cdc-capture's key of the same name)."),
        STATE_DIR("state.dir", "/tmp/fleetshard-streams", "Kafka Streams state directory; each job uses <state.dir>/fleetshard-reshard-<jobId>, removed when the job is no longer wanted."),
        COMMIT_INTERVAL_MS("commit.interval.ms", "5000", "Kafka Streams commit interval (exactly_once_v2): pending changes are applied to the target before every commit. Each commit is a Kafka transaction that stops the job's only thread, so a fence marker arriving meanwhile waits (the cutover's write freeze): the rarer the commits, the fewer fences meet one. A restart replays from the last commit and skips what the target's progress row shows applied; the transaction timeout is three intervals (at least 10 s)."),
        APPLY_BATCH_SIZE("apply.batch.size", "500", "Most shard-log records per target transaction; a full batch is applied at once."),
        APPLY_FLUSH_INTERVAL_MS("apply.flush.interval.ms", "50", "Pending changes are also applied this often (wall clock), so a quiet shard log is applied promptly."),
        APPLY_ATTEMPTS("apply.attempts", "3", "Attempts of one target transaction (reconnecting) before the job's stream thread fails and is replaced; a replay skips what the target already has."),
        APPLY_RETRY_BACKOFF_MS("apply.retry.backoff.ms", "200", "Pause before the second attempt; doubles per attempt."),
        FETCH_MAX_WAIT_MS("fetch.max.wait.ms", "10", "Longest wait of the job's shard-log fetch on the broker (Kafka's default is 500 ms); kept short because the fence marker's trip is part of the cutover's write freeze."),
        CLOSE_TIMEOUT_MS("close.timeout.ms", "30000", "How long stopping a job waits for its Kafka Streams app to close.");

        private final String key;
        private final String defaultValue;
        private final String doc;

        Key(String key, String defaultValue, String doc) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.doc = doc;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public String defaultValue() {
            return defaultValue;
        }

        @Override
        public String doc() {
            return doc;
        }
    }

    public DeltaSyncConfig {
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.plaintext() : kafkaSecurity;
        ConfigProblems problems = new ConfigProblems();
        problems.require(Key.BOOTSTRAP_SERVERS, bootstrapServers);
        problems.require(Key.SHARD_LOG_TOPIC_PREFIX, shardLogTopicPrefix);
        problems.require(Key.STATE_DIR, stateDir);
        problems.range(Key.COMMIT_INTERVAL_MS, commitIntervalMs, 10, 60_000);
        problems.range(Key.APPLY_BATCH_SIZE, applyBatchSize, 1, 100_000);
        problems.range(Key.APPLY_FLUSH_INTERVAL_MS, applyFlushIntervalMs, 10, 60_000);
        problems.range(Key.APPLY_ATTEMPTS, applyAttempts, 1, 10);
        problems.range(Key.APPLY_RETRY_BACKOFF_MS, applyRetryBackoffMs, 1, 10_000);
        problems.range(Key.FETCH_MAX_WAIT_MS, fetchMaxWaitMs, 1, 500);
        problems.range(Key.CLOSE_TIMEOUT_MS, closeTimeoutMs, 100, 600_000);
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends StreamProcessorException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("delta sync"));
            this.problems = problems;
        }
    }

    /** The defaults with the one required value. */
    public static Builder builder(String bootstrapServers) {
        return new Builder().set(Key.BOOTSTRAP_SERVERS, bootstrapServers);
    }

    /** Parses keys of {@link Key}; an unknown key is a problem (a typo must not fall back to a default silently). */
    public static DeltaSyncConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        b.values.setAll(b.kafka.takeFrom(values), (k, v) -> false, problems);
        return b.build(problems);
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class);
    }

    /** Mutable collector of settings; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final ConfigValues<Key> values = ConfigValues.defaults(Key.class);
        private final KafkaClientSecurity.Builder kafka = KafkaClientSecurity.builder();
        private KafkaClientSecurity kafkaSecurity;

        private Builder() {
        }

        /** How the clients reach Kafka (TLS, SASL: ADR 0027); default: the {@code kafka.*} keys given, else plaintext. */
        public Builder kafkaSecurity(KafkaClientSecurity security) {
            kafkaSecurity = security;
            return this;
        }

        public Builder set(Key key, String value) {
            values.set(key, value);
            return this;
        }

        public Builder set(Key key, long value) {
            return set(key, Long.toString(value));
        }

        public DeltaSyncConfig build() {
            return build(new ConfigProblems());
        }

        private DeltaSyncConfig build(ConfigProblems problems) {
            DeltaSyncConfig config;
            KafkaClientSecurity security = kafkaSecurity != null ? kafkaSecurity : kafka.build(problems);
            try {
                config = new DeltaSyncConfig(values.text(Key.BOOTSTRAP_SERVERS), values.text(Key.SHARD_LOG_TOPIC_PREFIX),
                        values.text(Key.STATE_DIR), values.number(Key.COMMIT_INTERVAL_MS, problems),
                        (int) values.number(Key.APPLY_BATCH_SIZE, problems), values.number(Key.APPLY_FLUSH_INTERVAL_MS, problems),
                        (int) values.number(Key.APPLY_ATTEMPTS, problems), values.number(Key.APPLY_RETRY_BACKOFF_MS, problems),
                        values.number(Key.FETCH_MAX_WAIT_MS, problems), values.number(Key.CLOSE_TIMEOUT_MS, problems), security);
            } catch (InvalidConfig e) {
                problems.addAll(e.problems.list());
                throw new InvalidConfig(problems);
            }
            if (!problems.isEmpty()) {
                throw new InvalidConfig(problems);
            }
            return config;
        }
    }
}
