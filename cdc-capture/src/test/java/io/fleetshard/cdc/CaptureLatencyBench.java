package io.fleetshard.cdc;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Not a test: commit → visible to a {@code read_committed} consumer, p50/p99, at 1k and 5k events/s, and sustained
 * events/s, for one PostgreSQL and one MariaDB shard, everything (Kafka, database, worker, writer, reader) in this JVM.
 * Prints results; asserts nothing. Run: see docs/benchmarks.md.
 */
public final class CaptureLatencyBench {
    private static final int RATE_SECONDS = 10;
    private static final int SUSTAINED_ROWS = Integer.getInteger("bench.sustained.rows", 50_000);

    private CaptureLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("cdc-bench");
        String bootstrap = SharedKafka.get().bootstrapServers();
        List<String> report = new ArrayList<>();
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            List<Engine> engines = args.length > 0 ? Arrays.stream(args[0].split(",")).map(Engine::valueOf).toList()
                    : List.of(Engine.POSTGRES, Engine.MARIADB);
            List<Integer> rates = args.length > 1 ? Arrays.stream(args[1].split(",")).map(Integer::valueOf).toList()
                    : List.of(1_000, 5_000);
            for (Engine engine : engines) {
                String prefix = CdcTestSupport.unique("bench" + engine.name().toLowerCase());
                String url;
                if (engine == Engine.POSTGRES) {
                    pg.createDatabase(prefix);
                    url = pg.jdbcUrl(prefix);
                    CdcTestSupport.createPostgresSchema(url);
                } else {
                    maria.createDatabase(prefix);
                    url = maria.jdbcUrl(prefix);
                    CdcTestSupport.createMariaDbSchema(url);
                }
                InMemoryShardMap map = new InMemoryShardMap();
                CdcTestSupport.addShard(map, prefix + "-s", engine, url);
                CaptureConfig config = CdcTestSupport.config(bootstrap, "bench", prefix)
                        .credentials(engine == Engine.POSTGRES ? "postgres" : "root", "")
                        .set(CaptureConfig.Key.HEARTBEAT_INTERVAL_MS, 5_000).build();
                ChangeTopics.ensure(config); // before the reader looks up the topic's partitions
                try (CaptureWorker worker = new CaptureWorker(config, map);
                     Reader reader = new Reader(bootstrap, config.changeTopic("telemetry"))) {
                    worker.start();
                    long seq = 0;
                    seq = run(url, reader, seq, 200, 2); // warm-up
                    if (!reader.seen(seq - 1)) {
                        throw new IllegalStateException(engine + ": warm-up rows never became visible; status " + worker.status());
                    }
                    for (int rate : rates) {
                        reader.latenciesNs.clear();
                        long first = seq;
                        long txBefore = kafkaTransactions(bootstrap, config.offsetsTopic());
                        long cpuBefore = cpuNs();
                        seq = run(url, reader, seq, rate, RATE_SECONDS);
                        long cpuNs = cpuNs() - cpuBefore;
                        long[] l = reader.latencies(first, seq);
                        io.micrometer.core.instrument.distribution.HistogramSnapshot internal = worker.meterRegistry()
                                .get("fleetshard.cdc.commit.lag").timer().takeSnapshot();
                        long txNow = kafkaTransactions(bootstrap, config.offsetsTopic());
                        report.add(String.format("%-8s %5d ev/s offered: %6d events in %d Kafka transactions, commit->visible p50 %7.1f ms, p99 %7.1f ms, max %7.1f ms"
                                        + ", JVM CPU %.0f us/event (worker's own commit.lag meter, cumulative: p50 %.0f ms, p99 %.0f ms, max %.0f ms)",
                                engine, rate, l.length, txNow - txBefore, pct(l, 50), pct(l, 99), l.length == 0 ? 0 : l[l.length - 1] / 1e6,
                                cpuNs / 1e3 / Math.max(1, l.length),
                                internal.percentileValues()[0].value(TimeUnit.MILLISECONDS),
                                internal.percentileValues()[1].value(TimeUnit.MILLISECONDS), internal.max(TimeUnit.MILLISECONDS)));
                        System.out.println(report.get(report.size() - 1));
                    }
                    long first = seq;
                    long startNs = System.nanoTime();
                    long cpuStart = cpuNs();
                    Map<String, Long> threadsStart = threadCpuNs();
                    seq = write(url, seq, SUSTAINED_ROWS, 500, 0, reader);
                    long writtenNs = System.nanoTime();
                    long last = seq - 1;
                    while (!reader.seen(last) && System.nanoTime() - startNs < TimeUnit.MINUTES.toNanos(5)) {
                        Thread.onSpinWait();
                        Thread.sleep(1);
                    }
                    long endNs = System.nanoTime();
                    long cpuEnd = cpuNs();
                    Map<String, Long> threadsEnd = threadCpuNs();
                    report.add(String.format("%-8s sustained: %d rows in transactions of 500, written in %.1f s (%.0f rows/s), "
                                    + "all visible after %.1f s = %.0f events/s captured, JVM CPU %.0f us/event",
                            engine, seq - first, (writtenNs - startNs) / 1e9, (seq - first) / ((writtenNs - startNs) / 1e9),
                            (endNs - startNs) / 1e9, (seq - first) / ((endNs - startNs) / 1e9),
                            (cpuEnd - cpuStart) / 1e3 / (seq - first)));
                    System.out.println(report.get(report.size() - 1));
                    StringBuilder roles = new StringBuilder(
                            String.format("%-8s sustained, CPU us/event by thread:", engine));
                    long events = seq - first;
                    threadsEnd.forEach((role, ns) -> roles.append(String.format(" %s %.1f", role,
                            (ns - threadsStart.getOrDefault(role, 0L)) / 1e3 / events)));
                    report.add(roles.toString());
                    System.out.println(roles);
                }
            }
        }
        System.out.println("\n=== CaptureLatencyBench (" + Runtime.getRuntime().availableProcessors() + " cores) ===");
        report.forEach(System.out::println);
        System.exit(0);
    }

    /**
     * CPU time of this whole JVM (worker, Kafka broker, writer, reader): per event it is a measure of work that a
     * shared machine's load barely disturbs, unlike latency (used for A/B runs of capture changes).
     */
    private static long cpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU time of the JVM's live threads by role: Debezium's log-reading thread ({@code streaming}: one per shard, so
     * its time per event bounds a shard's rate), the rest of the capture worker ({@code capture}: the engine's poll
     * thread that maps and sends, the producer's I/O), the bench's writer and reader, and the broker with the JVM's
     * own threads.
     */
    private static Map<String, Long> threadCpuNs() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> byRole = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            long ns = info == null ? -1 : mx.getThreadCpuTime(info.getThreadId());
            if (ns >= 0) {
                byRole.merge(role(info.getThreadName()), ns, Long::sum);
            }
        }
        return byRole;
    }

    private static String role(String thread) {
        if (thread.contains("change-event-source-coordinator")) {
            return "streaming";
        }
        if (thread.startsWith("pool-") || thread.contains("fleetshard-cdc") || thread.contains("debezium")) {
            return "capture";
        }
        return thread.equals("main") || thread.equals("bench-reader") ? "bench" : "broker+jvm";
    }

    /** Writes at {@code rate} rows/s for {@code seconds}, in a transaction every 10 ms; waits until all are visible. */
    private static long run(String url, Reader reader, long seq, int rate, int seconds) throws Exception {
        int perTx = Math.max(1, rate / 100);
        long end = write(url, seq, rate * seconds, perTx, 10, reader);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!reader.seen(end - 1) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return end;
    }

    private static long write(String url, long seq, int rows, int perTx, long periodMs, Reader reader) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("INSERT INTO telemetry VALUES ('t1', ?, 'bench', ?, 1.0, 2.0, ?)")) {
            c.setAutoCommit(false);
            long next = System.nanoTime();
            for (int i = 0; i < rows; i += perTx) {
                int n = Math.min(perTx, rows - i);
                for (int j = 0; j < n; j++) {
                    ps.setString(1, "f" + (seq % 8));
                    ps.setTimestamp(2, new Timestamp(1_700_000_000_000L + seq));
                    ps.setFloat(3, seq);
                    ps.addBatch();
                    seq++;
                }
                ps.executeBatch();
                c.commit();
                long committedNs = System.nanoTime();
                for (long s = seq - n; s < seq; s++) {
                    reader.committedNs.put(s, committedNs);
                }
                if (periodMs > 0) {
                    next += TimeUnit.MILLISECONDS.toNanos(periodMs);
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
        }
        return seq;
    }

    /** Kafka transactions of the worker so far: each writes one offset record plus one commit marker. */
    private static long kafkaTransactions(String bootstrap, String offsetsTopic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(offsetsTopic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(offsetsTopic, i.partition())).toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum() / 2;
        }
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }

    /** A read_committed consumer on its own thread recording, per sequence number, commit → receive time. */
    private static final class Reader implements AutoCloseable {
        final ConcurrentHashMap<Long, Long> committedNs = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, Long> latenciesNs = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean closed;

        Reader(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "5");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            consumer = new KafkaConsumer<>(p);
            thread = new Thread(() -> loop(topic), "bench-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop(String topic) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(60)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            try {
                while (!closed) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        try {
                            long s = CdcTestSupport.JSON.readTree(new String(r.value(), StandardCharsets.UTF_8))
                                    .path("after").path("speed_kph").asLong();
                            seen.put(s, Boolean.TRUE);
                            Long committed = committedNs.get(s);
                            if (committed != null) {
                                latenciesNs.put(s, now - committed);
                            }
                        } catch (java.io.IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }

        boolean seen(long seq) {
            return seen.containsKey(seq);
        }

        long[] latencies(long from, long to) {
            long[] out = latenciesNs.entrySet().stream().filter(e -> e.getKey() >= from && e.getKey() < to)
                    .mapToLong(e -> e.getValue()).toArray();
            Arrays.sort(out);
            return out;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            consumer.wakeup();
            thread.join(10_000);
        }
    }
}
