package io.fleetshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archiver.Archiver;
import io.fleetshard.archiver.ArchiverConfig;
import io.fleetshard.cdc.CaptureConfig;
import io.fleetshard.cdc.CaptureWorker;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: archive RPO, source commit → durable in an S3 manifest, p50/p99/max, through the whole lane B path
 * (PostgreSQL 17 → capture → shard log → archiver → S3Proxy), at a steady write rate. Prints results; asserts nothing.
 * {@code java ... ArchiveRpoBench [rows/s] [seconds] [segment.max.age.ms]}; see docs/benchmarks.md.
 */
public final class ArchiveRpoBench {
    private static final ShardArchivePath PATH = new ShardArchivePath("standard", "rpo-1");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ArchiveRpoBench() {
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        long segmentAgeMs = args.length > 2 ? Long.parseLong(args[2]) : 1_000;
        Path dir = Files.createTempDirectory("rpo-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
             PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"));
             S3Server s3 = S3Server.start(dir.resolve("s3"))) {
            pg.createDatabase("rpo");
            String url = pg.jdbcUrl("rpo");
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "ts timestamptz NOT NULL, lat double precision, lon double precision, speed_kph real, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))");
                s.execute("CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id))");
            }
            InMemoryShardMap map = new InMemoryShardMap();
            map.commit(0, List.of(Shard.withDefaultTokens("rpo-1", ShardStatus.ACTIVE, Engine.POSTGRES, 8),
                    new Node("rpo-1-a", "rpo-1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", url)), List.of());
            S3ArchiveStore store = new S3ArchiveStore(s3.newClient(), "rpo-bench");
            store.ensureBucket();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (CaptureWorker capture = new CaptureWorker(CaptureConfig.builder(kafka.bootstrapServers(), "bench")
                    .credentials("postgres", "").set(CaptureConfig.Key.POLL_INTERVAL_MS, 10).build(), map);
                 Archiver archiver = new Archiver(ArchiverConfig.builder(kafka.bootstrapServers(), "bench")
                         .set(ArchiverConfig.Key.BUCKET, "rpo-bench")
                         .set(ArchiverConfig.Key.SEGMENT_MAX_AGE_MS, segmentAgeMs).build(), store, registry, Clock.systemUTC())) {
                capture.start();
                archiver.start();
                long seq = write(url, 0, 100, 2); // warm-up: 200 rows, left out of the results
                awaitArchived(store, seq);
                long startNs = System.nanoTime();
                long end = write(url, seq, rate, seconds);
                double wroteS = (System.nanoTime() - startNs) / 1e9;
                awaitArchived(store, end);
                long[] rpo = rpoFromArchive(store, seq);
                HistogramSnapshot meter = registry.get("fleetshard.archive.rpo").timer().takeSnapshot();
                System.out.printf("%n=== ArchiveRpoBench (%d cores): PostgreSQL 17 -> capture -> shard log -> archiver -> S3Proxy ===%n"
                                + "%d rows at %d rows/s offered (%.0f achieved) in transactions of %d every 10 ms, segment.max.age.ms=%d%n"
                                + "commit -> manifest written, from the archive itself: p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d events%n"
                                + "(archiver's fleetshard.archive.rpo meter incl. warm-up, commit -> manifest durable: p50 %.0f ms, p99 %.0f ms)%n",
                        Runtime.getRuntime().availableProcessors(), end - seq, rate, (end - seq) / wroteS,
                        Math.max(1, rate / 100), segmentAgeMs, pct(rpo, 50), pct(rpo, 99),
                        rpo.length == 0 ? Double.NaN : (double) rpo[rpo.length - 1], rpo.length,
                        meter.percentileValues()[0].value(TimeUnit.MILLISECONDS),
                        meter.percentileValues()[1].value(TimeUnit.MILLISECONDS));
            }
        }
        System.exit(0);
    }

    /** Waits until the archive's manifests list {@code rows} events. */
    private static void awaitArchived(S3ArchiveStore store, long rows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            long archived = 0;
            for (StoredManifest m : chain(store)) {
                archived += m.manifest().records();
            }
            if (archived >= rows) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("rows not archived within 3 minutes");
    }

    private static List<StoredManifest> chain(S3ArchiveStore store) {
        ArchiveReader reader = new ArchiveReader(store, PATH);
        List<StoredManifest> out = new ArrayList<>();
        for (Optional<StoredManifest> m = reader.next(null); m.isPresent(); m = reader.next(out.get(out.size() - 1))) {
            out.add(m.get());
        }
        return out;
    }

    /** Per event with sequence number at least {@code from}: its manifest's creation time minus its commit time. */
    private static long[] rpoFromArchive(S3ArchiveStore store, long from) throws Exception {
        ArchiveReader reader = new ArchiveReader(store, PATH);
        List<Long> rpo = new ArrayList<>();
        for (StoredManifest m : chain(store)) {
            for (SegmentRef ref : m.manifest().segments()) {
                for (ArchivedEvent e : reader.segment(ref).events()) {
                    JsonNode event = JSON.readTree(e.event());
                    if (event.path("after").path("speed_kph").asLong() >= from) {
                        rpo.add(m.manifest().createdMs() - event.path("commitTsMs").asLong());
                    }
                }
            }
        }
        long[] out = rpo.stream().mapToLong(Long::longValue).sorted().toArray();
        return out;
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    /** Writes {@code rate} rows/s for {@code seconds} in a transaction every 10 ms; returns the next sequence number. */
    private static long write(String url, long seq, int rate, int seconds) throws Exception {
        int perTx = Math.max(1, rate / 100);
        long rows = (long) rate * seconds;
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("INSERT INTO telemetry VALUES ('t1', ?, 'bench', ?, 1.0, 2.0, ?)")) {
            c.setAutoCommit(false);
            long next = System.nanoTime();
            for (long i = 0; i < rows; i += perTx) {
                for (int j = 0; j < perTx && i + j < rows; j++) {
                    ps.setString(1, "f" + (seq % 8));
                    ps.setTimestamp(2, new Timestamp(1_700_000_000_000L + seq));
                    ps.setFloat(3, seq);
                    ps.addBatch();
                    seq++;
                }
                ps.executeBatch();
                c.commit();
                next += TimeUnit.MILLISECONDS.toNanos(10);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        }
        return seq;
    }
}
