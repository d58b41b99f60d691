package io.fleetshard.cdc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

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
        long sourceLagIntervalMs) {

    /** Every configuration key with its default and meaning. */
    public enum Key {
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
        SOURCE_LAG_INTERVAL_MS("source.lag.interval.ms", "5000", "How often retained WAL / binlog lag is measured per shard.");

        private final String key;
        private final String defaultValue;
        private final String doc;

        Key(String key, String defaultValue, String doc) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.doc = doc;
        }

        public String key() {
            return key;
        }

        public String defaultValue() {
            return defaultValue;
        }

        public String doc() {
            return doc;
        }
    }

    public static final String SHARD_CREDENTIALS_PREFIX = "db.credentials.";

    public CaptureConfig {
        List<String> problems = new ArrayList<>();
        requireText(problems, Key.BOOTSTRAP_SERVERS, bootstrapServers);
        requireText(problems, Key.WORKER_ID, workerId);
        requireText(problems, Key.GROUP_ID, groupId);
        requireText(problems, Key.CHANGE_TOPIC_PREFIX, changeTopicPrefix);
        requireText(problems, Key.ASSIGNMENT_TOPIC, assignmentTopic);
        requireText(problems, Key.OFFSETS_TOPIC, offsetsTopic);
        requireText(problems, Key.SCHEMA_HISTORY_TOPIC_PREFIX, schemaHistoryTopicPrefix);
        requireText(problems, Key.DEAD_LETTER_TOPIC, deadLetterTopic);
        requireText(problems, Key.SHARD_LOG_TOPIC_PREFIX, shardLogTopicPrefix);
        requireText(problems, Key.SNAPSHOT_MODE, snapshotMode);
        range(problems, Key.CHANGE_TOPIC_PARTITIONS, changeTopicPartitions, 1, 10_000);
        range(problems, Key.ASSIGNMENT_PARTITIONS, assignmentPartitions, 1, 10_000);
        range(problems, Key.POLL_INTERVAL_MS, pollIntervalMs, 1, 60_000);
        range(problems, Key.MAX_BATCH_SIZE, maxBatchSize, 1, 100_000);
        range(problems, Key.MAX_QUEUE_SIZE, maxQueueSize, 2, 1_000_000);
        range(problems, Key.HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs, 100, 3_600_000);
        range(problems, Key.SESSION_TIMEOUT_MS, sessionTimeoutMs, 1_000, 300_000);
        range(problems, Key.MAX_RECORD_BYTES, maxRecordBytes, 1_024, 100_000_000);
        range(problems, Key.RESTART_BACKOFF_MS, restartBackoffMs, 10, 600_000);
        range(problems, Key.RESTART_BACKOFF_MAX_MS, restartBackoffMaxMs, 10, 3_600_000);
        range(problems, Key.SOURCE_LAG_INTERVAL_MS, sourceLagIntervalMs, 100, 3_600_000);
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
            throw new CaptureException("invalid capture configuration (" + problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems));
        }
        tables = List.copyOf(tables);
        shardCredentials = Map.copyOf(Objects.requireNonNullElse(shardCredentials, Map.of()));
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
        List<String> problems = new ArrayList<>();
        Map<String, String[]> perShard = new LinkedHashMap<>();
        outer:
        for (Map.Entry<String, String> e : values.entrySet()) {
            for (Key k : Key.values()) {
                if (k.key.equals(e.getKey())) {
                    b.set(k, e.getValue());
                    continue outer;
                }
            }
            String key = e.getKey();
            if (key.startsWith(SHARD_CREDENTIALS_PREFIX) && (key.endsWith(".user") || key.endsWith(".password"))) {
                String rest = key.substring(SHARD_CREDENTIALS_PREFIX.length());
                String shard = rest.substring(0, rest.lastIndexOf('.'));
                String[] pair = perShard.computeIfAbsent(shard, s -> new String[2]);
                pair[key.endsWith(".user") ? 0 : 1] = e.getValue();
            } else {
                problems.add("unknown key '" + key + "'");
            }
        }
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
        StringBuilder sb = new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
        for (Key k : Key.values()) {
            sb.append("| `").append(k.key).append("` | ")
                    .append(k.defaultValue == null ? "(required)" : k.defaultValue.isEmpty() ? "(empty)" : "`" + k.defaultValue + "`")
                    .append(" | ").append(k.doc).append(" |\n");
        }
        sb.append("| `").append(SHARD_CREDENTIALS_PREFIX).append("<shard>.user` / `.password` | | Credentials of one shard. |\n");
        return sb.toString();
    }

    @Override
    public String toString() {
        return "CaptureConfig[worker=" + workerId + ", group=" + groupId + ", kafka=" + bootstrapServers + ", topics="
                + changeTopicPrefix + "{" + String.join(",", tables) + "} x" + changeTopicPartitions + ", assignment="
                + assignmentTopic + " x" + assignmentPartitions + ", offsets=" + offsetsTopic + ", db=" + defaultCredentials
                + ", shardCredentials=" + shardCredentials.keySet() + ", poll=" + pollIntervalMs + "ms, batch="
                + maxBatchSize + ", heartbeat=" + heartbeatIntervalMs + "ms, session=" + sessionTimeoutMs + "ms]";
    }

    private static void requireText(List<String> problems, Key key, String value) {
        if (value == null || value.isBlank()) {
            problems.add(key.key + " is required");
        }
    }

    private static void range(List<String> problems, Key key, long value, long min, long max) {
        if (value < min || value > max) {
            problems.add(key.key + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /** Mutable collector of settings; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final Map<Key, String> values = new LinkedHashMap<>();
        private final Map<String, DbCredentials> shardCredentials = new LinkedHashMap<>();

        private Builder() {
            for (Key k : Key.values()) {
                if (k.defaultValue != null) {
                    values.put(k, k.defaultValue);
                }
            }
        }

        public Builder set(Key key, String value) {
            values.put(key, value);
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
            return build(new ArrayList<>());
        }

        private CaptureConfig build(List<String> problems) {
            Function<Key, Long> num = k -> {
                String v = values.get(k);
                try {
                    return Long.parseLong(v.trim());
                } catch (RuntimeException e) {
                    problems.add(k.key + " must be a number, got '" + v + "'");
                    return Long.parseLong(k.defaultValue);
                }
            };
            List<String> tables = new ArrayList<>();
            for (String t : values.getOrDefault(Key.TABLES, "").split(",")) {
                if (!t.isBlank()) {
                    tables.add(t.trim().toLowerCase(Locale.ROOT));
                }
            }
            long[] n = new long[Key.values().length];
            for (Key k : Key.values()) {
                if (k.defaultValue != null && k.defaultValue.matches("\\d+")) {
                    n[k.ordinal()] = num.apply(k);
                }
            }
            String user = values.get(Key.DB_USER);
            DbCredentials defaults = user == null || user.isBlank() ? null : new DbCredentials(user, values.get(Key.DB_PASSWORD));
            if (!problems.isEmpty()) {
                throw new CaptureException("invalid capture configuration (" + problems.size() + " problem"
                        + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems));
            }
            return new CaptureConfig(values.get(Key.BOOTSTRAP_SERVERS), values.get(Key.WORKER_ID), values.get(Key.GROUP_ID),
                    values.get(Key.CHANGE_TOPIC_PREFIX), (int) n[Key.CHANGE_TOPIC_PARTITIONS.ordinal()], tables,
                    values.get(Key.ASSIGNMENT_TOPIC), (int) n[Key.ASSIGNMENT_PARTITIONS.ordinal()],
                    values.get(Key.OFFSETS_TOPIC), values.get(Key.SCHEMA_HISTORY_TOPIC_PREFIX),
                    values.get(Key.DEAD_LETTER_TOPIC), values.get(Key.SHARD_LOG_TOPIC_PREFIX), defaults, shardCredentials,
                    n[Key.POLL_INTERVAL_MS.ordinal()], (int) n[Key.MAX_BATCH_SIZE.ordinal()],
                    (int) n[Key.MAX_QUEUE_SIZE.ordinal()], n[Key.HEARTBEAT_INTERVAL_MS.ordinal()],
                    (int) n[Key.SESSION_TIMEOUT_MS.ordinal()], (int) n[Key.MAX_RECORD_BYTES.ordinal()],
                    n[Key.RESTART_BACKOFF_MS.ordinal()], n[Key.RESTART_BACKOFF_MAX_MS.ordinal()],
                    values.get(Key.SNAPSHOT_MODE), n[Key.SOURCE_LAG_INTERVAL_MS.ordinal()]);
        }
    }
}
