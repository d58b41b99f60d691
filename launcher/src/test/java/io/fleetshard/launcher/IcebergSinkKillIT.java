package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.TableSinkStatus;
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
import java.util.Optional;
import java.util.Properties;
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
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, ADR 0017: the Iceberg sink in a child JVM is SIGKILLed mid-commit while changes keep arriving (its data
 * files written to S3, its catalog commit not done; and once right after a table's catalog commit, before its history
 * table's), restarted, killed again; a last sink then catches up. The tables equal the rows the writer left on its
 * "primaries" (the model of every committed transaction) by checksum, and the history holds each change once: nothing
 * lost, nothing applied twice.
 */
class IcebergSinkKillIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int PARTITIONS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** Transactional change events of vehicles (upserts, deletes) and telemetry (inserts), and the rows they leave. */
    private static final class Load implements AutoCloseable {
        final KafkaProducer<byte[], byte[]> producer;
        final String prefix;
        final Random random = new Random(11);
        final Map<String, String> vehicles = new TreeMap<>();
        final Map<String, String> telemetry = new TreeMap<>();
        final Map<String, Map<Integer, Long>> nextOffsets = new HashMap<>();
        final Map<String, Long> events = new HashMap<>();
        long seq;

        Load(String bootstrap, String prefix) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kill-it-" + UUID.randomUUID());
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(p);
            producer.initTransactions();
            this.prefix = prefix;
        }

        /** One source transaction: a fleet's vehicle changes and telemetry, committed; the model follows it. */
        void transaction() throws Exception {
            String tenant = "t" + random.nextInt(2);
            String fleet = "f" + random.nextInt(3);
            int partition = Math.floorMod((tenant + "/" + fleet).hashCode(), PARTITIONS);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            Map<String, String> vehiclesAfter = new HashMap<>();
            List<String> telemetryAfter = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String vehicle = "v" + random.nextInt(8);
                String key = tenant + "/" + fleet + "/" + vehicle;
                boolean exists = vehiclesAfter.containsKey(key) ? vehiclesAfter.get(key) != null : vehicles.containsKey(key);
                long ts = ++seq;
                ObjectNode row = JSON.createObjectNode().put("tenant_id", tenant).put("fleet_id", fleet)
                        .put("vehicle_id", vehicle);
                if (exists && random.nextInt(4) == 0) {
                    records.add(record("vehicles", partition, "d", row, null, ts));
                    vehiclesAfter.put(key, null);
                } else {
                    String status = "s" + ts;
                    ObjectNode after = row.deepCopy().put("vin", "VIN-" + vehicle).put("status", status)
                            .put("updated_at", Instant.ofEpochMilli(1_796_000_000_000L + ts).toString());
                    records.add(record("vehicles", partition, exists ? "u" : "c", exists ? row : null, after, ts));
                    vehiclesAfter.put(key, status);
                }
                String when = Instant.ofEpochMilli(1_796_000_000_000L + ts * 1000).toString();
                ObjectNode t = JSON.createObjectNode().put("tenant_id", tenant).put("fleet_id", fleet)
                        .put("vehicle_id", vehicle).put("ts", when).put("lat", 52.5).put("lon", 13.4)
                        .put("speed_kph", (double) ts);
                records.add(record("telemetry", partition, "c", null, t, ts));
                telemetryAfter.add(key + "/" + when + "=" + (double) ts);
            }
            producer.beginTransaction();
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> r : records) {
                sent.add(producer.send(r));
            }
            producer.commitTransaction();
            for (java.util.concurrent.Future<RecordMetadata> f : sent) {
                RecordMetadata m = f.get();
                String table = m.topic().substring(prefix.length());
                nextOffsets.computeIfAbsent(table, k -> new TreeMap<>()).merge(m.partition(), m.offset() + 1, Math::max);
                events.merge(table, 1L, Long::sum);
            }
            vehiclesAfter.forEach((k, v) -> {
                if (v == null) {
                    vehicles.remove(k);
                } else {
                    vehicles.put(k, v);
                }
            });
            for (String t : telemetryAfter) {
                int eq = t.lastIndexOf('=');
                telemetry.put(t.substring(0, eq), t.substring(eq + 1));
            }
        }

        private ProducerRecord<byte[], byte[]> record(String table, int partition, String op, ObjectNode before,
                                                      ObjectNode after, long ts) {
            ObjectNode image = after != null ? after : before;
            ObjectNode key = JSON.createObjectNode();
            List<String> keyColumns = table.equals("vehicles") ? List.of("tenant_id", "fleet_id", "vehicle_id")
                    : List.of("tenant_id", "fleet_id", "vehicle_id", "ts");
            keyColumns.forEach(k -> key.set(k, image.get(k)));
            ObjectNode e = JSON.createObjectNode().put("version", 1).put("op", op).put("table", table)
                    .put("tenant", image.get("tenant_id").asText()).put("fleet", image.get("fleet_id").asText())
                    .put("shard", "pg-1");
            e.set("key", key);
            e.set("before", before);
            e.set("after", after);
            e.putObject("source").put("engine", "postgres").put("db", "fleet");
            e.put("position", "0/" + Long.toHexString(ts)).put("txId", Long.toString(ts)).put("commitTsMs", ts)
                    .put("captureTsMs", ts).put("mapVersion", 1).put("snapshot", false);
            return new ProducerRecord<>(prefix + table, partition, System.currentTimeMillis(), key.toString().getBytes(StandardCharsets.UTF_8),
                    e.toString().getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    @Test
    void sigkillMidCommitUnderLoadNeitherLosesNorRepeatsAChange() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "kill" + id + ".cdc.";
        String namespace = "kill_" + id;
        String bootstrap = SharedKafka.get().bootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(prefix + "vehicles", Optional.of(PARTITIONS), Optional.empty()),
                    new NewTopic(prefix + "telemetry", Optional.of(PARTITIONS), Optional.empty()))).all().get();
        }
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
        Load load = new Load(bootstrap, prefix);
        Thread writer = new Thread(() -> {
            try {
                while (writing.get()) {
                    load.transaction();
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "kill-it-writer");
        writer.start();
        int kills = 0;
        try {
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
            load.close();
        }
        assertThat(writerFailure.get()).isNull();
        assertThat(kills).isEqualTo(3);

        IcebergSink last = IcebergSink.open(IcebergSinkConfig.fromMap(withBootstrap(settings, bootstrap)));
        Catalog catalog = IcebergSink.catalogOf(IcebergSinkConfig.fromMap(withBootstrap(settings, bootstrap)));
        try {
            last.start();
            Await.condition("the last sink catches up", WAIT, () -> {
                assertThat(last.failure()).isNull();
                Map<String, TableSinkStatus> s = last.status();
                return caughtUp(s.get("vehicles"), load.nextOffsets.get("vehicles"))
                        && caughtUp(s.get("telemetry"), load.nextOffsets.get("telemetry"));
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
            assertThat(checksum(vehicleRows)).as("vehicles").isEqualTo(checksum(load.vehicles));
            assertThat(checksum(telemetryRows)).as("telemetry").isEqualTo(checksum(load.telemetry));
            for (String table : List.of("vehicles", "telemetry")) {
                Set<String> positions = new HashSet<>();
                List<Record> history = read(catalog, namespace, table + "_history");
                history.forEach(r -> assertThat(positions.add(r.getField("_kafka_partition") + "@"
                        + r.getField("_kafka_offset"))).as("each change once in %s_history", table).isTrue());
                assertThat((long) history.size()).as(table + "_history").isEqualTo(load.events.get(table));
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
