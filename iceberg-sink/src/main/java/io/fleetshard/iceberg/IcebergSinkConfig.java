package io.fleetshard.iceberg;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import io.fleetshard.config.KafkaClientSecurity;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings of an {@link IcebergSink}, checked once at construction with every problem reported together. Keys of
 * {@link Key} work from a properties file, environment or flags through {@link #fromMap}; keys
 * {@code catalog.property.<name>} pass {@code <name>} to the Iceberg catalog (S3 endpoint, credentials, JDBC user).
 * {@link #markdownTable()} renders the README's table from the same definitions.
 */
public record IcebergSinkConfig(
        String bootstrapServers,
        String groupId,
        String topicPrefix,
        List<String> tables,
        String catalogType,
        String catalogName,
        String catalogUri,
        String warehouse,
        String namespace,
        long commitIntervalMs,
        boolean historyEnabled,
        int maxPollRecords,
        Map<String, String> catalogProperties,
        long maintenanceIntervalMs,
        long targetFileSizeBytes,
        int minInputFiles,
        long snapshotMaxAgeMs,
        int snapshotRetainLast,
        long orphanMinAgeMs,
        KafkaClientSecurity kafkaSecurity) {

    /** Prefix of the keys passed through to the Iceberg catalog. */
    public static final String CATALOG_PROPERTY_PREFIX = "catalog.property.";
    /** The issue's bound: a change is in the tables at most this long after it is read. */
    public static final long MAX_COMMIT_INTERVAL_MS = 60_000;
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern SECRET = Pattern.compile("(?i).*(password|secret|token|session).*");

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        BOOTSTRAP_SERVERS("kafka.bootstrap.servers", null, "Kafka bootstrap servers (required)."),
        GROUP_ID("group.id", "fleetshard-iceberg-sink", "Consumer group id. Offsets are committed to it only as an informative mirror (lag tools); the sink resumes from the tables' snapshots."),
        TOPIC_PREFIX("cdc.topic.prefix", "fleetshard.cdc.", "Change topics are <prefix><table> (cdc-capture's key of the same name)."),
        TABLES("tables", "vehicles,telemetry", "Logical tables to maintain, comma-separated: one Iceberg table each, same name."),
        CATALOG_TYPE("catalog.type", "jdbc", "Iceberg catalog: jdbc (a PostgreSQL database, dev and tests) or glue (AWS Glue Data Catalog, production)."),
        CATALOG_NAME("catalog.name", "fleetshard", "Name of the catalog (for the JDBC catalog: its rows in the database)."),
        CATALOG_URI("catalog.uri", "", "JDBC URL of the catalog database (required for catalog.type=jdbc), e.g. jdbc:postgresql://host:5432/iceberg."),
        WAREHOUSE("warehouse", null, "Where table data and metadata go (required), e.g. s3://analytics-bucket/warehouse."),
        NAMESPACE("namespace", "fleetshard", "Namespace (Glue: database) of the tables."),
        COMMIT_INTERVAL_MS("commit.interval.ms", "10000", "Buffered changes are committed this often (at most 60000): the tables' freshness. Each commit is one Iceberg snapshot per table."),
        HISTORY_ENABLED("history.enabled", "false", "Also append every change event to <table>_history (op, commit time, transaction, Kafka position, row image)."),
        MAX_POLL_RECORDS("max.poll.records", "5000", "Most change events per poll."),
        MAINTENANCE_INTERVAL_MS("maintenance.interval.ms", "3600000", "Table maintenance (compaction, snapshot expiry, orphan removal) runs this often, on a thread of its own beside the commits; 0 turns it off."),
        TARGET_FILE_SIZE_BYTES("maintenance.target.file.size.bytes", "134217728", "Compaction writes data files of about this size (128 MiB)."),
        MIN_INPUT_FILES("maintenance.min.input.files", "5", "A partition is compacted once it has this many data files below 75% of the target size, or any delete file (then all its files are rewritten with the deletes applied)."),
        SNAPSHOT_MAX_AGE_MS("maintenance.snapshot.max.age.ms", "3600000", "Snapshots older than this expire with the files only they reference (time travel reaches this far back); never the newest retain.last ones nor the sink's newest snapshot."),
        SNAPSHOT_RETAIN_LAST("maintenance.snapshot.retain.last", "10", "Snapshots always kept, however old."),
        ORPHAN_MIN_AGE_MS("maintenance.orphan.min.age.ms", "86400000", "Files no snapshot references (left by failed commits) are deleted once older than this; at least 1 h, so a commit in flight keeps its files.");

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

    public IcebergSinkConfig {
        kafkaSecurity = kafkaSecurity == null ? KafkaClientSecurity.plaintext() : kafkaSecurity;
        ConfigProblems problems = new ConfigProblems();
        problems.require(Key.BOOTSTRAP_SERVERS, bootstrapServers);
        problems.require(Key.GROUP_ID, groupId);
        problems.require(Key.TOPIC_PREFIX, topicPrefix);
        problems.require(Key.CATALOG_NAME, catalogName);
        problems.require(Key.WAREHOUSE, warehouse);
        tables = tables == null ? List.of() : List.copyOf(tables);
        catalogProperties = catalogProperties == null ? Map.of() : Map.copyOf(catalogProperties);
        if (tables.isEmpty()) {
            problems.add(Key.TABLES.key + " must name at least one table");
        }
        for (String t : tables) {
            if (!NAME.matcher(t).matches() || t.endsWith("_history")) {
                problems.add(Key.TABLES.key + ": '" + t + "' is not a table name (lower-case letters, digits, _;"
                        + " not ending in _history)");
            }
        }
        if (tables.stream().distinct().count() != tables.size()) {
            problems.add(Key.TABLES.key + " names a table twice: " + tables);
        }
        if (namespace == null || !NAME.matcher(namespace).matches()) {
            problems.add(Key.NAMESPACE.key + " must be lower-case letters, digits and _, got '" + namespace + "'");
        }
        if (!"jdbc".equals(catalogType) && !"glue".equals(catalogType)) {
            problems.add(Key.CATALOG_TYPE.key + " must be jdbc or glue, got '" + catalogType + "'");
        }
        if ("jdbc".equals(catalogType) && (catalogUri == null || !catalogUri.startsWith("jdbc:"))) {
            problems.add(Key.CATALOG_URI.key + " must be a JDBC URL (jdbc:...) for catalog.type=jdbc, got '"
                    + (catalogUri == null ? "" : catalogUri) + "'");
        }
        if (warehouse != null && !warehouse.isBlank() && !warehouse.matches("s3a?://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?")) {
            problems.add(Key.WAREHOUSE.key + " must be an s3://bucket[/path] location, got '" + warehouse + "'");
        }
        problems.range(Key.COMMIT_INTERVAL_MS, commitIntervalMs, 100, MAX_COMMIT_INTERVAL_MS);
        problems.range(Key.MAX_POLL_RECORDS, maxPollRecords, 1, 100_000);
        if (maintenanceIntervalMs != 0) {
            problems.range(Key.MAINTENANCE_INTERVAL_MS, maintenanceIntervalMs, 1_000, 86_400_000);
        }
        problems.range(Key.TARGET_FILE_SIZE_BYTES, targetFileSizeBytes, 1_024, 2_147_483_648L);
        problems.range(Key.MIN_INPUT_FILES, minInputFiles, 2, 10_000);
        problems.range(Key.SNAPSHOT_MAX_AGE_MS, snapshotMaxAgeMs, 60_000, 30L * 86_400_000);
        problems.range(Key.SNAPSHOT_RETAIN_LAST, snapshotRetainLast, 1, 10_000);
        problems.range(Key.ORPHAN_MIN_AGE_MS, orphanMinAgeMs, 3_600_000, 30L * 86_400_000);
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends IcebergSinkException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("iceberg-sink"));
            this.problems = problems;
        }
    }

    /** The defaults with the two required values. */
    public static Builder builder(String bootstrapServers, String warehouse) {
        return new Builder().set(Key.BOOTSTRAP_SERVERS, bootstrapServers).set(Key.WAREHOUSE, warehouse);
    }

    /** Parses keys of {@link Key} and {@code catalog.property.*}; any other key is a problem (a typo must not fall back to a default). */
    public static IcebergSinkConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        b.values.setAll(b.kafka.takeFrom(values), (k, v) -> {
            if (k.startsWith(CATALOG_PROPERTY_PREFIX) && k.length() > CATALOG_PROPERTY_PREFIX.length()) {
                b.catalogProperty(k.substring(CATALOG_PROPERTY_PREFIX.length()), v);
                return true;
            }
            return false;
        }, problems);
        return b.build(problems);
    }

    /** The change topic of {@code table}. */
    String topicOf(String table) {
        return topicPrefix + table;
    }

    /** The history table's name of {@code table}. */
    static String historyTableOf(String table) {
        return table + "_history";
    }

    /**
     * The properties the Iceberg catalog is built from: the catalog implementation, the warehouse, S3FileIO with the
     * Apache HTTP client, then every {@code catalog.property.*} (which may override those).
     */
    Map<String, String> icebergCatalogProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        if ("jdbc".equals(catalogType)) {
            p.put("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog");
            p.put("uri", catalogUri);
            p.put("jdbc.schema-version", "V1");
        } else {
            p.put("catalog-impl", "org.apache.iceberg.aws.glue.GlueCatalog");
        }
        p.put("warehouse", warehouse);
        p.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        p.put("http-client.type", "apache");
        p.putAll(new TreeMap<>(catalogProperties));
        return p;
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class) + "| `" + CATALOG_PROPERTY_PREFIX + "<name>` | | Passed to the"
                + " Iceberg catalog as `<name>`: `jdbc.user`, `jdbc.password`, `s3.endpoint`, `s3.path-style-access`,"
                + " `s3.access-key-id`, `s3.secret-access-key`, `client.region`, `glue.id`, ... |\n";
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>();
        catalogProperties.forEach((k, v) -> shown.put(k, SECRET.matcher(k).matches() ? "******" : v));
        return "IcebergSinkConfig[kafka=" + bootstrapServers + ", group=" + groupId + ", topics=" + topicPrefix + tables
                + ", catalog=" + catalogType + ":" + catalogName
                + (catalogType.equals("jdbc") ? "@" + catalogUri.replaceAll("(?i)(password=)[^&;]*", "$1******") : "")
                + ", warehouse=" + warehouse + ", namespace=" + namespace + ", commit=" + commitIntervalMs + "ms, history="
                + historyEnabled + ", maxPoll=" + maxPollRecords + ", catalogProperties=" + shown + ", maintenance="
                + (maintenanceIntervalMs == 0 ? "off" : "every " + maintenanceIntervalMs + "ms (target " + targetFileSizeBytes
                + " B, min " + minInputFiles + " files, snapshots " + snapshotMaxAgeMs + "ms/last " + snapshotRetainLast
                + ", orphans after " + orphanMinAgeMs + "ms)") + "]";
    }

    /** Mutable collector of settings; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final ConfigValues<Key> values = ConfigValues.defaults(Key.class);
        private final KafkaClientSecurity.Builder kafka = KafkaClientSecurity.builder();
        private KafkaClientSecurity kafkaSecurity;
        private final Map<String, String> catalogProperties = new LinkedHashMap<>();

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

        /** Passes {@code name} = {@code value} to the Iceberg catalog (key {@code catalog.property.<name>}). */
        public Builder catalogProperty(String name, String value) {
            catalogProperties.put(name, value);
            return this;
        }

        public IcebergSinkConfig build() {
            return build(new ConfigProblems());
        }

        private IcebergSinkConfig build(ConfigProblems problems) {
            boolean history = false;
            String h = values.text(Key.HISTORY_ENABLED);
            switch (h == null ? "" : h.trim().toLowerCase(Locale.ROOT)) {
                case "true" -> history = true;
                case "false" -> history = false;
                default -> problems.add(Key.HISTORY_ENABLED.key() + " must be true or false, got '" + h + "'");
            }
            String tableList = values.text(Key.TABLES);
            List<String> tables = tableList == null ? List.of()
                    : Arrays.stream(tableList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            IcebergSinkConfig config;
            KafkaClientSecurity security = kafkaSecurity != null ? kafkaSecurity : kafka.build(problems);
            try {
                config = new IcebergSinkConfig(values.text(Key.BOOTSTRAP_SERVERS), values.text(Key.GROUP_ID),
                        values.text(Key.TOPIC_PREFIX), tables, values.text(Key.CATALOG_TYPE), values.text(Key.CATALOG_NAME),
                        values.text(Key.CATALOG_URI), values.text(Key.WAREHOUSE), values.text(Key.NAMESPACE),
                        values.number(Key.COMMIT_INTERVAL_MS, problems), history,
                        (int) values.number(Key.MAX_POLL_RECORDS, problems), catalogProperties,
                        values.number(Key.MAINTENANCE_INTERVAL_MS, problems),
                        values.number(Key.TARGET_FILE_SIZE_BYTES, problems),
                        (int) values.number(Key.MIN_INPUT_FILES, problems),
                        values.number(Key.SNAPSHOT_MAX_AGE_MS, problems),
                        (int) values.number(Key.SNAPSHOT_RETAIN_LAST, problems),
                        values.number(Key.ORPHAN_MIN_AGE_MS, problems), security);
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
