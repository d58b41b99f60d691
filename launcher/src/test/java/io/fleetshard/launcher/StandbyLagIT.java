package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A warm standby's lag on an idle shard (ADR 0048), through the whole chain on real services: capture (PostgreSQL or
 * MariaDB primary) -> shard log in Kafka -> archiver -> S3 -> standby applier -> {@code fleetshard_standby_position}.
 * After the writes stop, the lag the position row gives (now minus {@code max(last_commit_ts_ms, watermark_ts_ms)},
 * what the control API shows as {@code appliedLagMs}) stays within the heartbeat and watermark intervals while the
 * age of the last change grows; once the archiver is stopped it grows too.
 */
class StandbyLagIT {
    private static final Logger LOG = LoggerFactory.getLogger(StandbyLagIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long HEARTBEAT_MS = LaneBServers.HEARTBEAT_MS;
    private static final long WATERMARK_INTERVAL_MS = 1_000;

    @TempDir
    static Path dir;
    static PostgresNode pg;
    static MariaDbNode maria;
    static S3Server s3;
    static S3ArchiveStore store;

    static LaneBServers servers;

    @BeforeAll
    static void start() {
        servers = LaneBServers.start(dir, "standby-lag-it");
        pg = servers.pg();
        maria = servers.maria();
        s3 = servers.s3();
        store = servers.store();
    }

    @AfterAll
    static void stop() {
        if (servers != null) {
            servers.close();
        }
    }


    /** The standby's row as the control API reads it: {last_commit_ts_ms, watermark_ts_ms}, or null before the first. */
    private static long[] positionRow(String standbyUrl, String shard) {
        try (Connection c = DriverManager.getConnection(standbyUrl);
                PreparedStatement ps = c.prepareStatement("SELECT last_commit_ts_ms, watermark_ts_ms"
                        + " FROM fleetshard_standby_position WHERE shard_id = ?")) {
            ps.setString(1, shard);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
            }
        } catch (SQLException e) {
            return null; // the applier has not created its table yet
        }
    }

    private static long lagMs(long[] row) {
        return System.currentTimeMillis() - Math.max(row[0], row[1]);
    }

    private static void exec(String url, String... sql) throws SQLException {
        LaneBServers.exec(url, sql);
    }

    private static long count(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM vehicles")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Writes, waits for the standby to hold them, then keeps the shard idle for {@code idleMs}: the lag stays at most
     * {@code boundMs} all along while the last change ages past {@code idleMs}; then the archiver stops and the lag
     * passes {@code boundMs} and keeps growing.
     */
    private void idleLagStaysSmallAndGrowsWhenTheArchiverStops(Engine engine, String primary, String standby, String user,
            String prefix, long idleMs, long boundMs) throws Exception {
        String shard = prefix + "-s";
        try (LaneBServers.Pipeline p = servers.startPipeline(prefix, shard, engine, primary, standby, user,
                WATERMARK_INTERVAL_MS)) {
            for (int i = 0; i < 20; i++) {
                exec(primary, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('acme','f" + (i % 3)
                        + "','v" + i + "','active')");
            }
            long lastWriteMs = System.currentTimeMillis();
            Await.condition("the standby holds the 20 rows", WAIT, () -> {
                try {
                    return count(standby) == 20;
                } catch (SQLException e) {
                    return false;
                }
            });
            long[] first = positionRow(standby, shard);
            assertThat(first).isNotNull();

            long[] maxLag = {0};
            // from the last change's commit time: rows written before capture's snapshot carry the snapshot's time
            long idleUntil = Math.max(lastWriteMs, first[0]) + idleMs;
            Await.condition("an idle window of " + idleMs + " ms after the last write", WAIT, () -> {
                long[] row = positionRow(standby, shard);
                if (row != null) {
                    maxLag[0] = Math.max(maxLag[0], lagMs(row));
                }
                return System.currentTimeMillis() >= idleUntil;
            });
            long[] idleEnd = positionRow(standby, shard);
            LOG.info("{} standby idle for {} ms: lag at most {} ms (bound {} ms); last change {} ms old", engine, idleMs,
                    maxLag[0], boundMs, System.currentTimeMillis() - idleEnd[0]);
            assertThat(System.currentTimeMillis() - idleEnd[0])
                    .as("the age of the last applied change, the old measure, grew with the idle time")
                    .isGreaterThanOrEqualTo(idleMs - 1_000);
            assertThat(idleEnd[1]).as("watermarks reached the standby").isGreaterThan(idleEnd[0]);
            assertThat(maxLag[0]).as("the standby's lag while idle (heartbeat %d ms, watermark interval %d ms)",
                    HEARTBEAT_MS, WATERMARK_INTERVAL_MS).isLessThanOrEqualTo(boundMs);
            assertThat(ArchiveVerifier.verify(store, new ShardArchivePath("standard", shard), m -> { }).whole()).isTrue();

            p.archiver().close();
            long stoppedMs = System.currentTimeMillis();
            Await.condition("the lag to pass " + (boundMs + 2_000) + " ms once the archiver stopped", WAIT,
                    () -> lagMs(positionRow(standby, shard)) > boundMs + 2_000);
            long grownAfterMs = System.currentTimeMillis() - stoppedMs;
            LOG.info("{} standby: lag passed {} ms {} ms after the archiver stopped", engine, boundMs + 2_000, grownAfterMs);
            assertThat(grownAfterMs).as("it grows from the stop on, as a clock does").isLessThan(boundMs + 2_000 + 5_000);
        }
    }

    @Test
    void aPostgresStandbysLagStaysWithinTheWatermarkBoundOnAnIdleShardAndGrowsWhenTheArchiverStops() throws Exception {
        String prefix = "sl" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(prefix);
        pg.createDatabase(prefix + "_dr");
        String primary = pg.jdbcUrl(prefix);
        String standby = pg.jdbcUrl(prefix + "_dr");
        String schema = "CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL,"
                + " status text, PRIMARY KEY (tenant_id, fleet_id, vehicle_id))";
        exec(primary, schema);
        exec(standby, schema);
        // heartbeat 0.5 s + watermark manifests every 1 s + applier poll, with room for a loaded 2-core machine
        idleLagStaysSmallAndGrowsWhenTheArchiverStops(Engine.POSTGRES, primary, standby, "postgres", prefix, 10_000, 5_000);
    }

    @Test
    void aMariaDbStandbysLagStaysWithinTheWatermarkBoundOnAnIdleShardAndGrowsWhenTheArchiverStops() throws Exception {
        String prefix = "sl" + UUID.randomUUID().toString().substring(0, 8);
        maria.createDatabase(prefix);
        maria.createDatabase(prefix + "_dr");
        String primary = maria.jdbcUrl(prefix);
        String standby = maria.jdbcUrl(prefix + "_dr");
        String schema = "CREATE TABLE vehicles (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL,"
                + " vehicle_id varchar(64) NOT NULL, status varchar(32), PRIMARY KEY (tenant_id, fleet_id, vehicle_id))";
        exec(primary, schema);
        exec(standby, schema);
        // an idle MariaDB shard's heartbeat comes with the server's binlog heartbeat, every 8 s (0.8 x the 10 s
        // keep-alive), and binlog commit times have second precision: 8 + 1 + 1 s, with room for a loaded machine
        idleLagStaysSmallAndGrowsWhenTheArchiverStops(Engine.MARIADB, primary, standby, "root", prefix, 20_000, 14_000);
    }
}
