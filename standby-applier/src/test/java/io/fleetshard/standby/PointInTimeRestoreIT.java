package io.fleetshard.standby;

import static io.fleetshard.standby.StandbyApplierPostgresIT.FAST;
import static io.fleetshard.standby.StandbyApplierPostgresIT.awaitApplied;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.SnapshotDescriptor;
import io.fleetshard.archive.format.SnapshotParser;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base snapshots from a warm standby and point-in-time restores from them and from the archive alone, on real
 * PostgreSQL and MariaDB: the restored rows are exactly the workload's state at the chosen time.
 */
class PointInTimeRestoreIT {
    static final long SEED = 31;
    static final int MANIFESTS = 16;
    static final int EVENTS = 100;
    static final StandbyApplierConfig SMALL_PARTS = StandbyApplierConfig.builder()
            .set(StandbyApplierConfig.Key.SNAPSHOT_PART_MAX_BYTES, 4096).build();

    @TempDir
    static Path dir;
    static PostgresNode pg;
    static MariaDbNode maria;
    static InMemoryArchiveStore store;
    static ShardArchivePath path;
    static Workload workload;
    static SnapshotDescriptor snapshot;

    @BeforeAll
    static void start() throws Exception {
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
        maria = MariaDbNode.start(dir.resolve("maria"));
        store = new InMemoryArchiveStore();
        path = new ShardArchivePath("standard", StandbyTestSupport.unique("pitr"));
        TestArchive archive = new TestArchive(store, path);
        workload = new Workload(SEED);
        String standby = newPostgres(true);
        for (int i = 0; i < 10; i++) {
            archive.append(workload.next(EVENTS), 2);
        }
        try (StandbyApplier a = new StandbyApplier(FAST, store, path, standby, new SimpleMeterRegistry(), Clock.systemUTC())) {
            a.start();
            awaitApplied(a, 10);
            snapshot = new SnapshotWriter(store, path, SMALL_PARTS, Clock.systemUTC()).write(standby);
            for (int i = 10; i < MANIFESTS; i++) {
                archive.append(workload.next(EVENTS), 2);
            }
            awaitApplied(a, MANIFESTS);
        }
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
        if (maria != null) {
            maria.close();
        }
    }

    static String newPostgres(boolean withSchema) throws Exception {
        String db = StandbyTestSupport.unique("rt");
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        if (withSchema) {
            StandbyTestSupport.createPostgresSchema(url, false);
        }
        return url;
    }

    static PointInTimeRestore restore() {
        return new PointInTimeRestore(store, FAST, Clock.systemUTC());
    }

    static long timeIn(long seq, int event) {
        return Workload.BASE_MS + seq * 1000 + event;
    }

    @Test
    void theSnapshotDescribesTheStandbyAfterItsManifestInBoundedParts() {
        assertThat(snapshot.manifestSeq()).isEqualTo(10);
        assertThat(snapshot.lastCommitTsMs()).isEqualTo(timeIn(10, EVENTS - 1));
        assertThat(snapshot.tables()).extracting(SnapshotDescriptor.Table::table).containsExactly("counters", "telemetry", "vehicles");
        SnapshotDescriptor.Table telemetry = snapshot.tables().get(1);
        assertThat(telemetry.parts()).hasSizeGreaterThan(1);
        assertThat(telemetry.primaryKey()).containsExactly("tenant_id", "fleet_id", "vehicle_id", "ts");
        assertThat(telemetry.columns()).extracting(SnapshotDescriptor.Column::type).contains("timestamp with time zone", "real");
        assertThat(telemetry.rows()).isEqualTo(workload.after(10).get("telemetry").size());
        assertThat(SnapshotParser.parse("k", store.get(path.snapshotKey(10)).orElseThrow())).isEqualTo(snapshot);
    }

    @Test
    void restoresToATimeInsideAManifestFromTheSnapshotAndLaterManifests() throws Exception {
        String target = newPostgres(true);
        long t = timeIn(14, 50);
        List<RestoreProgress> progress = new CopyOnWriteArrayList<>();
        RestoreSummary s = restore().restore(path, target, t, progress::add);
        assertThat(s.snapshotSeq()).isEqualTo(10);
        assertThat(s.manifestsReplayed()).isEqualTo(3);
        assertThat(s.restoredToCommitTsMs()).isEqualTo(t);
        assertThat(s.position().manifestSeq()).isEqualTo(13);
        assertThat(StandbyTestSupport.actual(target))
                .isEqualTo(StandbyTestSupport.expected(target, Workload.at(SEED, MANIFESTS, EVENTS, t)));
        assertThat(progress.get(0)).as("planning reports what it found")
                .isEqualTo(new RestoreProgress(RestoreProgress.Phase.PLANNING, 0, 4, 0,
                        snapshot.rows() + 4L * EVENTS));
        assertThat(progress.get(progress.size() - 1).phase()).isEqualTo(RestoreProgress.Phase.DONE);
        assertThat(progress).anyMatch(p -> p.phase() == RestoreProgress.Phase.LOADING_SNAPSHOT);
    }

