package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once and the shard log's commit order when the shard's producer loses its transactional id mid-stream: while
 * one writer commits a row per transaction, the test takes the id away from the worker six times (another producer's
 * {@code initTransactions()} with the same id, as a new owner would), so a batch fails while open or committing and
 * the engine restarts from the last committed offset. Afterwards the shard log must hold every row exactly once in
 * commit order, and each change-topic partition its rows exactly once, in order. Written for ADR 0049's overlapped
 * commits (which it caught when a batch's commit was issued without waiting for the previous one); it guards the
 * one-producer capture the same way.
 */
class FencedCaptureIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int FENCES = 6;
    private static final int ROWS_PER_SECOND = 1_000;

    @TempDir
    static Path dir;

    @Test
    void aFencedBatchLosesAndRepeatsNothingAndKeepsTheCommitOrder() throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        String prefix = CdcTestSupport.unique("fenced");
        String shard = prefix + "-s";
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"))) {
            pg.createDatabase(prefix);
            String url = pg.jdbcUrl(prefix);
            CdcTestSupport.createPostgresSchema(url);
            InMemoryShardMap map = new InMemoryShardMap();
            CdcTestSupport.addShard(map, shard, Engine.POSTGRES, url);
            CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
            ChangeTopics.ensure(config);
            AtomicInteger written = new AtomicInteger();
            AtomicReference<Exception> writerFailure = new AtomicReference<>();
            try (CaptureWorker worker = new CaptureWorker(config, map)) {
                worker.start();
                Await.condition("capture streams", WAIT, () -> worker.status().containsKey(shard)
                        && worker.status().get(shard).streaming());
                Thread writer = new Thread(() -> write(url, written, writerFailure), "test-writer");
                writer.start();
                for (int i = 0; i < FENCES; i++) {
                    long published = worker.status().get(shard).eventsPublished();
                    Await.condition("capture publishes before fence " + (i + 1), WAIT,
                            () -> worker.status().get(shard).eventsPublished() > published + 50);
                    double before = errors(worker, shard);
                    fence(bootstrap, ShardCapture.transactionalId(shard));
                    Await.condition("the fenced batch fails the engine (fence " + (i + 1) + ")", WAIT,
                            () -> errors(worker, shard) > before);
                    Await.condition("capture streams again after fence " + (i + 1), WAIT,
                            () -> "running".equals(worker.status().get(shard).state()));
                }
                stop(writer);
                assertThat(writerFailure.get()).as("the writer's failure").isNull();
                int rows = written.get();
                assertThat(rows).isGreaterThan(FENCES * 50);

                try (Collector log = new Collector(bootstrap, List.of(config.shardLogTopic(shard)));
                     Collector topic = new Collector(bootstrap, List.of(config.changeTopic("vehicles")))) {
                    try {
                        Await.condition("every row in the shard log and the change topic", WAIT,
                                () -> seqs(log.all()).contains(rows) && seqs(topic.all()).contains(rows));
                    } catch (IllegalStateException e) {
                        throw new AssertionError(rows + " rows written; the shard log holds " + seqs(log.all()).size()
                                + " up to " + seqs(log.all()).stream().mapToInt(Integer::intValue).max().orElse(0)
                                + ", the change topic " + seqs(topic.all()).size() + "; capture: "
                                + worker.status().get(shard), e);
                    }
                    List<Integer> inLog = seqs(log.all());
                    List<Integer> expected = new ArrayList<>();
                    for (int s = 1; s <= rows; s++) {
                        expected.add(s);
                    }
                    assertThat(inLog).as("the shard log: every row exactly once, in commit order").isEqualTo(expected);
                    Map<Integer, List<Received>> byPartition = new TreeMap<>(topic.all().stream()
                            .collect(Collectors.groupingBy(Received::partition)));
                    List<Integer> inTopic = new ArrayList<>();
                    byPartition.forEach((partition, records) -> {
                        List<Integer> s = seqs(records);
                        assertThat(s).as("change topic partition " + partition + " in commit order").isSorted();
                        inTopic.addAll(s);
                    });
                    assertThat(inTopic).as("the change topic: every row exactly once")
                            .containsExactlyInAnyOrderElementsOf(expected);
                }
            }
        }
    }

    /**
     * One row per transaction, numbered 1, 2, ...: commit order = number order. At most {@link #ROWS_PER_SECOND}, so
     * that capture, restarted six times on a shared 2-core machine, is not left minutes behind.
     */
    private static void write(String url, AtomicInteger written, AtomicReference<Exception> failure) {
        long startNs = System.nanoTime();
        try (Connection c = DriverManager.getConnection(url); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('t1', ?, ?, 'VIN')")) {
            while (!Thread.currentThread().isInterrupted()) {
                int seq = written.get() + 1;
                long dueNs = startNs + seq * 1_000_000_000L / ROWS_PER_SECOND;
                java.util.concurrent.locks.LockSupport.parkNanos(dueNs - System.nanoTime());
                insert.setString(1, "f" + seq % 7);
                insert.setString(2, Integer.toString(seq));
                insert.executeUpdate();
                written.set(seq);
            }
        } catch (Exception e) {
            if (!Thread.currentThread().isInterrupted()) {
                failure.set(e);
            }
        }
    }

    private static void stop(Thread writer) throws InterruptedException {
        writer.interrupt();
        writer.join(WAIT.toMillis());
        assertThat(writer.isAlive()).as("the writer stopped").isFalse();
    }

    /** Takes a transactional id away from its current producer, as a new owner of the shard would. */
    private static void fence(String bootstrap, String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> fencer = new KafkaProducer<>(p)) {
            fencer.initTransactions();
        }
    }

    private static List<Integer> seqs(List<Received> records) {
        return records.stream().filter(r -> r.value() != null && r.value().has("after"))
                .map(r -> Integer.valueOf(r.value().path("after").path("vehicle_id").asText())).toList();
    }

    private static double errors(CaptureWorker worker, String shard) {
        return worker.meterRegistry().find("fleetshard.cdc.errors").tag("shard", shard).counters().stream()
                .mapToDouble(Counter::count).sum();
    }
}
