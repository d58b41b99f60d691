package io.fleetshard.archiver;

import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import io.fleetshard.config.KafkaClientSecurity;
import java.util.Map;

/**
 * Settings of an {@link Archiver}, checked once at construction with every problem reported together. Keys of
 * {@link Key} work from a properties file, environment or flags through {@link #fromMap}; {@link #markdownTable()}
 * renders the README's table from the same definitions.
 */
public record ArchiverConfig(
        String bootstrapServers,
        String archiverId,
        String groupId,
        String shardLogTopicPrefix,
        String bucket,
        String tier,
        long segmentMaxBytes,
        long segmentMaxAgeMs,
        long watermarkIntervalMs,
        int maxPollRecords,
        long storeBackoffMs,
        long storeBackoffMaxMs,
        int sessionTimeoutMs,
        long topicDiscoveryMs,
        String s3Endpoint,
        String s3Region,
        String s3AccessKey,
        String s3SecretKey,
        String auditTopic,
        KafkaClientSecurity kafkaSecurity) {

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        BOOTSTRAP_SERVERS("kafka.bootstrap.servers", null, "Kafka bootstrap servers (required)."),
        ARCHIVER_ID("archiver.id", null, "Id of this archiver instance (required): client ids, logs, the manifests' `writer`."),
        GROUP_ID("group.id", "fleetshard-archiver", "Consumer group whose members divide the shard logs; offsets are committed after each manifest."),
        SHARD_LOG_TOPIC_PREFIX("shard.log.topic.prefix", "fleetshard.shardlog.", "Shard logs to archive: every topic <prefix><shard> (cdc-capture's key of the same name)."),
        BUCKET("archive.bucket", "fleetshard-archive", "Bucket of the archive; a shard's objects are under <tier>/<shard>/."),
        TIER("archive.tier", "standard", "Durability tier in the archive prefix of the shards this archiver writes: standard, enhanced or platinum."),
        SEGMENT_MAX_BYTES("segment.max.bytes", "8388608", "A segment is cut when its events reach this many bytes (uncompressed)."),
        SEGMENT_MAX_AGE_MS("segment.max.age.ms", "1000", "... or this long after its first event arrived: the archive's RPO on a busy shard."),
        WATERMARK_INTERVAL_MS("watermark.interval.ms", "10000", "An idle shard's newest capture watermark is written as a manifest without segments at most this often (ADR 0048): with capture's heartbeat interval, the bound on a caught-up standby's lag; 0: only with segments."),
        MAX_POLL_RECORDS("max.poll.records", "5000", "Most shard-log records per poll."),
        STORE_BACKOFF_MS("store.backoff.ms", "200", "First pause after a failed S3 write; doubles per failure. The shard's log is paused meanwhile (bounded memory)."),
        STORE_BACKOFF_MAX_MS("store.backoff.max.ms", "10000", "Longest pause between S3 write attempts."),
        SESSION_TIMEOUT_MS("session.timeout.ms", "6000", "Group session timeout: a dead archiver's shards move after about this long."),
        TOPIC_DISCOVERY_MS("topic.discovery.ms", "5000", "How often new shard logs (new shards) are looked for."),
        S3_ENDPOINT("s3.endpoint", "", "S3 endpoint for S3-compatible servers (path-style); empty for AWS."),
        S3_REGION("s3.region", "us-east-1", "AWS region of the bucket."),
        S3_ACCESS_KEY("s3.access.key", "", "Access key; empty for the AWS default credentials chain."),
        S3_SECRET_KEY("s3.secret.key", "", "Secret key of s3.access.key (masked in logs)."),
        AUDIT_TOPIC("audit.topic", "fleetshard.audit", "The control API's audit log (control.audit.topic), archived like a shard log under <tier>/<topic>/ (hash-chained records, docs/spec/audit-chain.md); empty: not archived by this group.");

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

    public ArchiverConfig {
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.plaintext() : kafkaSecurity;
        ConfigProblems problems = new ConfigProblems();
        problems.require(Key.BOOTSTRAP_SERVERS, bootstrapServers);
        problems.require(Key.ARCHIVER_ID, archiverId);
        problems.require(Key.GROUP_ID, groupId);
        problems.require(Key.SHARD_LOG_TOPIC_PREFIX, shardLogTopicPrefix);
        problems.require(Key.S3_REGION, s3Region);
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            problems.add(Key.BUCKET.key + " must be a valid S3 bucket name (3-63 of a-z 0-9 . -), got '" + bucket + "'");
        }
        if (!ShardArchivePath.TIERS.contains(tier)) {
            problems.add(Key.TIER.key + " must be one of standard, enhanced, platinum, got '" + tier + "'");
        }
        problems.range(Key.SEGMENT_MAX_BYTES, segmentMaxBytes, 1_024, 1L << 30);
        problems.range(Key.SEGMENT_MAX_AGE_MS, segmentMaxAgeMs, 10, 3_600_000);
        if (watermarkIntervalMs != 0) {
            problems.range(Key.WATERMARK_INTERVAL_MS, watermarkIntervalMs, 1_000, 86_400_000);
        }
        problems.range(Key.MAX_POLL_RECORDS, maxPollRecords, 1, 100_000);
        problems.range(Key.STORE_BACKOFF_MS, storeBackoffMs, 10, 600_000);
        problems.range(Key.STORE_BACKOFF_MAX_MS, storeBackoffMaxMs, 10, 3_600_000);
        problems.range(Key.SESSION_TIMEOUT_MS, sessionTimeoutMs, 1_000, 300_000);
        problems.range(Key.TOPIC_DISCOVERY_MS, topicDiscoveryMs, 100, 3_600_000);
        if (storeBackoffMaxMs < storeBackoffMs) {
            problems.add(Key.STORE_BACKOFF_MAX_MS.key + " (" + storeBackoffMaxMs + ") must be at least "
                    + Key.STORE_BACKOFF_MS.key + " (" + storeBackoffMs + ")");
        }
        if (auditTopic != null && !auditTopic.isEmpty()) {
            if (!auditTopic.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
                problems.add(Key.AUDIT_TOPIC.key + " must be a topic name of 1-128 of [A-Za-z0-9._-], got '"
                        + auditTopic + "'");
            } else if (shardLogTopicPrefix != null && auditTopic.startsWith(shardLogTopicPrefix)) {
                problems.add(Key.AUDIT_TOPIC.key + " (" + auditTopic + ") must not start with "
                        + Key.SHARD_LOG_TOPIC_PREFIX.key + " (" + shardLogTopicPrefix + ")");
            }
        }
        if (s3Endpoint != null && !s3Endpoint.isBlank() && !s3Endpoint.matches("https?://.+")) {
            problems.add(Key.S3_ENDPOINT.key + " must be an http(s) URL, got '" + s3Endpoint + "'");
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends ArchiverException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("archiver"));
            this.problems = problems;
        }
    }

    /** The defaults with the two required values. */
    public static Builder builder(String bootstrapServers, String archiverId) {
        return new Builder().set(Key.BOOTSTRAP_SERVERS, bootstrapServers).set(Key.ARCHIVER_ID, archiverId);
    }

    /** Parses keys of {@link Key}; an unknown key is a problem (a typo must not fall back to a default silently). */
    public static ArchiverConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        b.values.setAll(b.kafka.takeFrom(values), (k, v) -> false, problems);
        return b.build(problems);
    }

    /**
     * The archive a topic is kept in: the shard of a shard-log topic, the audit topic's own name for the audit log, or
     * null if this archiver does not archive the topic.
     */
    String shardOf(String topic) {
        if (auditTopic != null && !auditTopic.isEmpty() && topic.equals(auditTopic)) {
            return auditTopic;
        }
        return topic.startsWith(shardLogTopicPrefix) && topic.length() > shardLogTopicPrefix.length()
                ? topic.substring(shardLogTopicPrefix.length()) : null;
    }

    /** The topics the archiver subscribes to: every shard log, and the audit log unless {@code audit.topic} is empty. */
    java.util.regex.Pattern subscription() {
        String logs = java.util.regex.Pattern.quote(shardLogTopicPrefix) + ".+";
        return java.util.regex.Pattern.compile(auditTopic == null || auditTopic.isEmpty() ? logs
                : logs + "|" + java.util.regex.Pattern.quote(auditTopic));
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class);
    }

    @Override
    public String toString() {
        return "ArchiverConfig[id=" + archiverId + ", group=" + groupId + ", kafka=" + bootstrapServers + ", logs="
                + shardLogTopicPrefix + "*" + (auditTopic == null || auditTopic.isEmpty() ? "" : " + " + auditTopic) + ", s3://" + bucket + "/" + tier + "/, segment<=" + segmentMaxBytes + "B/"
                + segmentMaxAgeMs + "ms, watermark=" + watermarkIntervalMs + "ms, s3=" + (s3Endpoint == null || s3Endpoint.isBlank() ? "aws:" + s3Region : s3Endpoint)
                + ", key=" + (s3AccessKey == null || s3AccessKey.isBlank() ? "(default chain)" : s3AccessKey + "/******") + "]";
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

        public ArchiverConfig build() {
            return build(new ConfigProblems());
        }

        /** Builds with the problems found so far; on failure the message lists those and the record's own. */
        private ArchiverConfig build(ConfigProblems problems) {
            ArchiverConfig config;
            KafkaClientSecurity security = kafkaSecurity != null ? kafkaSecurity : kafka.build(problems);
            try {
                config = new ArchiverConfig(values.text(Key.BOOTSTRAP_SERVERS), values.text(Key.ARCHIVER_ID),
                        values.text(Key.GROUP_ID), values.text(Key.SHARD_LOG_TOPIC_PREFIX), values.text(Key.BUCKET),
                        values.text(Key.TIER), values.number(Key.SEGMENT_MAX_BYTES, problems),
                        values.number(Key.SEGMENT_MAX_AGE_MS, problems), values.number(Key.WATERMARK_INTERVAL_MS, problems),
                        (int) values.number(Key.MAX_POLL_RECORDS, problems),
                        values.number(Key.STORE_BACKOFF_MS, problems), values.number(Key.STORE_BACKOFF_MAX_MS, problems),
                        (int) values.number(Key.SESSION_TIMEOUT_MS, problems), values.number(Key.TOPIC_DISCOVERY_MS, problems),
                        values.text(Key.S3_ENDPOINT), values.text(Key.S3_REGION), values.text(Key.S3_ACCESS_KEY),
                        values.text(Key.S3_SECRET_KEY), values.text(Key.AUDIT_TOPIC), security);
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