    @Test
    void restoresToATimeBeforeEverySnapshotFromTheArchiveAlone() throws Exception {
        String target = newPostgres(true);
        long t = timeIn(7, 30);
        RestoreSummary s = restore().restore(path, target, t, RestoreProgress.Listener.none());
        assertThat(s.snapshotSeq()).isZero();
        assertThat(s.manifestsReplayed()).isEqualTo(6);
        assertThat(s.eventsReplayed()).isEqualTo(6 * EVENTS + 31);
        assertThat(StandbyTestSupport.actual(target))
                .isEqualTo(StandbyTestSupport.expected(target, Workload.at(SEED, MANIFESTS, EVENTS, t)));
    }

    @Test
    void restoresFromTheSnapshotAloneCreatingTheTablesFromItsColumns() throws Exception {
        String target = newPostgres(false);
        RestoreSummary s = restore().restore(path, target, snapshot.lastCommitTsMs(), RestoreProgress.Listener.none());
        assertThat(s.snapshotSeq()).isEqualTo(10);
        assertThat(s.manifestsReplayed()).isZero();
        assertThat(s.snapshotRows()).isEqualTo(snapshot.rows());
        assertThat(StandbyTestSupport.actual(target)).isEqualTo(StandbyTestSupport.expected(target, workload.after(10)));
        assertThat(StandbyTestSupport.position(target, path.shardId()).orElseThrow().manifestSha256())
                .isEqualTo(snapshot.manifestSha256());
    }

    @Test
    void refusesATargetThatHoldsRows() throws Exception {
        String target = newPostgres(true);
        StandbyTestSupport.exec(target, "INSERT INTO vehicles VALUES ('t1','f1','v1',null,'x',now())");
        assertThatThrownBy(() -> restore().restore(path, target, timeIn(3, 0), RestoreProgress.Listener.none()))
                .isInstanceOf(StandbyException.class)
                .hasMessageContaining("the restore target is not empty: table(s) vehicles hold rows");
    }

    @Test
    void aTargetThatCannotBeReachedIsNotCalledPartlyWritten() {
        String target = pg.jdbcUrl(StandbyTestSupport.unique("missing"));
        assertThatThrownBy(() -> restore().restore(path, target, timeIn(3, 0), RestoreProgress.Listener.none()))
                .isInstanceOf(StandbyException.class)
                .hasMessageContaining("does not exist")
                .hasMessageEndingWith("nothing was written to it");
    }

    @Test
    void withoutASnapshotRequiresTheTablesAndSaysSo() throws Exception {
        String target = newPostgres(false);
        assertThatThrownBy(() -> restore().restore(path, target, timeIn(2, 10), RestoreProgress.Listener.none()))
                .isInstanceOf(StandbyException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void snapshotsAndRestoresAMariaDbStandby() throws Exception {
        String db = StandbyTestSupport.unique("ms");
        maria.createDatabase(db);
        String standby = maria.jdbcUrl(db);
        StandbyTestSupport.createMariaDbSchema(standby, false);
        InMemoryArchiveStore mstore = new InMemoryArchiveStore();
        ShardArchivePath mpath = new ShardArchivePath("enhanced", StandbyTestSupport.unique("mpitr"));
        TestArchive archive = new TestArchive(mstore, mpath);
        Workload w = new Workload(SEED + 1);
        for (int i = 0; i < 6; i++) {
            archive.append(w.next(EVENTS), 1);
        }
        SnapshotDescriptor d;
        try (StandbyApplier a = new StandbyApplier(FAST, mstore, mpath, standby, new SimpleMeterRegistry(), Clock.systemUTC())) {
            a.start();
            awaitApplied(a, 6);
            d = new SnapshotWriter(mstore, mpath, SMALL_PARTS, Clock.systemUTC()).write(standby);
        }
        for (int i = 6; i < 9; i++) {
            archive.append(w.next(EVENTS), 1);
        }
        assertThat(d.tables().get(2).columns()).extracting(SnapshotDescriptor.Column::type).contains("timestamp(6)", "varchar(64)");

        String fromSnapshot = StandbyTestSupport.unique("mr");
        maria.createDatabase(fromSnapshot);
        String target = maria.jdbcUrl(fromSnapshot);
        RestoreSummary s = new PointInTimeRestore(mstore, FAST, Clock.systemUTC())
                .restore(mpath, target, d.lastCommitTsMs(), RestoreProgress.Listener.none());
        assertThat(s.snapshotSeq()).isEqualTo(6);
        assertThat(StandbyTestSupport.actual(target)).isEqualTo(StandbyTestSupport.expected(target, w.after(6)));

        String later = StandbyTestSupport.unique("mr");
        maria.createDatabase(later);
        String target2 = maria.jdbcUrl(later);
        StandbyTestSupport.createMariaDbSchema(target2, false);
        long t = timeIn(8, 40);
        RestoreSummary s2 = new PointInTimeRestore(mstore, FAST, Clock.systemUTC())
                .restore(mpath, target2, t, RestoreProgress.Listener.none());
        assertThat(s2.snapshotSeq()).isEqualTo(6);
        assertThat(StandbyTestSupport.actual(target2)).isEqualTo(StandbyTestSupport.expected(target2, Workload.at(SEED + 1, 9, EVENTS, t)));
    }
}
