package io.fleetshard.launcher;

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
import io.fleetshard.standby.StandbyApplier;
import io.fleetshard.standby.StandbyApplierConfig;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The servers of an archive-and-standby test (lane B): a PostgreSQL and a MariaDB server, started side by side, and
 * an S3 server with the archive's bucket. One per test class.
 */
record LaneBServers(PostgresNode pg, MariaDbNode maria, S3Server s3, S3ArchiveStore store) implements AutoCloseable {
    /** Capture's heartbeat interval in {@link #startPipeline}: how often an idle shard's watermark can be written. */
    static final long HEARTBEAT_MS = 500;

    static LaneBServers start(Path dir, String bucket) {
        CompletableFuture<PostgresNode> pg = CompletableFuture.supplyAsync(() -> PostgresNode.startPrimary(
                dir.resolve("pg")));
        CompletableFuture<MariaDbNode> maria = CompletableFuture.supplyAsync(() -> MariaDbNode.start(
                dir.resolve("maria")));
        S3Server s3 = S3Server.start(dir.resolve("s3"));
        S3ArchiveStore store = new S3ArchiveStore(s3.newClient(), bucket);
        store.ensureBucket();
        return new LaneBServers(pg.join(), maria.join(), s3, store);
    }

    /** Lane B of one shard: capture into its shard log, the archiver into {@link #store}, a standby applier. */
    record Pipeline(CaptureWorker capture, Archiver archiver, StandbyApplier applier) implements AutoCloseable {
        @Override
        public void close() {
            applier.close();
            archiver.close();
            capture.close();
        }
    }

    /** Starts lane B of {@code shard} under topics and groups named by {@code prefix}; the archiver's defaults. */
    Pipeline startPipeline(String prefix, String shard, Engine engine, String primaryUrl, String standbyUrl,
            String user) {
        return startPipeline(prefix, shard, engine, primaryUrl, standbyUrl, user, null);
    }

    /** The same, with the archiver writing an idle shard's watermark every {@code watermarkIntervalMs} (ADR 0048). */
    Pipeline startPipeline(String prefix, String shard, Engine engine, String primaryUrl, String standbyUrl,
            String user, Long watermarkIntervalMs) {
        String bootstrap = SharedKafka.get().bootstrapServers();
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(Shard.withDefaultTokens(shard, ShardStatus.ACTIVE, engine, 8),
                new Node(shard + "-a", shard, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", primaryUrl)), List.of());
        CaptureWorker capture = new CaptureWorker(CaptureConfig.builder(bootstrap, prefix + "w")
                .set(CaptureConfig.Key.GROUP_ID, prefix + "cdc")
                .set(CaptureConfig.Key.CHANGE_TOPIC_PREFIX, prefix + ".cdc.")
                .set(CaptureConfig.Key.ASSIGNMENT_TOPIC, prefix + ".assign")
                .set(CaptureConfig.Key.OFFSETS_TOPIC, prefix + ".offsets")
                .set(CaptureConfig.Key.SCHEMA_HISTORY_TOPIC_PREFIX, prefix + ".history.")
                .set(CaptureConfig.Key.DEAD_LETTER_TOPIC, prefix + ".dlq")
                .set(CaptureConfig.Key.SHARD_LOG_TOPIC_PREFIX, prefix + ".shardlog.")
                .set(CaptureConfig.Key.POLL_INTERVAL_MS, 10)
                .set(CaptureConfig.Key.HEARTBEAT_INTERVAL_MS, HEARTBEAT_MS)
                .credentials(user, "").build(), map);
        ArchiverConfig.Builder archiverConfig = ArchiverConfig.builder(bootstrap, prefix + "a")
                .set(ArchiverConfig.Key.GROUP_ID, prefix + "arch")
                .set(ArchiverConfig.Key.SHARD_LOG_TOPIC_PREFIX, prefix + ".shardlog.")
                .set(ArchiverConfig.Key.BUCKET, store.bucket())
                .set(ArchiverConfig.Key.SEGMENT_MAX_AGE_MS, 200)
                .set(ArchiverConfig.Key.TOPIC_DISCOVERY_MS, 500);
        if (watermarkIntervalMs != null) {
            archiverConfig.set(ArchiverConfig.Key.WATERMARK_INTERVAL_MS, watermarkIntervalMs);
        }
        Archiver archiver = new Archiver(archiverConfig.build(), store);
        StandbyApplier applier = new StandbyApplier(StandbyApplierConfig.builder()
                .set(StandbyApplierConfig.Key.POLL_INTERVAL_MS, 50).build(), store,
                new ShardArchivePath("standard", shard), standbyUrl, new SimpleMeterRegistry(), Clock.systemUTC());
        capture.start();
        archiver.start();
        applier.start();
        return new Pipeline(capture, archiver, applier);
    }

    /** Runs each statement on {@code url}, in autocommit. */
    static void exec(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {pg, maria, s3}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }
}
