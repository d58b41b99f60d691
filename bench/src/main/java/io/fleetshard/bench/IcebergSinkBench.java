package io.fleetshard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.IcebergSinkMaintenance;
import io.fleetshard.iceberg.TableSinkStatus;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test: the Iceberg sink's throughput and commit cadence (issue 11), on a real Kafka broker, S3Proxy and a
 * PostgreSQL JDBC catalog, with telemetry change events (insert-only, partitioned by tenant and day).
 * <ol>
 *   <li>backlog: {@code backlog} events are in the topic before the sink starts; events/s = backlog / time until all
 *       are committed;</li>
 *   <li>steady: {@code rate} events/s for {@code seconds}; per commit of the sink (from the table's snapshots): the
 *       interval since the previous one and the events it carried, and the lag of the last event at the end;</li>
 *   <li>a per-fleet day scan with Iceberg's generic reader before and after a compaction of the small files.</li>
 * </ol>
 * {@code java ... IcebergSinkBench [backlog=200000] [rate=5000] [seconds=60] [commit.interval.ms=10000]}; prints
 * results, asserts nothing. See docs/benchmarks.md.
 */
public final class IcebergSinkBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    private static final long T0 = 1_796_000_000_000L;

    private IcebergSinkBench() {
    }

    public static void main(String[] args) throws Exception {
        int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        long commitMs = args.length > 3 ? Long.parseLong(args[3]) : 10_000;
        Path dir = Files.createTempDirectory("iceberg-sink-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
             PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             S3Server s3 = S3Server.start(dir.resolve("s3"))) {
            pg.createDatabase("iceberg");
            try (var client = s3.newClient()) {
                client.createBucket(b -> b.bucket("lake"));
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("fleetshard.cdc.telemetry", Optional.of(PARTITIONS),
                        Optional.empty()))).all().get();
            }
            IcebergSinkConfig config = IcebergSinkConfig.builder(kafka.bootstrapServers(), "s3://lake/warehouse")
                    .set(IcebergSinkConfig.Key.CATALOG_URI, pg.jdbcUrl("iceberg"))
                    .set(IcebergSinkConfig.Key.TABLES, "telemetry")
                    .set(IcebergSinkConfig.Key.COMMIT_INTERVAL_MS, commitMs)
                    .set(IcebergSinkConfig.Key.MAINTENANCE_INTERVAL_MS, 0)
                    .catalogProperty("s3.endpoint", s3.endpoint().toString())
                    .catalogProperty("s3.path-style-access", "true")
                    .catalogProperty("s3.access-key-id", s3.accessKey())
                    .catalogProperty("s3.secret-access-key", s3.secretKey())
                    .catalogProperty("client.region", "us-east-1")
                    .build();
            try (KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers())) {
                long t0 = System.nanoTime();
                for (int i = 0; i < backlog; i++) {
                    send(producer, i);
                }
                producer.flush();
                System.out.printf("backlog: %d events written in %.1f s%n", backlog, (System.nanoTime() - t0) / 1e9);

                try (IcebergSink sink = IcebergSink.open(config)) {
                    long start = System.nanoTime();
                    sink.start();
                    awaitCommitted(sink, backlog);
                    double s = (System.nanoTime() - start) / 1e9;
                    System.out.printf("backlog: %d events committed in %.1f s (sink start included): %.0f events/s%n",
                            backlog, s, backlog / s);

                    long steadyStartMs = System.currentTimeMillis();
                    long next = System.nanoTime();
                    int sent = backlog;
                    long end = System.nanoTime() + seconds * 1_000_000_000L;
                    while (System.nanoTime() < end) {
                        for (int i = 0; i < rate / 100; i++) {
                            send(producer, sent++);
                        }
                        next += 10_000_000L;
                        long sleep = next - System.nanoTime();
                        if (sleep > 0) {
                            Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                        }
                    }
                    producer.flush();
                    long producedAt = System.nanoTime();
                    awaitCommitted(sink, sent);
                    System.out.printf("steady: %d events at %d/s for %d s; the last committed %.1f s after it was"
                            + " written%n", sent - backlog, rate, seconds, (System.nanoTime() - producedAt) / 1e9);
                    Catalog catalog = IcebergSink.catalogOf(config);
                    Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "telemetry"));
                    List<Snapshot> commits = new ArrayList<>();
                    for (Snapshot snap : table.snapshots()) {
                        if (snap.timestampMillis() >= steadyStartMs) {
                            commits.add(snap);
                        }
                    }
                    long prev = steadyStartMs;
                    long maxGap = 0;
                    for (Snapshot snap : commits) {
                        long gap = snap.timestampMillis() - prev;
                        maxGap = Math.max(maxGap, gap);
                        System.out.printf("  commit at +%5.1f s: %6s events, %s data files, interval %.1f s%n",
                                (snap.timestampMillis() - steadyStartMs) / 1e3, snap.summary().get("fleetshard.events"),
                                snap.summary().get("added-data-files"), gap / 1e3);
                        prev = snap.timestampMillis();
                    }
                    System.out.printf("steady: %d commits, longest interval %.1f s (commit.interval.ms=%d)%n",
                            commits.size(), maxGap / 1e3, commitMs);

                    // a per-fleet day scan (Iceberg's generic reader), before and after a compaction
                    Expression fleetDay = Expressions.and(Expressions.equal("tenant_id", "t0"),
                            Expressions.equal("fleet_id", "f0"),
                            Expressions.greaterThanOrEqual("ts", "2026-11-30T00:00:00Z"),
                            Expressions.lessThan("ts", "2026-12-01T00:00:00Z"));
                    scan("before compaction", table, fleetDay);
                    long c0 = System.nanoTime();
                    IcebergSinkMaintenance m = sink.maintain().get("fleetshard.telemetry");
                    System.out.printf("compaction: %d partitions, %d files into %d, %d rows, in %.1f s%n",
                            m.partitionsCompacted(), m.dataFilesRemoved(), m.dataFilesAdded(), m.rowsRewritten(),
                            (System.nanoTime() - c0) / 1e9);
                    table.refresh();
                    scan("after compaction", table, fleetDay);
                    if (catalog instanceof AutoCloseable c) {
                        c.close();
                    }
                }
            }
        }
        System.exit(0); // DynamoDB-free, but Kafka's and S3Proxy's threads may linger
    }

    private static void scan(String when, Table table, Expression filter) throws Exception {
        int files = 0;
        try (var tasks = table.newScan().filter(filter).planFiles()) {
            for (var ignored : tasks) {
                files++;
            }
        }
        List<Long> micros = new ArrayList<>();
        long rows = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            rows = 0;
            try (CloseableIterable<Record> it = IcebergGenerics.read(table).where(filter).build()) {
                for (Record ignored : it) {
                    rows++;
                }
            }
            micros.add((System.nanoTime() - t0) / 1_000);
        }
        java.util.Collections.sort(micros);
        System.out.printf("per-fleet day scan %s: %d rows from %d data files, median %.0f ms (min %.0f, max %.0f) of 5%n",
                when, rows, files, micros.get(2) / 1e3, micros.get(0) / 1e3, micros.get(4) / 1e3);
    }

    private static void awaitCommitted(IcebergSink sink, long events) throws InterruptedException {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (System.nanoTime() < deadline) {
            TableSinkStatus s = sink.status().get("telemetry");
            if (s != null && s.offsets().values().stream().mapToLong(Long::longValue).sum() >= events) {
                return;
            }
            if (sink.failure() != null) {
                throw new IllegalStateException("the sink failed", sink.failure());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("not committed within 10 min: " + sink.status());
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

    /** Event {@code n}: telemetry of one of 4 tenants x 25 fleets x 10 vehicles, spread over 2 days. */
    private static void send(KafkaProducer<byte[], byte[]> producer, int n) {
        String tenant = "t" + (n % 4);
        String fleet = "f" + (n / 4 % 25);
        String vehicle = "v" + (n / 100 % 10);
        String ts = Instant.ofEpochMilli(T0 + (n % 2) * 86_400_000L + n).toString();
        ObjectNode row = JSON.createObjectNode();
        row.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts)
                .put("lat", 52.5).put("lon", 13.4).put("speed_kph", n % 120);
        ObjectNode key = JSON.createObjectNode();
        key.put("tenant_id", tenant).put("fleet_id", fleet).put("vehicle_id", vehicle).put("ts", ts);
        ObjectNode e = JSON.createObjectNode();
        e.put("version", 1).put("op", "c").put("table", "telemetry").put("tenant", tenant).put("fleet", fleet)
                .put("shard", "pg-1");
        e.set("key", key);
        e.putNull("before");
        e.set("after", row);
        e.putObject("source").put("engine", "postgres").put("db", "bench").put("lsn", "0/1").put("lsnNumeric", n);
        e.put("position", "0/1").put("txId", Integer.toString(n)).put("commitTsMs", T0 + n).put("captureTsMs", T0 + n)
                .put("mapVersion", 1).put("snapshot", false);
        int partition = Math.floorMod((tenant + "/" + fleet).hashCode(), PARTITIONS);
        producer.send(new ProducerRecord<>("fleetshard.cdc.telemetry", partition, T0 + n,
                key.toString().getBytes(StandardCharsets.UTF_8), e.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
