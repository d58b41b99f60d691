package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import java.io.File;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exactly once across a SIGKILLed capture worker (a separate JVM), and takeover of its shard by a second worker. */
class CaptureFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 10_000;
    private static final List<String> FLEETS = List.of("f1", "f2", "f3", "f4");

    @TempDir
    static Path dir;
    static PostgresNode pg;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aSigkilledWorkersShardMovesToAnotherWorkerWithNoLostAndNoDuplicatedEvent() throws Exception {
        String prefix = CdcTestSupport.unique("eos");
        String shardId = prefix + "-s1";
        String bootstrap = SharedKafka.get().bootstrapServers();
        pg.createDatabase(prefix);
        String url = pg.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "in-process", prefix).credentials("postgres", "").build();
        ChangeTopics.ensure(config);

        Process child = startChildWorker(bootstrap, prefix, "child", shardId, url);
        try (Collector topics = new Collector(bootstrap, List.of(config.changeTopic("telemetry")))) {
            CdcTestSupport.exec(url, "INSERT INTO telemetry VALUES ('t1','f1','start','2026-01-01T00:00:00Z',0,0,0)");
            Await.condition("the child worker streams", WAIT, () -> topics.count(r -> keyVehicle(r).equals("start")) == 1);

            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeBurst(url));
            Await.condition("the child worker is mid-stream", WAIT, () -> topics.all().size() > 2_000);
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            long killedAtNs = System.nanoTime();
            int seenAtKill = topics.all().size();

            InMemoryShardMap map = new InMemoryShardMap();
            CdcTestSupport.addShard(map, shardId, Engine.POSTGRES, url);
            try (CaptureWorker survivor = new CaptureWorker(config, map)) {
                survivor.start();
                Await.condition("the second worker owns the dead worker's shard", WAIT,
                        () -> survivor.ownedShards().contains(shardId) && survivor.status().get(shardId).eventsPublished() > 0
                                || topics.all().size() >= ROWS + 1);
                long takeoverMs = Duration.ofNanos(System.nanoTime() - killedAtNs).toMillis();
                writer.get();
                for (String fleet : FLEETS) {
                    CdcTestSupport.exec(url, "INSERT INTO telemetry VALUES ('t1','" + fleet + "','end','2026-01-01T00:00:00Z',0,0,0)");
                }
                Await.condition("the end markers of every fleet", WAIT, () -> topics.count(r -> keyVehicle(r).equals("end")) == FLEETS.size());

                List<Received> all = topics.all();
                Map<String, Long> perKey = all.stream().collect(Collectors.groupingBy(Received::key, Collectors.counting()));
                System.out.printf("EOS measurement: %d events seen at SIGKILL, takeover to first event %d ms, %d events total, %d distinct%n",
                        seenAtKill, takeoverMs, all.size(), perKey.size());
                assertThat(perKey).as("no duplicated event").allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
                assertThat(perKey).as("every row exactly once").hasSize(1 + ROWS + FLEETS.size());
                // per-fleet commit order: the burst's sequence numbers (speed) rise within each fleet
                for (String fleet : FLEETS) {
                    List<Double> seq = all.stream().filter(r -> r.value().path("fleet").asText().equals(fleet)
                                    && keyVehicle(r).equals("burst"))
                            .map(r -> r.value().path("after").path("speed_kph").asDouble()).toList();
                    List<Double> sorted = new ArrayList<>(seq);
                    sorted.sort(null);
                    assertThat(seq).as("order of fleet %s", fleet).isEqualTo(sorted).hasSize(ROWS / FLEETS.size());
                }
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void twoWorkersSplitTheShardsAndAKilledWorkersShardsMoveToTheSurvivorWithNoLostAndNoDuplicatedEvent() throws Exception {
        String prefix = CdcTestSupport.unique("grp");
        String bootstrap = SharedKafka.get().bootstrapServers();
        CaptureConfig config = CdcTestSupport.config(bootstrap, "survivor", prefix).credentials("postgres", "").build();
        // Four shards on assignment partitions 0..3: round-robin over two members gives each worker two of them.
        Map<Integer, String> byPartition = new java.util.TreeMap<>();
        for (int i = 0; byPartition.size() < 4; i++) {
            String id = prefix + "-s" + i;
            int partition = ShardAssignment.partitionOf(id, config.assignmentPartitions());
            if (partition < 4) {
                byPartition.putIfAbsent(partition, id);
            }
        }
        List<String> shardIds = List.copyOf(byPartition.values());
        Map<String, String> urls = new java.util.LinkedHashMap<>();
        InMemoryShardMap map = new InMemoryShardMap();
        for (String id : shardIds) {
            String db = id.replace('-', '_');
            pg.createDatabase(db);
            urls.put(id, pg.jdbcUrl(db));
            CdcTestSupport.createPostgresSchema(urls.get(id));
            CdcTestSupport.addShard(map, id, Engine.POSTGRES, urls.get(id));
        }
        ChangeTopics.ensure(config);

        try (CaptureWorker survivor = new CaptureWorker(config, map);
             Collector topics = new Collector(bootstrap, List.of(config.changeTopic("telemetry")))) {
            survivor.start();
            Await.condition("the first worker captures all four shards", WAIT, () -> survivor.ownedShards().size() == 4);
            Process child = startChildWorker(bootstrap, prefix, "doomed", String.join(",", shardIds), String.join(",", urls.values()));
            try {
                Await.condition("the two workers split the shards two and two", WAIT, () -> survivor.ownedShards().size() == 2);
                for (String id : shardIds) {
                    CdcTestSupport.exec(urls.get(id), "INSERT INTO telemetry VALUES ('t1','f1','start','2026-01-01T00:00:00Z',0,0,0)");
                }
                Await.condition("every shard streams, two of them through the child worker", WAIT,
                        () -> topics.count(r -> keyVehicle(r).equals("start")) == 4);
                List<String> childShards = shardIds.stream().filter(id -> !survivor.ownedShards().contains(id)).toList();
                assertThat(childShards).hasSize(2);

                List<CompletableFuture<Void>> writers = shardIds.stream()
                        .map(id -> CompletableFuture.runAsync(() -> writeRows(urls.get(id), GROUP_ROWS))).toList();
                Await.condition("the child worker's shards are mid-stream", WAIT, () -> topics.count(r -> keyVehicle(r).equals("burst")
                        && childShards.contains(r.value().path("shard").asText())) > 200);
                child.destroyForcibly(); // SIGKILL
                child.waitFor();
                long killedAtNs = System.nanoTime();
                Await.condition("the survivor captures all four shards", WAIT, () -> survivor.ownedShards().size() == 4
                        && childShards.stream().allMatch(id -> "running".equals(survivor.status().get(id).state())));
                long takeoverMs = Duration.ofNanos(System.nanoTime() - killedAtNs).toMillis();
                CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get();
                for (String id : shardIds) {
                    CdcTestSupport.exec(urls.get(id), "INSERT INTO telemetry VALUES ('t1','f1','end','2026-01-01T00:00:00Z',0,0,0)");
                }
                Await.condition("the end marker of every shard", WAIT, () -> topics.count(r -> keyVehicle(r).equals("end")) == 4);

                List<Received> all = topics.all();
                System.out.printf("Group takeover measurement: killed worker's shards %s running on the survivor %d ms after SIGKILL "
                        + "(session timeout %d ms), %d events%n", childShards, takeoverMs, config.sessionTimeoutMs(), all.size());
                assertThat(takeoverMs).as("takeover within session timeout + 10 s")
                        .isLessThanOrEqualTo(config.sessionTimeoutMs() + 10_000L);
                Map<String, Long> perEvent = all.stream().collect(Collectors.groupingBy(
                        r -> r.value().path("shard").asText() + "/" + r.key(), Collectors.counting()));
                assertThat(perEvent).as("no duplicated event").allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
                assertThat(perEvent).as("every row of every shard exactly once").hasSize(shardIds.size() * (GROUP_ROWS + 2));
            } finally {
                child.destroyForcibly();
            }
        }
    }

    private static final int GROUP_ROWS = 1_000;

    /** {@code rows} telemetry rows of fleet f1 in transactions of 10, speed_kph the sequence number. */
    private static void writeRows(String url, int rows) {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("INSERT INTO telemetry VALUES ('t1', 'f1', 'burst', ?, 1.0, 2.0, ?)")) {
            c.setAutoCommit(false);
            for (int i = 0; i < rows; i++) {
                ps.setTimestamp(1, new Timestamp(1_700_000_000_000L + i));
                ps.setFloat(2, i);
                ps.addBatch();
                if (i % 10 == 9) {
                    ps.executeBatch();
                    c.commit();
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String keyVehicle(Received r) {
        return r.value().path("key").path("vehicle_id").asText();
    }

    /** 10k rows in 200 transactions of 50, round-robin over four fleets; speed_kph is the row's sequence number. */
    private static void writeBurst(String url) {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("INSERT INTO telemetry VALUES ('t1', ?, 'burst', ?, 1.0, 2.0, ?)")) {
            c.setAutoCommit(false);
            for (int i = 0; i < ROWS; i++) {
                ps.setString(1, FLEETS.get(i % FLEETS.size()));
                ps.setTimestamp(2, new Timestamp(1_700_000_000_000L + i));
                ps.setFloat(3, i);
                ps.addBatch();
                if (i % 50 == 49) {
                    ps.executeBatch();
                    c.commit();
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Process startChildWorker(String bootstrap, String prefix, String workerId, String shardId, String url)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CaptureWorkerMain.class.getName(),
                bootstrap, prefix, workerId, shardId, Engine.POSTGRES.name(), url, "postgres", "");
        File log = Path.of("target", "child-" + workerId + "-" + prefix + ".log").toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    }
}
