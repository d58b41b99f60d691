package io.fleetshard.iceberg.sql;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
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
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark SQL reads the tables the real iceberg-sink wrote (real Kafka, S3 API server and PostgreSQL JDBC catalog) and
 * sees exactly what Iceberg's generic reader sees: the current rows after updates and deletes (equality deletes
 * applied by another engine), the telemetry partitions, the history.
 */
class IcebergSqlIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_796_000_000_000L; // 2026-12-01
    private static final long DAY_MS = 86_400_000L;

    @TempDir
    static Path dir;
    static S3Server s3;
    static PostgresNode postgres;
    static IcebergSink sink;
    static Catalog catalog;
    static String namespace;

    @BeforeAll
    static void tablesWrittenByTheSink() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        try (var client = s3.newClient()) {
            client.createBucket(b -> b.bucket("lake"));
        }
        postgres = PostgresNode.startPrimary(dir.resolve("pg"));
        postgres.createDatabase("iceberg");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String prefix = "sql" + id + ".cdc.";
        namespace = "sql_" + id;
        String bootstrap = SharedKafka.get().bootstrapServers();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(prefix + "vehicles", Optional.of(2), Optional.empty()),
                    new NewTopic(prefix + "telemetry", Optional.of(2), Optional.empty()))).all().get();
        }
        IcebergSinkConfig config = IcebergSinkConfig.builder(bootstrap, "s3://lake/warehouse")
                .set(IcebergSinkConfig.Key.CATALOG_URI, postgres.jdbcUrl("iceberg"))
                .set(IcebergSinkConfig.Key.TOPIC_PREFIX, prefix)
                .set(IcebergSinkConfig.Key.NAMESPACE, namespace)
                .set(IcebergSinkConfig.Key.GROUP_ID, prefix + "sink")
                .set(IcebergSinkConfig.Key.COMMIT_INTERVAL_MS, 500)
                .set(IcebergSinkConfig.Key.HISTORY_ENABLED, "true")
                .catalogProperty("s3.endpoint", s3.endpoint().toString())
                .catalogProperty("s3.path-style-access", "true")
                .catalogProperty("s3.access-key-id", s3.accessKey())
                .catalogProperty("s3.secret-access-key", s3.secretKey())
                .catalogProperty("client.region", "us-east-1")
                .build();
        catalog = IcebergSink.catalogOf(config);
        sink = IcebergSink.open(config);
        sink.start();

        Map<String, Long> vehicleEnds = new TreeMap<>();
        Map<String, Long> telemetryEnds = new TreeMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            long ts = T0;
            // first commit: 2 tenants x 3 fleets x 4 vehicles
            for (String tenant : List.of("acme", "globex")) {
                for (String fleet : List.of("trucks", "vans", "ships")) {
                    for (int v = 1; v <= 4; v++) {
                        send(producer, prefix, envelope("vehicles", "c", null,
                                vehicle(tenant, fleet, fleet + "-" + v, "idle"), ts++), vehicleEnds);
                    }
                }
            }
            for (int i = 0; i < 300; i++) {
                String tenant = i % 3 == 0 ? "globex" : "acme";
                String fleet = i % 2 == 0 ? "trucks" : "vans";
                send(producer, prefix, envelope("telemetry", "c", null, telemetry(tenant, fleet, fleet + "-" + (i % 4 + 1),
                        Instant.ofEpochMilli(T0 + (i / 7 % 3) * DAY_MS + i * 1000L).toString(), 40 + i % 70), ts++),
                        telemetryEnds);
            }
            awaitCommitted("vehicles", prefix, vehicleEnds);
            // then, in later commits: updates (each an equality delete + a new row) and deletes
            for (int v = 1; v <= 4; v++) {
                ObjectNode before = vehicle("acme", "trucks", "trucks-" + v, "idle");
                send(producer, prefix, envelope("vehicles", "u", before, vehicle("acme", "trucks", "trucks-" + v,
                        v % 2 == 0 ? "moving" : "parked"), ts++), vehicleEnds);
            }
            send(producer, prefix, envelope("vehicles", "d", vehicle("globex", "ships", "ships-2", "idle"), null, ts++),
                    vehicleEnds);
            send(producer, prefix, envelope("vehicles", "d", vehicle("acme", "vans", "vans-4", "idle"), null, ts++),
                    vehicleEnds);
            awaitCommitted("vehicles", prefix, vehicleEnds);
            send(producer, prefix, envelope("vehicles", "u", vehicle("acme", "trucks", "trucks-1", "parked"),
                    vehicle("acme", "trucks", "trucks-1", "moving"), ts++), vehicleEnds);
        }
        awaitCommitted("vehicles", prefix, vehicleEnds);
        awaitCommitted("telemetry", prefix, telemetryEnds);
    }

    @AfterAll
    static void stop() throws Exception {
        if (sink != null) {
            sink.close();
        }
        if (catalog instanceof AutoCloseable c) {
            c.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void sparkSqlSeesTheSameRowsAsIcebergsGenericReader() {
        try (SparkSql spark = SparkSql.open(engineConfig())) {
            // vehicles: updates and deletes are equality deletes; Spark must apply them as the generic reader does
            List<String> generic = new ArrayList<>();
            for (Record r : read("vehicles")) {
                generic.add(r.getField("tenant_id") + "/" + r.getField("fleet_id") + "/" + r.getField("vehicle_id") + "="
                        + r.getField("status"));
            }
            List<String> sparkRows = new ArrayList<>();
            for (List<Object> row : spark.query("select tenant_id, fleet_id, vehicle_id, status from vehicles",
                    10_000).rows()) {
                sparkRows.add(row.get(0) + "/" + row.get(1) + "/" + row.get(2) + "=" + row.get(3));
            }
            assertThat(sparkRows).hasSize(22).containsExactlyInAnyOrderElementsOf(generic)
                    .contains("acme/trucks/trucks-1=moving", "acme/trucks/trucks-2=moving",
                            "acme/trucks/trucks-3=parked", "globex/ships/ships-1=idle")
                    .doesNotContain("globex/ships/ships-2=idle", "acme/vans/vans-4=idle");
            assertThat(table("vehicles").currentSnapshot().summary()).containsKey("total-equality-deletes");

            // telemetry: a per-tenant, per-day aggregate over the partitioned table, by both readers
            Map<String, String> genericAgg = new TreeMap<>();
            Map<String, double[]> sums = new TreeMap<>();
            for (Record r : read("telemetry")) {
                String day = r.getField("ts").toString().substring(0, 10);
                double[] s = sums.computeIfAbsent(r.getField("tenant_id") + " " + day, k -> new double[2]);
                s[0]++;
                s[1] += (Double) r.getField("speed_kph");
            }
            sums.forEach((k, s) -> genericAgg.put(k, (long) s[0] + " " + s[1]));
            Map<String, String> sparkAgg = new TreeMap<>();
            for (List<Object> row : spark.query("select tenant_id, cast(date(ts) as string), count(*), sum(speed_kph)"
                    + " from telemetry group by 1, 2", 10_000).rows()) {
                sparkAgg.put(row.get(0) + " " + row.get(1), row.get(2) + " " + row.get(3));
            }
            assertThat(genericAgg).hasSize(6);
            assertThat(sparkAgg).isEqualTo(genericAgg);

            // a partition-pruned scan, as analysts run it: one tenant, one day
            long oneDay = (Long) spark.query("select count(*) from telemetry where tenant_id = 'acme'"
                    + " and ts >= timestamp '2026-12-01 00:00:00' and ts < timestamp '2026-12-02 00:00:00'", 1)
                    .rows().get(0).get(0);
            assertThat(oneDay).isEqualTo(Long.parseLong(genericAgg.get("acme 2026-12-01").split(" ")[0]));

            // history: every change once
            assertThat(spark.query("select count(*) from vehicles_history", 1).rows().get(0).get(0))
                    .isEqualTo((long) read("vehicles_history").size()).isEqualTo(24L + 4 + 2 + 1);
        }
    }

    /**
     * The command as {@code fleetshard sql} runs it: a JVM of its own on exactly the module's runtime classpath file
     * (what the launcher starts), so a jar the tests have and the command lacks shows here.
     */
    @Test
    void theCommandPrintsTheResultAsTabSeparatedValuesInAJvmOfItsOwn() throws Exception {
        SqlEngineConfig c = engineConfig();
        List<String> where = List.of("--catalog-uri", c.catalogUri(), "--warehouse", c.warehouse(), "--namespace",
                namespace, "--s3-endpoint", c.s3Endpoint());
        ProcessResult ok = runCommand(where, "--format", "tsv", "select status, count(*) as n from vehicles"
                + " where tenant_id = 'acme' group by status order by status");
        assertThat(ok.exit()).as(ok.err()).isZero();
        // acme: 12 vehicles, vans-4 deleted; trucks-1,2,4 moving, trucks-3 parked
        assertThat(ok.out()).isEqualTo("status\tn\nidle\t7\nmoving\t3\nparked\t1\n");
        assertThat(ok.err()).contains("(3 rows; engine start");

        ProcessResult bad = runCommand(where, "select nope from vehicles");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("fleetshard sql:", "nope");
        assertThat(runCommand(where, "--format", "csv", "select 1").exit()).isEqualTo(2);
    }

    record ProcessResult(int exit, String out, String err) {
    }

    private static ProcessResult runCommand(List<String> where, String... rest) throws Exception {
        Path target = Path.of("target");
        String classpath = target.resolve("classes").toAbsolutePath() + java.io.File.pathSeparator
                + java.nio.file.Files.readString(target.resolve("classpath.txt")).strip();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")));
        command.addAll(List.of(System.getProperty("spark.jvm.options").trim().split("\\s+")));
        command.addAll(List.of("-cp", classpath, IcebergSql.class.getName()));
        command.addAll(where);
        command.addAll(List.of(rest));
        Path out = dir.resolve("out-" + UUID.randomUUID());
        Path err = dir.resolve("err-" + UUID.randomUUID());
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put(IcebergSql.ACCESS_KEY_ENV, s3.accessKey());
        pb.environment().put(IcebergSql.SECRET_KEY_ENV, s3.secretKey());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fleetshard sql did not finish in 120 s: " + command);
        }
        return new ProcessResult(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
    }

    private static SqlEngineConfig engineConfig() {
        return new SqlEngineConfig("fleetshard", postgres.jdbcUrl("iceberg"), "s3://lake/warehouse", namespace,
                s3.endpoint().toString(), "us-east-1", s3.accessKey(), s3.secretKey());
    }

    private static Table table(String name) {
        return catalog.loadTable(TableIdentifier.of(namespace, name));
    }

    private static List<Record> read(String name) {
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table(name)).build()) {
            it.forEach(out::add);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private static void awaitCommitted(String table, String prefix, Map<String, Long> ends) {
        Await.condition(table + " committed up to " + ends, Duration.ofSeconds(60), () -> {
            TableSinkStatus s = sink.status().get(table);
            if (s == null) {
                return false;
            }
            for (Map.Entry<String, Long> e : ends.entrySet()) {
                int partition = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('-') + 1));
                if (!e.getKey().startsWith(prefix + table + "-")) {
                    continue;
                }
                if (s.offsets().getOrDefault(partition, 0L) <= e.getValue()
                        || s.historyOffsets().getOrDefault(partition, 0L) <= e.getValue()) {
                    return false;
                }
            }
            return true;
        });
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String prefix, ObjectNode e,
            Map<String, Long> ends) throws InterruptedException, ExecutionException {
        String topic = prefix + e.get("table").asText();
        int partition = Math.floorMod((e.get("tenant").asText() + "/" + e.get("fleet").asText()).hashCode(), 2);
        var meta = producer.send(new ProducerRecord<>(topic, partition, e.get("commitTsMs").asLong(),
                e.get("key").toString().getBytes(StandardCharsets.UTF_8),
                e.toString().getBytes(StandardCharsets.UTF_8))).get();
        ends.merge(topic + "-" + meta.partition(), meta.offset(), Math::max);
    }

    private static ObjectNode vehicle(String tenant, String fleet, String vehicle, String status) {
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("vin", "VIN-" + vehicle)
                .put("status", status).put("updated_at", "2026-12-05T10:15:30.123456Z");
        return row;
    }

    private static ObjectNode telemetry(String tenant, String fleet, String vehicle, String ts, double speed) {
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts)
                .put("lat", 52.5).put("lon", 13.4).put("speed_kph", speed);
        return row;
    }

    /** A change envelope of docs/spec/change-events.md (version 1). */
    private static ObjectNode envelope(String table, String op, ObjectNode before, ObjectNode after, long commitTsMs) {
        ObjectNode image = after != null ? after : before;
        List<String> keyColumns = table.equals("vehicles") ? List.of("tenant_id", "fleet_id", "vehicle_id")
                : List.of("tenant_id", "fleet_id", "vehicle_id", "ts");
        ObjectNode key = JSON.createObjectNode();
        keyColumns.forEach(k -> key.set(k, image.get(k)));
        ObjectNode e = JSON.createObjectNode();
        e.put("version", 1).put("op", op).put("table", table).put("tenant", image.path("tenant_id").asText())
                .put("fleet", image.path("fleet_id").asText()).put("shard", "pg-1");
        e.set("key", key);
        e.set("before", before);
        e.set("after", after);
        ObjectNode source = e.putObject("source");
        source.put("engine", "postgres").put("db", "shard1").put("lsn", "0/16B3748").put("lsnNumeric", 23803720L);
        e.put("position", "0/16B3748").put("txId", "7" + commitTsMs % 1000).put("commitTsMs", commitTsMs)
                .put("captureTsMs", commitTsMs + 5).put("mapVersion", 3).put("snapshot", false);
        return e;
    }
}
