package io.fleetshard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.IcebergSinkOffload;
import io.fleetshard.iceberg.TableSinkStatus;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test: rows/s of the cold-data offload (ADR 0023). {@code rows} telemetry rows (4 tenants x 25 fleets x 10
 * vehicles, over {@code days} days, all older than the cut-off) are written to a PostgreSQL shard and, as change
 * events, through a real Kafka broker into the Iceberg sink (S3Proxy, JDBC catalog); once committed, a dry run and
 * then the offload run with {@code batch} rows per delete transaction, unthrottled. Prints the progress lines and the
 * rates; asserts nothing. {@code java ... OffloadBench [rows=200000] [days=2] [batch=1000]}. See docs/benchmarks.md.
 */
public final class OffloadBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long T0 = 1_780_000_000_000L; // 2026-05-28, long before the cut-off

    private OffloadBench() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int days = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Path dir = Files.createTempDirectory("offload-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
             PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             S3Server s3 = S3Server.start(dir.resolve("s3"))) {
            pg.createDatabase("iceberg");
            pg.createDatabase("shard");
            try (var client = s3.newClient()) {
                client.createBucket(b -> b.bucket("lake"));
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("fleetshard.cdc.telemetry", Optional.of(3), Optional.empty())))
                        .all().get();
            }
            String shardUrl = pg.jdbcUrl("shard");
            long t0 = System.nanoTime();
            try (Connection c = DriverManager.getConnection(shardUrl + "&reWriteBatchedInserts=true");
                 KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers())) {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id"
                            + " text NOT NULL, ts timestamptz NOT NULL, lat double precision, lon double precision,"
                            + " speed_kph double precision, PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))");
                }
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    for (int n = 0; n < rows; n++) {
                        String tenant = "t" + (n % 4);
                        String fleet = "f" + (n / 4 % 25);
                        String vehicle = "v" + (n / 100 % 10);
                        Instant ts = Instant.ofEpochMilli(T0 + (long) (n % days) * 86_400_000L + n * 10L);
                        double lat = 52.5 + (n % 1000) / 1e5;
                        double speed = n % 120 + 0.25;
                        ps.setString(1, tenant);
                        ps.setString(2, fleet);
                        ps.setString(3, vehicle);
                        ps.setObject(4, OffsetDateTime.ofInstant(ts, ZoneOffset.UTC));
                        ps.setDouble(5, lat);
                        ps.setDouble(6, 13.4);
                        ps.setDouble(7, speed);
                        ps.addBatch();
                        send(producer, tenant, fleet, vehicle, ts, lat, speed);
                        if (n % 5000 == 4999) {
                            ps.executeBatch();
                            c.commit();
                        }
                    }
                    ps.executeBatch();
                    c.commit();
                }
                producer.flush();
            }
            System.out.printf("setup: %d rows on the shard and in the change topic in %.1f s%n", rows,
                    (System.nanoTime() - t0) / 1e9);
            IcebergSinkConfig config = IcebergSinkConfig.builder(kafka.bootstrapServers(), "s3://lake/warehouse")
                    .set(IcebergSinkConfig.Key.CATALOG_URI, pg.jdbcUrl("iceberg"))
                    .set(IcebergSinkConfig.Key.TABLES, "telemetry")
                    .set(IcebergSinkConfig.Key.COMMIT_INTERVAL_MS, 2_000)
                    .set(IcebergSinkConfig.Key.MAINTENANCE_INTERVAL_MS, 0)
                    .catalogProperty("s3.endpoint", s3.endpoint().toString())
                    .catalogProperty("s3.path-style-access", "true")
                    .catalogProperty("s3.access-key-id", s3.accessKey())
                    .catalogProperty("s3.secret-access-key", s3.secretKey())
                    .catalogProperty("client.region", "us-east-1")
                    .build();
            try (IcebergSink sink = IcebergSink.open(config)) {
                sink.start();
                long deadline = System.nanoTime() + 600_000_000_000L;
                while (true) {
                    TableSinkStatus s = sink.status().get("telemetry");
                    if (s != null && s.offsets().values().stream().mapToLong(Long::longValue).sum() >= rows) {
                        break;
                    }
                    if (System.nanoTime() > deadline || sink.failure() != null) {
                        throw new IllegalStateException("the sink did not commit: " + sink.status(), sink.failure());
                    }
                    Thread.sleep(50);
                }
            }
            Catalog catalog = IcebergSink.catalogOf(config);
            IcebergSinkOffload offload = new IcebergSinkOffload(catalog, "fleetshard",
                    List.of(new IcebergSinkOffload.Shard("pg-1", shardUrl)), System.out::println, Clock.systemUTC());
            Instant cutoff = Instant.ofEpochMilli(T0 + (long) days * 86_400_000L + rows * 10L + 1);
            IcebergSinkOffload.Report dry = offload.run(new IcebergSinkOffload.Request("telemetry", cutoff, true, batch, 0));
            System.out.printf("dry run: %d buckets, %d rows verified in %.1f s (%.0f rows/s verified), %d failed%n",
                    dry.buckets().size(), dry.verifiedRows(), dry.seconds(), dry.verifiedRows() / dry.seconds(),
                    dry.failedBuckets());
            IcebergSinkOffload.Report run = offload.run(new IcebergSinkOffload.Request("telemetry", cutoff, false, batch, 0));
            System.out.printf("offload: %d rows deleted in %.1f s: %.0f rows/s (verification included), batch %d,"
                    + " %d failed buckets%n", run.deletedRows(), run.seconds(), run.rowsPerSecond(), batch,
                    run.failedBuckets());
            if (catalog instanceof AutoCloseable c) {
                c.close();
            }
        }
        System.exit(0);
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        return new KafkaProducer<>(p);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String tenant, String fleet, String vehicle,
                             Instant ts, double lat, double speed) {
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts.toString())
                .put("lat", lat).put("lon", 13.4).put("speed_kph", speed);
        ObjectNode key = JSON.createObjectNode();
        key.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts.toString());
        ObjectNode e = JSON.createObjectNode();
        e.put("version", 1).put("op", "c").put("table", "telemetry").put("tenant", tenant).put("fleet", fleet)
                .put("shard", "pg-1");
        e.set("key", key);
        e.putNull("before");
        e.set("after", row);
        e.put("position", "0/1").put("txId", "1").put("commitTsMs", ts.toEpochMilli())
                .put("captureTsMs", ts.toEpochMilli()).put("mapVersion", 1).put("snapshot", false);
        int partition = Math.floorMod((tenant + "/" + fleet).hashCode(), 3);
        producer.send(new ProducerRecord<>("fleetshard.cdc.telemetry", partition, System.currentTimeMillis(),
                key.toString().getBytes(StandardCharsets.UTF_8), e.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
