package io.fleetshard.cdc;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import io.fleetshard.config.KafkaClientSecurity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a {@link CaptureWorker}, checked once at construction: every problem is collected and reported together.
 * The keys of {@link Key} work from a properties file, environment ({@code FLEETSHARD_CDC_POLL_INTERVAL_MS}) or flags
 * through {@link #fromMap}; {@link #markdownTable()} renders the README's table from the same definitions.
 */
public record CaptureConfig(
        String bootstrapServers,
        String workerId,
        String groupId,
        String changeTopicPrefix,
        int changeTopicPartitions,
        List<String> tables,
        String assignmentTopic,
        int assignmentPartitions,
        String offsetsTopic,
        String schemaHistoryTopicPrefix,
        String deadLetterTopic,
        String shardLogTopicPrefix,
        DbCredentials defaultCredentials,
        Map<String, DbCredentials> shardCredentials,
        long pollIntervalMs,
        int maxBatchSize,
        int maxQueueSize,
        long heartbeatIntervalMs,
        int sessionTimeoutMs,
        int maxRecordBytes,
        long restartBackoffMs,
        long restartBackoffMaxMs,
        String snapshotMode,
        long sourceLagIntervalMs,
        long minReadableMs,
        KafkaClientSecurity kafkaSecurity) {

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        BOOTSTRAP_SERVERS("kafka.bootstrap.servers", null, "Kafka bootstrap servers (required)."),
        WORKER_ID("worker.id", null, "Id of this capture worker, unique in its group (required); used in client ids and logs."),
        GROUP_ID("group.id", "fleetshard-cdc", "Kafka consumer group whose members divide the shards."),
        CHANGE_TOPIC_PREFIX("change.topic.prefix", "fleetshard.cdc.", "Change topic of table T is <prefix>T."),
        CHANGE_TOPIC_PARTITIONS("change.topic.partitions", "12", "Partitions of a change topic created by the worker; an existing topic keeps its count."),
        TABLES("tables", "vehicles,telemetry", "Logical tables captured on every shard (schema public / the shard's database)."),
        ASSIGNMENT_TOPIC("assignment.topic", "fleetshard.cdc.assignments", "Topic whose partitions the group divides; shard s belongs to partition murmur2(s) mod n."),
        ASSIGNMENT_PARTITIONS("assignment.partitions", "64", "Partitions of the assignment topic (the most workers that can share the load)."),
        OFFSETS_TOPIC("offsets.topic", "fleetshard.cdc.offsets", "Compacted topic holding each shard's source offset, written in the same transaction as its changes."),
        SCHEMA_HISTORY_TOPIC_PREFIX("schema.history.topic.prefix", "fleetshard.cdc.schema-history.", "MySQL/MariaDB schema history topic of shard s is <prefix>s."),
        DEAD_LETTER_TOPIC("dead.letter.topic", "fleetshard.cdc.dead-letters", "Where a row that cannot be published (no tenant/fleet, oversized) is reported instead."),
        SHARD_LOG_TOPIC_PREFIX("shard.log.topic.prefix", "fleetshard.shardlog.", "Shard log of shard s: <prefix>s, one partition, every change of s in commit order in the same transaction as the change topics (ADR 0011; read by the archiver)."),
        DB_USER("db.user", "fleetshard_cdc", "Database user of every shard unless overridden by db.credentials.<shard>.user."),
        DB_PASSWORD("db.password", "", "Password of db.user (masked in logs); db.credentials.<shard>.password overrides it."),
        POLL_INTERVAL_MS("poll.interval.ms", "20", "Debezium poll interval; dominates commit-to-topic latency (STACK.md)."),
        MAX_BATCH_SIZE("max.batch.size", "2048", "Most change events per batch, i.e. per Kafka transaction."),
        MAX_QUEUE_SIZE("max.queue.size", "8192", "Debezium's in-memory queue between the log reader and the batch."),
        HEARTBEAT_INTERVAL_MS("heartbeat.interval.ms", "5000", "Heartbeat interval; heartbeats move an idle shard's slot / stored position forward."),
        SESSION_TIMEOUT_MS("session.timeout.ms", "6000", "Group session timeout: a dead worker's shards move after about this long."),
        MAX_RECORD_BYTES("max.record.bytes", "900000", "A change event larger than this goes to the dead-letter topic (key and position only)."),
        RESTART_BACKOFF_MS("restart.backoff.ms", "1000", "First pause before restarting a failed shard engine; doubles per failure."),
        RESTART_BACKOFF_MAX_MS("restart.backoff.max.ms", "30000", "Longest pause between restarts of a failed shard engine."),
        SNAPSHOT_MODE("snapshot.mode", "initial", "Debezium snapshot mode when a shard is first captured (initial, no_data, ...)."),
        SOURCE_LAG_INTERVAL_MS("source.lag.interval.ms", "5000", "How often retained WAL / binlog lag is measured per shard."),
        MIN_READABLE_MS("min.readable.ms", "86400000", "A change is written only if its topics keep it this long (or half their retention.ms if shorter) after now; an older one (after a long outage) stops its shard's capture with an error until retention.ms is raised, instead of being deleted unread (ADR 0061).");

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

    public static final String SHARD_CREDENTIALS_PREFIX = "db.credentials.";

    public CaptureConfig {
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.plaintext() : kafkaSecurity;
        ConfigProblems problems = new ConfigProblems();
        problems.require(Key.BOOTSTRAP_SERVERS, bootstrapServers);
        problems.require(Key.WORKER_ID, workerId);
        problems.require(Key.GROUP_ID, groupId);
        problems.require(Key.CHANGE_TOPIC_PREFIX, changeTopicPrefix);
        problems.require(Key.ASSIGNMENT_TOPIC, assignmentTopic);
        problems.require(Key.OFFSETS_TOPIC, offsetsTopic);
        problems.require(Key.SCHEMA_HISTORY_TOPIC_PREFIX, schemaHistoryTopicPrefix);
        problems.require(Key.DEAD_LETTER_TOPIC, deadLetterTopic);
        problems.require(Key.SHARD_LOG_TOPIC_PREFIX, shardLogTopicPrefix);
        problems.require(Key.SNAPSHOT_MODE, snapshotMode);
        problems.range(Key.CHANGE_TOPIC_PARTITIONS, changeTopicPartitions, 1, 10_000);
        problems.range(Key.ASSIGNMENT_PARTITIONS, assignmentPartitions, 1, 10_000);
        problems.range(Key.POLL_INTERVAL_MS, pollIntervalMs, 1, 60_000);
        problems.range(Key.MAX_BATCH_SIZE, maxBatchSize, 1, 100_000);
        problems.range(Key.MAX_QUEUE_SIZE, maxQueueSize, 2, 1_000_000);
        problems.range(Key.HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs, 100, 3_600_000);
        problems.range(Key.SESSION_TIMEOUT_MS, sessionTimeoutMs, 1_000, 300_000);
        problems.range(Key.MAX_RECORD_BYTES, maxRecordBytes, 1_024, 100_000_000);
        problems.range(Key.RESTART_BACKOFF_MS, restartBackoffMs, 10, 600_000);
        problems.range(Key.RESTART_BACKOFF_MAX_MS, restartBackoffMaxMs, 10, 3_600_000);
        problems.range(Key.SOURCE_LAG_INTERVAL_MS, sourceLagIntervalMs, 100, 3_600_000);
        problems.range(Key.MIN_READABLE_MS, minReadableMs, 0, 365L * 86_400_000L);
        if (maxQueueSize <= maxBatchSize) {
            problems.add(Key.MAX_QUEUE_SIZE.key + " (" + maxQueueSize + ") must be larger than " + Key.MAX_BATCH_SIZE.key
                    + " (" + maxBatchSize + ")");
        }
        if (restartBackoffMaxMs < restartBackoffMs) {
            problems.add(Key.RESTART_BACKOFF_MAX_MS.key + " (" + restartBackoffMaxMs + ") must be at least "
                    + Key.RESTART_BACKOFF_MS.key + " (" + restartBackoffMs + ")");
        }
        if (tables == null || tables.isEmpty()) {
            problems.add(Key.TABLES.key + " must name at least one table");
        } else {
            for (String t : tables) {
                if (t == null || !t.matches("[a-z_][a-z0-9_]*")) {
                    problems.add(Key.TABLES.key + " entries must be lower-case SQL identifiers, got '" + t + "'");
                }
            }
        }
        if (defaultCredentials == null) {
            problems.add("default database credentials (" + Key.DB_USER.key + ") are required");
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
        tables = List.copyOf(tables);
        shardCredentials = Map.copyOf(Objects.requireNonNullElse(shardCredentials, Map.of()));
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends CaptureException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("capture"));
            this.problems = problems;
        }
    }

    /** The defaults, with the two required values. */
    public static Builder builder(String bootstrapServers, String workerId) {
        return new Builder().set(Key.BOOTSTRAP_SERVERS, bootstrapServers).set(Key.WORKER_ID, workerId);
    }

    /**
     * Parses keys of {@link Key} plus {@code db.credentials.<shard>.user|password}. Unknown keys are a problem too
     * (a typo must not silently fall back to a default).
     */
    public static CaptureConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        Map<String, String[]> perShard = new LinkedHashMap<>();
        b.values.setAll(b.kafka.takeFrom(values), (key, value) -> {
            if (!key.startsWith(SHARD_CREDENTIALS_PREFIX) || !(key.endsWith(".user") || key.endsWith(".password"))) {
                return false;
            }
            String rest = key.substring(SHARD_CREDENTIALS_PREFIX.length());
            String[] pair = perShard.computeIfAbsent(rest.substring(0, rest.lastIndexOf('.')), s -> new String[2]);
            pair[key.endsWith(".user") ? 0 : 1] = value;
            return true;
        }, problems);
        perShard.forEach((shard, pair) -> {
            if (pair[0] == null) {
                problems.add(SHARD_CREDENTIALS_PREFIX + shard + ".user is missing");
            } else {
                b.shardCredentials(shard, new DbCredentials(pair[0], pair[1]));
            }
        });
        return b.build(problems);
    }

    /** Credentials for a shard: its override, else the default. */
    public DbCredentials credentialsFor(String shardId) {
        return shardCredentials.getOrDefault(shardId, defaultCredentials);
    }

    public String changeTopic(String table) {
        return changeTopicPrefix + table;
    }

    /** The single-partition topic holding every change of one shard in commit order (ADR 0011). */
    public String shardLogTopic(String shardId) {
        return shardLogTopicPrefix + shardId;
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class) + "| `" + SHARD_CREDENTIALS_PREFIX
                + "<shard>.user` / `.password` | | Credentials of one shard. |\n";
    }

    @Override
    public String toString() {
        return "CaptureConfig[worker=" + workerId + ", group=" + groupId + ", kafka=" + bootstrapServers + ", topics="
                + changeTopicPrefix + "{" + String.join(",", tables) + "} x" + changeTopicPartitions + ", assignment="
                + assignmentTopic + " x" + assignmentPartitions + ", offsets=" + offsetsTopic + ", db=" + defaultCredentials
                + ", shardCredentials=" + shardCredentials.keySet() + ", poll=" + pollIntervalMs + "ms, batch="
                + maxBatchSize + ", heartbeat=" + heartbeatIntervalMs + "ms, session=" + sessionTimeoutMs + "ms]";
    }

    /** Mutable collector of settings; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final ConfigValues<Key> values = ConfigValues.defaults(Key.class);
        private final KafkaClientSecurity.Builder kafka = KafkaClientSecurity.builder();
        private KafkaClientSecurity kafkaSecurity;
        private final Map<String, DbCredentials> shardCredentials = new LinkedHashMap<>();

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

        public Builder credentials(String user, String password) {
            return set(Key.DB_USER, user).set(Key.DB_PASSWORD, password);
        }

        public Builder shardCredentials(String shardId, DbCredentials credentials) {
            shardCredentials.put(shardId, credentials);
            return this;
        }

        public CaptureConfig build() {
            return build(new ConfigProblems());
        }

        /** Builds with the problems found so far; on failure the message lists those and the record's own. */
        private CaptureConfig build(ConfigProblems problems) {
            List<String> tables = new ArrayList<>();
            for (String t : java.util.Objects.requireNonNullElse(values.text(Key.TABLES), "").split(",")) {
                if (!t.isBlank()) {
                    tables.add(t.trim().toLowerCase(Locale.ROOT));
                }
            }
            String user = values.text(Key.DB_USER);
            DbCredentials defaults = user == null || user.isBlank() ? null : new DbCredentials(user, values.text(Key.DB_PASSWORD));
            CaptureConfig config;
            KafkaClientSecurity security = kafkaSecurity != null ? kafkaSecurity : kafka.build(problems);
            try {
                config = new CaptureConfig(values.text(Key.BOOTSTRAP_SERVERS), values.text(Key.WORKER_ID),
                        values.text(Key.GROUP_ID), values.text(Key.CHANGE_TOPIC_PREFIX),
                        (int) values.number(Key.CHANGE_TOPIC_PARTITIONS, problems), tables,
                        values.text(Key.ASSIGNMENT_TOPIC), (int) values.number(Key.ASSIGNMENT_PARTITIONS, problems),
                        values.text(Key.OFFSETS_TOPIC), values.text(Key.SCHEMA_HISTORY_TOPIC_PREFIX),
                        values.text(Key.DEAD_LETTER_TOPIC), values.text(Key.SHARD_LOG_TOPIC_PREFIX), defaults,
                        shardCredentials, values.number(Key.POLL_INTERVAL_MS, problems),
                        (int) values.number(Key.MAX_BATCH_SIZE, problems), (int) values.number(Key.MAX_QUEUE_SIZE, problems),
                        values.number(Key.HEARTBEAT_INTERVAL_MS, problems), (int) values.number(Key.SESSION_TIMEOUT_MS, problems),
                        (int) values.number(Key.MAX_RECORD_BYTES, problems), values.number(Key.RESTART_BACKOFF_MS, problems),
                        values.number(Key.RESTART_BACKOFF_MAX_MS, problems), values.text(Key.SNAPSHOT_MODE),
                        values.number(Key.SOURCE_LAG_INTERVAL_MS, problems),
                        values.number(Key.MIN_READABLE_MS, problems), security);
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
