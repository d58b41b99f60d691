package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CaptureConfig;
import io.fleetshard.cdc.CaptureWorker;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.TableSinkStatus;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SharedKafka;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, ADR 0017: an application writes to a real PostgreSQL shard primary, change capture publishes its
 * changes, and the Iceberg sink in a child JVM is SIGKILLed mid-commit while they keep arriving (its data files written
 * to S3, its catalog commit not done; and once right after a table's catalog commit, before its history table's),
 * restarted, killed again; a last sink then catches up. The tables equal the primary's rows by checksum, and each
 * history holds every change event of its topic once: nothing lost, nothing applied twice.
 */
class IcebergSinkKillIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int PARTITIONS = 3;
    /** The application's pace: transactions per second on the primary. */
    private static final int WRITES_PER_SECOND = 100;

    @TempDir
    static Path dir;
    static S3Server s3;
    static PostgresNode postgres;

    @BeforeAll
    static void services() {
        s3 = S3Server.start(dir.resolve("s3"));
        try (var client = s3.newClient()) {
            client.createBucket(b -> b.bucket("lake"));
        }
        postgres = PostgresNode.startPrimary(dir.resolve("pg"));
        postgres.createDatabase("iceberg");
    }

    @AfterAll
    static void stopServices() {
        postgres.close();
        s3.close();
    }

    /** The shard's tables, as the router's FleetSchema creates them on PostgreSQL. */
    private static final String[] SCHEMA = {
        "CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, vin text,"
                + " status text, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
        "CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL,"
                + " ts timestamptz NOT NULL, lat double precision, lon double precision, speed_kph double precision,"
                + " PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))"};

    /**
     * An application writing to the shard primary: transactions of one fleet's vehicle upserts and deletes and its
     * telemetry inserts. Change capture turns them into the change events the sink reads.
     */
    private static final class PrimaryWriter implements AutoCloseable {
        final java.sql.Connection db;
        final Random random = new Random(11);
        long seq;

        PrimaryWriter(String jdbcUrl) throws java.sql.SQLException {
            db = java.sql.DriverManager.getConnection(jdbcUrl);
            db.setAutoCommit(false);
        }

        void transaction() throws java.sql.SQLException {
            String tenant = "t" + random.nextInt(2);
            String fleet = "f" + random.nextInt(3);
            try (java.sql.PreparedStatement upsert = db.prepareStatement("INSERT INTO vehicles (tenant_id, fleet_id,"
                    + " vehicle_id, vin, status) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, fleet_id, vehicle_id)"
                    + " DO UPDATE SET status = EXCLUDED.status, updated_at = now()");
                 java.sql.PreparedStatement delete = db.prepareStatement("DELETE FROM vehicles WHERE tenant_id = ?"
                         + " AND fleet_id = ? AND vehicle_id = ?");
                 java.sql.PreparedStatement telemetry = db.prepareStatement("INSERT INTO telemetry VALUES (?, ?, ?, ?,"
                         + " 52.5, 13.4, ?)")) {
                for (int i = 0; i < 4; i++) {
                    String vehicle = "v" + random.nextInt(8);
                    long n = ++seq;
                    if (random.nextInt(5) == 0) {
                        delete.setString(1, tenant);
                        delete.setString(2, fleet);
                        delete.setString(3, vehicle);
                        delete.executeUpdate(); // a delete of a missing row is no change, and no event
                    } else {
                        upsert.setString(1, tenant);
                        upsert.setString(2, fleet);
                        upsert.setString(3, vehicle);
                        upsert.setString(4, "VIN-" + vehicle);
                        upsert.setString(5, "s" + n);
                        upsert.executeUpdate();
                    }
                    telemetry.setString(1, tenant);
                    telemetry.setString(2, fleet);
                    telemetry.setString(3, vehicle);
                    telemetry.setObject(4, java.time.OffsetDateTime.ofInstant(
                            Instant.ofEpochMilli(1_796_000_000_000L + n * 1000), java.time.ZoneOffset.UTC));
                    telemetry.setDouble(5, n / 7.0);
                    telemetry.executeUpdate();
                }
            }
            db.commit();
        }

        /** The rows the primary holds now: key → status (vehicles) and key → speed (telemetry). */
        Map<String, String> rows(String table) throws java.sql.SQLException {
            Map<String, String> out = new TreeMap<>();
            String sql = table.equals("vehicles") ? "SELECT tenant_id, fleet_id, vehicle_id, status FROM vehicles"
                    : "SELECT tenant_id, fleet_id, vehicle_id, ts, speed_kph FROM telemetry";
            try (java.sql.Statement st = db.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    String key = rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3);
                    if (table.equals("vehicles")) {
                        out.put(key, rs.getString(4));
                    } else {
                        out.put(key + "/" + rs.getObject(4, java.time.OffsetDateTime.class).toInstant(),
                                String.valueOf(rs.getDouble(5)));
                    }
                }
            }
            db.commit();
            return out;
        }

        @Override
        public void close() throws java.sql.SQLException {
            db.close();
        }
    }

    /** What a change topic holds: per partition the offset after its last committed record, and the record count. */
    private record TopicContents(Map<Integer, Long> nextOffsets, long records) {
    }

    /** Reads {@code topic} to its end with read_committed. */
    private static TopicContents contents(String bootstrap, String topic) {
        Map<Integer, Long> next = new TreeMap<>();
        long[] records = {0};
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
                new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                        "isolation.level", "read_committed", "enable.auto.commit", "false"),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            Await.condition("reading " + topic + " to its end", WAIT, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    next.put(r.partition(), r.offset() + 1);
                    records[0]++;
                });
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }
        return new TopicContents(next, records[0]);
    }

    @Test
    void sigkillMidCommitUnderLoadNeitherLosesNorRepeatsAChange() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "kill" + id + ".cdc.";
        String namespace = "kill_" + id;
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shardDb = "shard_" + id;
        postgres.createDatabase(shardDb);
        String primaryUrl = postgres.jdbcUrl(shardDb);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(primaryUrl);
             java.sql.Statement st = c.createStatement()) {
            for (String ddl : SCHEMA) {
                st.execute(ddl);
            }
        }
        // change capture of the primary into this test's change topics, as a capture worker runs it
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(Shard.withDefaultTokens("pg-1", ShardStatus.ACTIVE, Engine.POSTGRES, 8),
                new Node("pg-1-a", "pg-1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primaryUrl)), List.of());
        String capturePrefix = "kill" + id;
        CaptureWorker capture = new CaptureWorker(CaptureConfig.builder(bootstrap, capturePrefix + "w")
                .set(CaptureConfig.Key.GROUP_ID, capturePrefix + "cdc")
                .set(CaptureConfig.Key.CHANGE_TOPIC_PREFIX, prefix)
                .set(CaptureConfig.Key.CHANGE_TOPIC_PARTITIONS, PARTITIONS)
                .set(CaptureConfig.Key.ASSIGNMENT_TOPIC, capturePrefix + ".assign")
                .set(CaptureConfig.Key.OFFSETS_TOPIC, capturePrefix + ".offsets")
                .set(CaptureConfig.Key.SCHEMA_HISTORY_TOPIC_PREFIX, capturePrefix + ".history.")
                .set(CaptureConfig.Key.DEAD_LETTER_TOPIC, capturePrefix + ".dlq")
                .set(CaptureConfig.Key.SHARD_LOG_TOPIC_PREFIX, capturePrefix + ".shardlog.")
                .set(CaptureConfig.Key.POLL_INTERVAL_MS, 10)
                .set(CaptureConfig.Key.HEARTBEAT_INTERVAL_MS, 500)
                .credentials("postgres", "").build(), map);
        capture.start();
        try {
            killAndCatchUp(bootstrap, prefix, namespace, primaryUrl);
        } finally {
            capture.close();
        }
    }

    private void killAndCatchUp(String bootstrap, String prefix, String namespace, String primaryUrl) throws Exception {
        Map<String, String> settings = new TreeMap<>(Map.of(
                IcebergSinkConfig.Key.WAREHOUSE.key(), "s3://lake/warehouse",
                IcebergSinkConfig.Key.CATALOG_URI.key(), postgres.jdbcUrl("iceberg"),
                IcebergSinkConfig.Key.TOPIC_PREFIX.key(), prefix,
                IcebergSinkConfig.Key.NAMESPACE.key(), namespace,
                IcebergSinkConfig.Key.GROUP_ID.key(), prefix + "sink",
                IcebergSinkConfig.Key.COMMIT_INTERVAL_MS.key(), "200",
                IcebergSinkConfig.Key.HISTORY_ENABLED.key(), "true",
                IcebergSinkConfig.Key.MAINTENANCE_INTERVAL_MS.key(), "0"));
        settings.putAll(Map.of("catalog.property.s3.endpoint", s3.endpoint().toString(),
                "catalog.property.s3.path-style-access", "true", "catalog.property.s3.access-key-id", s3.accessKey(),
                "catalog.property.s3.secret-access-key", s3.secretKey(), "catalog.property.client.region", "us-east-1"));
        Path tables = s3.dataDir().resolve("lake").resolve("warehouse").resolve(namespace);

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        PrimaryWriter load = new PrimaryWriter(primaryUrl);
        Thread writer = new Thread(() -> {
            try {
                // paced at WRITES_PER_SECOND transactions (8 changes each): a steady load the 2 cores carry beside
                // PostgreSQL, capture and the child sink, instead of a flood that starves the sink's restarts
                long next = System.nanoTime();
                while (writing.get()) {
                    load.transaction();
                    next += 1_000_000_000L / WRITES_PER_SECOND;
                    java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "kill-it-writer");
        writer.start();
        int kills = 0;
        try {
            Await.condition("capture publishes the writer's changes", WAIT, () -> {
                assertThat(writerFailure.get()).isNull();
                return topicExists(bootstrap, prefix + "vehicles") && topicExists(bootstrap, prefix + "telemetry");
            });
            // kill 1 and 2: as soon as a new data file is in S3 (a commit in flight: files written, catalog not yet);
            // kill 3: as soon as a new metadata file is (a table committed, its history table not yet)
            for (String suffix : List.of(".parquet", ".parquet", ".metadata.json")) {
                Set<String> metadataBefore = files(tables, ".metadata.json");
                ChildProcesses.Child sink = ChildProcesses.start("iceberg-sink", bootstrap, dir.resolve("sink"), settings);
                try {
                    Await.condition("the child sink commits", WAIT, () -> {
                        Set<String> now = files(tables, ".metadata.json");
                        now.removeAll(metadataBefore);
                        return now.size() >= 6;
                    });
                    Set<String> before = files(tables, suffix);
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (before.containsAll(files(tables, suffix))) {
                        assertThat(System.nanoTime()).as("a new %s file within %s", suffix, WAIT).isLessThan(deadline);
                        assertThat(writerFailure.get()).isNull();
                    }
                } finally {
                    sink.kill();
                    kills++;
                }
            }
        } finally {
            writing.set(false);
            writer.join(30_000);
        }
        assertThat(writerFailure.get()).isNull();
        assertThat(kills).isEqualTo(3);
        Map<String, String> primaryVehicles = load.rows("vehicles");
        Map<String, String> primaryTelemetry = load.rows("telemetry");
        load.close();
        // every change of the primary is on the topics (capture caught up) before they are read to their ends
        Await.condition("capture publishes the last transaction", WAIT, () -> contents(bootstrap, prefix + "telemetry")
                .records() == primaryTelemetry.size());
        Map<String, TopicContents> topics = Map.of("vehicles", contents(bootstrap, prefix + "vehicles"),
                "telemetry", contents(bootstrap, prefix + "telemetry"));

        IcebergSink last = IcebergSink.open(IcebergSinkConfig.fromMap(withBootstrap(settings, bootstrap)));
        Catalog catalog = IcebergSink.catalogOf(IcebergSinkConfig.fromMap(withBootstrap(settings, bootstrap)));
        try {
            last.start();
            Await.condition("the last sink catches up", WAIT, () -> {
                assertThat(last.failure()).isNull();
                Map<String, TableSinkStatus> s = last.status();
                return caughtUp(s.get("vehicles"), topics.get("vehicles").nextOffsets())
                        && caughtUp(s.get("telemetry"), topics.get("telemetry").nextOffsets());
            });
            Map<String, String> vehicleRows = new TreeMap<>();
            for (Record r : read(catalog, namespace, "vehicles")) {
                assertThat(vehicleRows.put(r.getField("tenant_id") + "/" + r.getField("fleet_id") + "/"
                        + r.getField("vehicle_id"), String.valueOf(r.getField("status")))).isNull();
            }
            Map<String, String> telemetryRows = new TreeMap<>();
            for (Record r : read(catalog, namespace, "telemetry")) {
                String ts = ((java.time.OffsetDateTime) r.getField("ts")).toInstant().toString();
                assertThat(telemetryRows.put(r.getField("tenant_id") + "/" + r.getField("fleet_id") + "/"
                        + r.getField("vehicle_id") + "/" + ts, String.valueOf(r.getField("speed_kph")))).isNull();
            }
            assertThat(checksum(vehicleRows)).as("vehicles").isEqualTo(checksum(primaryVehicles));
            assertThat(checksum(telemetryRows)).as("telemetry").isEqualTo(checksum(primaryTelemetry));
            for (String table : List.of("vehicles", "telemetry")) {
                Set<String> positions = new HashSet<>();
                List<Record> history = read(catalog, namespace, table + "_history");
                history.forEach(r -> assertThat(positions.add(r.getField("_kafka_partition") + "@"
                        + r.getField("_kafka_offset"))).as("each change once in %s_history", table).isTrue());
                assertThat((long) history.size()).as(table + "_history").isEqualTo(topics.get(table).records());
            }
            // the kills did land mid-commit: files of commits that never happened are in S3, referenced by nothing
            assertThat(uncommittedDataFiles(catalog, namespace, tables)).as("data files of interrupted commits")
                    .isPositive();
        } finally {
            last.close();
            if (catalog instanceof Closeable c) {
                c.close();
            }
        }
    }

    private static boolean topicExists(String bootstrap, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin.listTopics().names().get().contains(topic);
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> withBootstrap(Map<String, String> settings, String bootstrap) {
        Map<String, String> m = new HashMap<>(settings);
        m.put(IcebergSinkConfig.Key.BOOTSTRAP_SERVERS.key(), bootstrap);
        return m;
    }

    private static boolean caughtUp(TableSinkStatus s, Map<Integer, Long> written) {
        return s != null && written.entrySet().stream().allMatch(e ->
                s.offsets().getOrDefault(e.getKey(), 0L) >= e.getValue()
                        && s.historyOffsets().getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    /** Names of the files under {@code root} ending in {@code suffix}. */
    private static Set<String> files(Path root, String suffix) {
        while (true) {
            if (!Files.isDirectory(root)) {
                return new HashSet<>();
            }
            try (Stream<Path> s = Files.walk(root)) {
                return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix))
                        .collect(java.util.stream.Collectors.toCollection(HashSet::new));
            } catch (IOException | UncheckedIOException e) {
                // a file vanished while walking (metadata cleanup): look again
            }
        }
    }

    private static List<Record> read(Catalog catalog, String namespace, String table) throws IOException {
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(catalog.loadTable(TableIdentifier.of(namespace, table)))
                .build()) {
            it.forEach(out::add);
        }
        return out;
    }

    /** Parquet files in S3 that no snapshot of the namespace's tables added. */
    private static long uncommittedDataFiles(Catalog catalog, String namespace, Path root) throws IOException {
        Set<String> referenced = new HashSet<>();
        for (String name : List.of("vehicles", "telemetry", "vehicles_history", "telemetry_history")) {
            Table t = catalog.loadTable(TableIdentifier.of(namespace, name));
            for (Snapshot s : t.snapshots()) {
                s.addedDataFiles(t.io()).forEach(f -> referenced.add(fileName(f.location())));
                s.addedDeleteFiles(t.io()).forEach(f -> referenced.add(fileName(f.location())));
            }
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet"))
                    .filter(n -> !referenced.contains(n)).count();
        }
    }

    private static String fileName(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    private static String checksum(Map<String, String> rows) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        rows.forEach((k, v) -> sha.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(sha.digest()) + " (" + rows.size() + " rows)";
    }
}
