package io.fleetshard.standby;

import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a test: standby apply throughput (rows/s) on PostgreSQL and MariaDB, and the time to snapshot and to restore
 * {@code rows} rows, everything in this JVM. Prints results; asserts nothing.
 * {@code StandbyApplyBench [pgRows] [mariaRows]} (defaults 1,000,000 and 200,000).
 */
public final class StandbyApplyBench {
    private static final int EVENTS_PER_MANIFEST = 1_000;

    private StandbyApplyBench() {
    }

    public static void main(String[] args) throws Exception {
        int pgRows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int mariaRows = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        Path dir = Files.createTempDirectory("standby-bench");
        StandbyApplierConfig config = StandbyApplierConfig.builder().set(StandbyApplierConfig.Key.POLL_INTERVAL_MS, 20).build();
        List<String> report = new ArrayList<>();
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             MariaDbNode maria = MariaDbNode.start(dir.resolve("maria"))) {
            // PostgreSQL: apply, snapshot, restore from the snapshot
            InMemoryArchiveStore store = new InMemoryArchiveStore();
            ShardArchivePath path = new ShardArchivePath("standard", "benchpg");
            long t0 = System.nanoTime();
            archive(store, path, pgRows);
            report.add(String.format("archive of %,d telemetry inserts built in %d ms", pgRows, ms(t0)));
            pg.createDatabase("standby");
            String standby = pg.jdbcUrl("standby");
            StandbyTestSupport.createPostgresSchema(standby, false);
            long applyMs = apply(config, store, path, standby, pgRows);
            report.add(String.format("PostgreSQL apply: %,d rows in %d ms = %,d rows/s", pgRows, applyMs, pgRows * 1000L / applyMs));
            long s0 = System.nanoTime();
            var snapshot = new SnapshotWriter(store, path, config, Clock.systemUTC()).write(standby);
            report.add(String.format("PostgreSQL snapshot: %,d rows in %d parts in %d ms", snapshot.rows(),
                    snapshot.tables().stream().mapToInt(t -> t.parts().size()).sum(), ms(s0)));
            pg.createDatabase("restored");
            long r0 = System.nanoTime();
            RestoreSummary r = new PointInTimeRestore(store, config, Clock.systemUTC())
                    .restore(path, pg.jdbcUrl("restored"), Long.MAX_VALUE, RestoreProgress.Listener.none());
            report.add(String.format("PostgreSQL restore from snapshot: %,d rows in %d ms", r.snapshotRows(), ms(r0)));
            pg.createDatabase("replayed");
            StandbyTestSupport.createPostgresSchema(pg.jdbcUrl("replayed"), false);
            InMemoryArchiveStore noSnapshots = new InMemoryArchiveStore();
            archive(noSnapshots, path, pgRows);
            long p0 = System.nanoTime();
            RestoreSummary p = new PointInTimeRestore(noSnapshots, config, Clock.systemUTC())
                    .restore(path, pg.jdbcUrl("replayed"), Long.MAX_VALUE, RestoreProgress.Listener.none());
            report.add(String.format("PostgreSQL restore replaying manifests (no snapshot): %,d events in %d ms",
                    p.eventsReplayed(), ms(p0)));

            // MariaDB: apply
            InMemoryArchiveStore mstore = new InMemoryArchiveStore();
            ShardArchivePath mpath = new ShardArchivePath("standard", "benchmaria");
            archive(mstore, mpath, mariaRows);
            maria.createDatabase("standby");
            String mstandby = maria.jdbcUrl("standby");
            String pool = System.getProperty("bench.maria.buffer.pool", "");
            if (!pool.isEmpty()) {
                // the testkit server is sized for tests (32 MB pool, 16 MB redo); a standby would not be
                StandbyTestSupport.exec(mstandby, "SET GLOBAL innodb_buffer_pool_size = " + pool,
                        "SET GLOBAL innodb_log_file_size = " + pool);
                report.add("MariaDB innodb_buffer_pool_size and innodb_log_file_size set to " + pool);
            }
            StandbyTestSupport.createMariaDbSchema(mstandby, false);
            long mApplyMs = apply(config, mstore, mpath, mstandby, mariaRows);
            report.add(String.format("MariaDB apply: %,d rows in %d ms = %,d rows/s", mariaRows, mApplyMs,
                    mariaRows * 1000L / mApplyMs));
        }
        System.out.println("---- standby-applier benchmark (" + Runtime.getRuntime().availableProcessors() + " cores) ----");
        report.forEach(System.out::println);
        System.exit(0);
    }

    private static long apply(StandbyApplierConfig config, InMemoryArchiveStore store, ShardArchivePath path, String url,
                              int rows) {
        long manifests = (rows + EVENTS_PER_MANIFEST - 1) / EVENTS_PER_MANIFEST;
        long start = System.nanoTime();
        // -Dbench.store.latency.ms: each GET and LIST of the archive waits that long first, as an S3 request would
        long latencyMs = Long.getLong("bench.store.latency.ms", 0);
        ArchiveStore slow = latencyMs == 0 ? store : new ArchiveStore() {
            @Override
            public PutOutcome putIfAbsent(String key, byte[] bytes) {
                return store.putIfAbsent(key, bytes);
            }

            @Override
            public java.util.Optional<byte[]> get(String key) {
                pause(latencyMs);
                return store.get(key);
            }

            @Override
            public List<StoredObject> list(String prefix, String startAfter, int max) {
                pause(latencyMs);
                return store.list(prefix, startAfter, max);
            }
        };
        try (StandbyApplier a = new StandbyApplier(config, slow, path, url, new SimpleMeterRegistry(),
                Clock.systemUTC())) {
            a.start();
            Await.condition("the bench standby to catch up", Duration.ofMinutes(20), () -> a.status().appliedSeq() >= manifests);
        }
        return Math.max(1, ms(start));
    }

    /** {@code rows} telemetry inserts of 50 vehicles, in manifests of {@value #EVENTS_PER_MANIFEST} events, one segment each. */
    private static void archive(InMemoryArchiveStore store, ShardArchivePath path, int rows) {
        TestArchive archive = new TestArchive(store, path);
        long base = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        List<TestArchive.Change> batch = new ArrayList<>(EVENTS_PER_MANIFEST);
        for (int i = 0; i < rows; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tenant_id", "t" + (i % 4));
            row.put("fleet_id", "f" + (i % 7));
            row.put("vehicle_id", "v" + (i % 50));
            row.put("ts", Instant.ofEpochMilli(base + i * 10L).toString());
            row.put("lat", 48.0 + (i % 1000) / 1000.0);
            row.put("lon", 11.0 + (i % 777) / 1000.0);
            row.put("speed_kph", (i % 400) / 4.0);
            Map<String, Object> key = new LinkedHashMap<>();
            for (String k : List.of("tenant_id", "fleet_id", "vehicle_id", "ts")) {
                key.put(k, row.get(k));
            }
            batch.add(new TestArchive.Change('c', "telemetry", key, row, base + i));
            if (batch.size() == EVENTS_PER_MANIFEST || i == rows - 1) {
                archive.append(batch, 1);
                batch.clear();
            }
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long ms(long startNs) {
        return Duration.ofNanos(System.nanoTime() - startNs).toMillis();
    }
}
