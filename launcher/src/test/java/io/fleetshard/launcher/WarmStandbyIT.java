package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.standby.PointInTimeRestore;
import io.fleetshard.standby.RestoreProgress;
import io.fleetshard.standby.StandbyApplierConfig;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lane B end to end on real services: a shard primary's changes go through capture, the shard log and the archiver
 * into S3, and a warm standby fed only from S3 ends with exactly the primary's rows (compared by checksum) after a
 * concurrent write load; a point-in-time restore from the same archive lands exactly between two known writes.
 */
class WarmStandbyIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    static PostgresNode pg;
    static MariaDbNode maria;
    static S3Server s3;
    static S3ArchiveStore store;

    static LaneBServers servers;

    @BeforeAll
    static void start() {
        servers = LaneBServers.start(dir, "standby-it");
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

    private static final String[] PG_SCHEMA = {
        "CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, vin text, "
                + "status text, odometer_km numeric(12,1), updated_at timestamptz NOT NULL DEFAULT now(), "
                + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
        "ALTER TABLE vehicles REPLICA IDENTITY FULL",
        "CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                + "ts timestamptz NOT NULL, lat double precision, lon double precision, speed_kph real, "
                + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))",
        "ALTER TABLE telemetry REPLICA IDENTITY FULL"};

    private static final String[] MARIA_SCHEMA = {
        "CREATE TABLE vehicles (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, vehicle_id varchar(64) NOT NULL, "
                + "vin varchar(32), status varchar(32), odometer_km decimal(12,1), "
                + "updated_at timestamp(6) NOT NULL DEFAULT current_timestamp(6), PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
        "CREATE TABLE telemetry (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, vehicle_id varchar(64) NOT NULL, "
                + "ts datetime(6) NOT NULL, lat double, lon double, speed_kph float, PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))"};

    private static void exec(String url, String... sql) throws SQLException {
        LaneBServers.exec(url, sql);
    }

    /** One digest per table over every row in key order, computed by the database itself. */
    private static List<String> checksums(Engine engine, String url) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String q : engine == Engine.POSTGRES
                    ? List.of("SELECT count(*) || ':' || coalesce(md5(string_agg(v::text, '|' ORDER BY tenant_id, fleet_id, vehicle_id)), '') FROM vehicles v",
                            "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY tenant_id, fleet_id, vehicle_id, ts)), '') FROM telemetry t")
                    : List.of("SELECT concat(count(*), ':', coalesce(md5(group_concat(concat_ws(',', tenant_id, fleet_id, vehicle_id, vin, status, odometer_km, updated_at) ORDER BY tenant_id, fleet_id, vehicle_id SEPARATOR '|')), '')) FROM vehicles",
                            "SELECT concat(count(*), ':', coalesce(md5(group_concat(concat_ws(',', tenant_id, fleet_id, vehicle_id, ts, lat, lon, speed_kph) ORDER BY tenant_id, fleet_id, vehicle_id, ts SEPARATOR '|')), '')) FROM telemetry")) {
                if (engine != Engine.POSTGRES) {
                    s.execute("SET SESSION group_concat_max_len = 1073741824");
                }
                try (ResultSet rs = s.executeQuery(q)) {
                    rs.next();
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static boolean matches(Engine engine, String url, List<String> expected) {
        try {
            return checksums(engine, url).equals(expected);
        } catch (SQLException e) {
            return false;
        }
    }

    /** A write load: inserts, updates and deletes of vehicles and telemetry over several fleets, in small transactions. */
    private static void load(String url, Engine engine, int writer, int transactions) {
        String upsert = engine == Engine.POSTGRES
                ? "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status, odometer_km) VALUES ('acme', ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (tenant_id, fleet_id, vehicle_id) DO UPDATE SET status = excluded.status, "
                        + "odometer_km = excluded.odometer_km, updated_at = now()"
                : "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status, odometer_km) VALUES ('acme', ?, ?, ?, ?, ?) "
                        + "ON DUPLICATE KEY UPDATE status = VALUES(status), odometer_km = VALUES(odometer_km), updated_at = current_timestamp(6)";
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement up = c.prepareStatement(upsert);
             PreparedStatement del = c.prepareStatement("DELETE FROM vehicles WHERE tenant_id = 'acme' AND fleet_id = ? AND vehicle_id = ?");
             PreparedStatement tel = c.prepareStatement("INSERT INTO telemetry VALUES ('acme', ?, ?, ?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            for (int t = 0; t < transactions; t++) {
                try {
                    for (int i = 0; i < 5; i++) {
                        String fleet = "f" + rnd.nextInt(6);
                        String vehicle = "w" + writer + "-v" + rnd.nextInt(40);
                        int op = rnd.nextInt(10);
                        if (op < 6) {
                            up.setString(1, fleet);
                            up.setString(2, vehicle);
                            up.setString(3, "VIN" + vehicle);
                            up.setString(4, "s" + t);
                            up.setBigDecimal(5, java.math.BigDecimal.valueOf(rnd.nextInt(1_000_000), 1));
                            up.executeUpdate();
                        } else if (op < 8) {
                            del.setString(1, fleet);
                            del.setString(2, vehicle);
                            del.executeUpdate();
                        } else {
                            tel.setString(1, fleet);
                            tel.setString(2, vehicle);
                            tel.setTimestamp(3, new java.sql.Timestamp(1_765_000_000_000L + writer * 10_000_000L + t * 10L + i));
                            tel.setDouble(4, rnd.nextDouble(-90, 90));
                            tel.setDouble(5, rnd.nextDouble(-180, 180));
                            tel.setFloat(6, (float) rnd.nextDouble(0, 200));
                            tel.executeUpdate();
                        }
                    }
                    c.commit();
                } catch (java.sql.SQLTransactionRollbackException deadlock) {
                    // a deadlock victim (InnoDB gap locks of deletes of absent rows) did not happen on the primary,
                    // so it must not on the standby either; the load goes on, as an application's would
                    c.rollback();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("writer " + writer + " failed: " + e, e);
        }
    }


    private static String unique(String what) {
        return what + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aPostgresStandbyFedOnlyFromS3EndsWithThePrimarysExactRowsAfterAConcurrentWriteLoad() throws Exception {
        String prefix = unique("wspg");
        String shard = prefix + "-s";
        pg.createDatabase(prefix);
        pg.createDatabase(prefix + "_dr");
        String primary = pg.jdbcUrl(prefix);
        String standby = pg.jdbcUrl(prefix + "_dr");
        exec(primary, PG_SCHEMA);
        exec(standby, PG_SCHEMA);
        load(primary, Engine.POSTGRES, 0, 20); // rows that exist before capture starts: they arrive as the snapshot
        try (LaneBServers.Pipeline p = servers.startPipeline(prefix, shard, Engine.POSTGRES, primary, standby,
                "postgres")) {
            CompletableFuture<Void> w1 = CompletableFuture.runAsync(() -> load(primary, Engine.POSTGRES, 1, 300));
            CompletableFuture<Void> w2 = CompletableFuture.runAsync(() -> load(primary, Engine.POSTGRES, 2, 300));
            CompletableFuture.allOf(w1, w2).join();
            List<String> expected = checksums(Engine.POSTGRES, primary);
            Await.condition("the standby matches the primary", WAIT, () -> matches(Engine.POSTGRES, standby, expected));
            assertThat(checksums(Engine.POSTGRES, standby)).isEqualTo(expected);
            assertThat(expected.get(0)).doesNotStartWith("0:");
            assertThat(p.applier().status().appliedSeq()).isPositive();
            assertThat(ArchiveVerifier.verify(store, new ShardArchivePath("standard", shard), m -> { }).whole()).isTrue();

            // point in time: one write before T, one after; a restore to T has the first and not the second
            exec(primary, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('acme','f0','pitr-before','V1','a')");
            long t = System.currentTimeMillis();
            Await.condition("the clock passes T", Duration.ofSeconds(5), () -> System.currentTimeMillis() > t + 1);
            exec(primary, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('acme','f0','pitr-after','V2','a')");
            List<String> finalRows = checksums(Engine.POSTGRES, primary);
            Await.condition("the standby applied both", WAIT, () -> matches(Engine.POSTGRES, standby, finalRows));

            pg.createDatabase(prefix + "_pitr");
            String target = pg.jdbcUrl(prefix + "_pitr");
            exec(target, PG_SCHEMA);
            List<RestoreProgress> progress = new ArrayList<>();
            new PointInTimeRestore(store, StandbyApplierConfig.defaults(), Clock.systemUTC())
                    .restore(new ShardArchivePath("standard", shard), target, t, progress::add);
            assertThat(progress).isNotEmpty();
            assertThat(progress.get(progress.size() - 1).phase()).isEqualTo(RestoreProgress.Phase.DONE);
            try (Connection c = DriverManager.getConnection(target); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT vehicle_id FROM vehicles WHERE vehicle_id LIKE 'pitr-%'")) {
                List<String> ids = new ArrayList<>();
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
                assertThat(ids).containsExactly("pitr-before");
            }
            // and the restore holds everything else the primary had at T: the load's rows
            exec(target, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES ('acme','f0','pitr-after','V2','a')");
            assertThat(checksums(Engine.POSTGRES, target).get(1)).isEqualTo(finalRows.get(1));
        }
    }

    @Test
    void aMariaDbStandbyFedOnlyFromS3EndsWithThePrimarysExactRowsAfterAConcurrentWriteLoad() throws Exception {
        String prefix = unique("wsma");
        String shard = prefix + "-s";
        maria.createDatabase(prefix);
        maria.createDatabase(prefix + "_dr");
        String primary = maria.jdbcUrl(prefix);
        String standby = maria.jdbcUrl(prefix + "_dr");
        exec(primary, MARIA_SCHEMA);
        exec(standby, MARIA_SCHEMA);
        load(primary, Engine.MARIADB, 0, 20);
        try (LaneBServers.Pipeline p = servers.startPipeline(prefix, shard, Engine.MARIADB, primary, standby, "root")) {
            CompletableFuture<Void> w1 = CompletableFuture.runAsync(() -> load(primary, Engine.MARIADB, 1, 300));
            CompletableFuture<Void> w2 = CompletableFuture.runAsync(() -> load(primary, Engine.MARIADB, 2, 300));
            CompletableFuture.allOf(w1, w2).join();
            List<String> expected = checksums(Engine.MARIADB, primary);
            Await.condition("the standby matches the primary", WAIT, () -> matches(Engine.MARIADB, standby, expected));
            assertThat(checksums(Engine.MARIADB, standby)).isEqualTo(expected);
            assertThat(expected.get(0)).doesNotStartWith("0:");
            assertThat(p.applier().status().appliedSeq()).isPositive();
        }
    }
}
