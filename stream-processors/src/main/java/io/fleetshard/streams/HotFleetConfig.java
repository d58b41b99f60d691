package io.fleetshard.streams;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import io.fleetshard.config.KafkaClientSecurity;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the {@link HotFleetDetector}, checked once with every problem reported together; {@link #fromMap} and
 * {@link #markdownTable()} as for {@link DeltaSyncConfig}.
 */
public record HotFleetConfig(
        String bootstrapServers,
        String applicationId,
        Pattern inputPattern,
        String outputTopic,
        long windowMs,
        long graceMs,
        long threshold,
        String stateDir,
        long commitIntervalMs,
        String processingGuarantee,
        int replicationFactor,
        KafkaClientSecurity kafkaSecurity) {

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        BOOTSTRAP_SERVERS("kafka.bootstrap.servers", null, "Kafka bootstrap servers (required)."),
        APPLICATION_ID("hotfleets.application.id", "fleetshard-hotfleets", "Kafka Streams application id (consumer group, internal topic prefix)."),
        INPUT_PATTERN("hotfleets.input.pattern", HotFleetTopology.DEFAULT_INPUT, "Regex of the change topics to count (cdc-capture's topic prefix; never its dead-letter, assignment and offsets topics)."),
        OUTPUT_TOPIC("hotfleets.output.topic", "fleetshard.hotfleets", "Where a hot fleet is reported: key tenant/fleet, JSON value."),
        WINDOW_MS("hotfleets.window.ms", "60000", "Tumbling window (event time: the source commit time) in which writes are counted."),
        GRACE_MS("hotfleets.grace.ms", "5000", "How late (event time) a write may arrive and still count in its window."),
        THRESHOLD("hotfleets.threshold", "10000", "Writes (c/u/d) of one fleet in one window that make it hot; reported once per window."),
        STATE_DIR("state.dir", "/tmp/fleetshard-streams", "Kafka Streams state directory."),
        COMMIT_INTERVAL_MS("hotfleets.commit.interval.ms", "1000", "Kafka Streams commit interval."),
        PROCESSING_GUARANTEE("hotfleets.processing.guarantee", StreamsConfig.EXACTLY_ONCE_V2, "exactly_once_v2 (no duplicate or lost report) or at_least_once."),
        REPLICATION_FACTOR("hotfleets.replication.factor", "-1", "Replication of the internal topics (repartition, changelog); -1: the broker's default.");

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

    public HotFleetConfig {
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.plaintext() : kafkaSecurity;
        ConfigProblems problems = new ConfigProblems();
        problems.require(Key.BOOTSTRAP_SERVERS, bootstrapServers);
        problems.require(Key.APPLICATION_ID, applicationId);
        problems.require(Key.OUTPUT_TOPIC, outputTopic);
        problems.require(Key.STATE_DIR, stateDir);
        if (inputPattern == null) {
            problems.add(Key.INPUT_PATTERN.key + " is required");
        } else if (outputTopic != null && inputPattern.matcher(outputTopic).matches()) {
            problems.add(Key.INPUT_PATTERN.key + " '" + inputPattern + "' matches the output topic '" + outputTopic + "'");
        }
        problems.range(Key.WINDOW_MS, windowMs, 1_000, 86_400_000);
        problems.range(Key.GRACE_MS, graceMs, 0, 86_400_000);
        problems.range(Key.THRESHOLD, threshold, 1, Long.MAX_VALUE);
        problems.range(Key.COMMIT_INTERVAL_MS, commitIntervalMs, 10, 600_000);
        problems.range(Key.REPLICATION_FACTOR, replicationFactor, -1, 32);
        if (replicationFactor == 0) {
            problems.add(Key.REPLICATION_FACTOR.key + " must be -1 or at least 1, got 0");
        }
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee) && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
            problems.add(Key.PROCESSING_GUARANTEE.key + " must be exactly_once_v2 or at_least_once, got '" + processingGuarantee + "'");
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends StreamProcessorException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("hot-fleet detector"));
            this.problems = problems;
        }
    }

    public static Builder builder(String bootstrapServers) {
        return new Builder().set(Key.BOOTSTRAP_SERVERS, bootstrapServers);
    }

    /** Parses keys of {@link Key}; an unknown key is a problem. */
    public static HotFleetConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        b.values.setAll(b.kafka.takeFrom(values), (k, v) -> false, problems);
        return b.build(problems);
    }

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

        public HotFleetConfig build() {
            return build(new ConfigProblems());
        }

        private HotFleetConfig build(ConfigProblems problems) {
            Pattern input = null;
            String regex = values.text(Key.INPUT_PATTERN);
            try {
                input = regex == null ? null : Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                problems.add(Key.INPUT_PATTERN.key + " is not a valid regex: " + e.getDescription());
                input = Pattern.compile(HotFleetTopology.DEFAULT_INPUT);
            }
            HotFleetConfig config;
            KafkaClientSecurity security = kafkaSecurity != null ? kafkaSecurity : kafka.build(problems);
            try {
                config = new HotFleetConfig(values.text(Key.BOOTSTRAP_SERVERS), values.text(Key.APPLICATION_ID), input,
                        values.text(Key.OUTPUT_TOPIC), values.number(Key.WINDOW_MS, problems), values.number(Key.GRACE_MS, problems),
                        values.number(Key.THRESHOLD, problems), values.text(Key.STATE_DIR),
                        values.number(Key.COMMIT_INTERVAL_MS, problems), values.text(Key.PROCESSING_GUARANTEE),
                        (int) values.number(Key.REPLICATION_FACTOR, problems), security);
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
