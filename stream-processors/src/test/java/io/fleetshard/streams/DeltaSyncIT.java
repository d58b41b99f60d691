package io.fleetshard.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delta sync against a real broker and real PostgreSQL / MariaDB targets: shard-log records produced as
 * cdc-capture writes them (transactions, headers, envelope), applied exactly once, resumed, replayed, fenced.
 */
class DeltaSyncIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Set<String> MOVING = Set.of("t1/f1", "t2/f3");
    static final String[] FLEETS = {"t1/f1", "t1/f2", "t2/f3"};
    static final AtomicInteger IDS = new AtomicInteger();

    @TempDir
    static Path dir;
    static PostgresNode pg;
    static MariaDbNode maria;
    static Admin admin;
    static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void start() {
        String bootstrap = SharedKafka.get().bootstrapServers();
        admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "delta-sync-it-capture-" + UUID.randomUUID());
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        pg = PostgresNode.startPrimary(dir.resolve("pg"));
        maria = MariaDbNode.start(dir.resolve("maria"));
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (maria != null) {
            maria.close();
        }
    }

    /** A target database with the {@code vehicles} table, and its URL. */
    static String postgresTarget() throws Exception {
        String db = "t" + IDS.incrementAndGet();
        pg.createDatabase(db);
        String url = pg.jdbcUrl(db);
        sql(url, "CREATE TABLE vehicles (tenant_id text, fleet_id text, vehicle_id text, odometer bigint NOT NULL, "
                + "label varchar(64), seen_at timestamptz, PRIMARY KEY (tenant_id, fleet_id, vehicle_id))");
        return url;
    }

    static String mariaTarget() throws Exception {
        String db = "t" + IDS.incrementAndGet();
        maria.createDatabase(db);
        String url = maria.jdbcUrl(db);
        sql(url, "CREATE TABLE vehicles (tenant_id VARCHAR(32), fleet_id VARCHAR(32), vehicle_id VARCHAR(32), "
                + "odometer BIGINT NOT NULL, label VARCHAR(64), seen_at DATETIME(3), PRIMARY KEY (tenant_id, fleet_id, vehicle_id))");
        return url;
    }

    static void sql(String url, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    /** The target's rows as {@code tenant/fleet/vehicle -> odometer:label}. */
    static Map<String, String> rows(String url) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT tenant_id, fleet_id, vehicle_id, odometer, label, seen_at FROM vehicles")) {
            while (rs.next()) {
                assertThat(rs.getTimestamp(6)).as("seen_at converted").isNotNull();
                out.put(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3), rs.getLong(4) + ":" + rs.getString(5));
            }
        }
        return out;
    }

    /** {@code [source_offset, fence_seen (1 or 0), fence_seq]} of the job's progress row, or null. */
    static long[] progressRow(String url, String jobId) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT source_offset, fence_seen, fence_seq FROM fleetshard_reshard_progress"
                     + " WHERE job_id = '" + jobId + "'")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getBoolean(2) ? 1 : 0, rs.getLong(3)} : null;
        }
    }

    /** The source's writes as a model: what the moving fleets' rows must be on the target. */
    static final class Source {
        final String topic;
        final Random random;
        final Map<String, Long> live = new TreeMap<>();
        long lastOffset = -1;

        Source(String topic, long seed) {
            this.topic = topic;
            this.random = new Random(seed);
        }

        /** {@code n} application changes over three fleets (two moving), and some tagged resharder rows, in one transaction. */
        void write(int n) {
            List<ShardLogRecords.Rec> recs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String fleet = FLEETS[random.nextInt(FLEETS.length)];
                String[] tf = fleet.split("/");
                String vehicle = "v" + random.nextInt(15);
                String id = fleet + "/" + vehicle;
                long odo = random.nextInt(1_000_000);
                String op = !live.containsKey(id) ? "c" : random.nextInt(10) < 7 ? "u" : "d";
                if (op.equals("d")) {
                    live.remove(id);
                } else {
                    live.put(id, odo);
                }
                recs.add(ShardLogRecords.vehicle(op, tf[0], tf[1], vehicle, odo));
                if (random.nextInt(10) == 0) { // the resharder's own copy of a moving row: never applied by the delta sync
                    recs.add(ShardLogRecords.marker("copy", "someone"));
                    recs.add(tagged(ShardLogRecords.vehicle("u", "t1", "f1", vehicle, 999_999_999)));
                }
            }
            send(recs);
        }

        void send(List<ShardLogRecords.Rec> recs) {
            producer.beginTransaction();
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (ShardLogRecords.Rec r : recs) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, 1_700_000_000_000L, r.key(), r.value(), r.headers())));
            }
            producer.commitTransaction();
            for (java.util.concurrent.Future<RecordMetadata> f : sent) {
                try {
                    lastOffset = Math.max(lastOffset, f.get().offset());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        /** The moving fleets' live rows. */
        Map<String, String> expected() {
            Map<String, String> out = new TreeMap<>();
            live.forEach((id, odo) -> {
                String fleet = id.substring(0, id.lastIndexOf('/'));
                if (MOVING.contains(fleet)) {
                    out.put(id, odo + ":v-" + id.substring(id.lastIndexOf('/') + 1) + "-" + odo);
                }
            });
            return out;
        }

        /** Writes the moving fleets' rows as of now into the target: the bulk copy of ADR 0013. */
        void bulkCopyTo(String url) throws Exception {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                for (Map.Entry<String, String> e : expected().entrySet()) {
                    String[] k = e.getKey().split("/");
                    String[] v = e.getValue().split(":");
                    s.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, odometer, label, seen_at) VALUES ('" + k[0] + "', '"
                            + k[1] + "', '" + k[2] + "', " + v[0] + ", '" + v[1] + "', '2026-01-01 00:00:00')");
                }
            }
        }

        long endOffset() throws Exception {
            return admin.listOffsets(Map.of(new TopicPartition(topic, 0), org.apache.kafka.clients.admin.OffsetSpec.latest()))
                    .all().get().get(new TopicPartition(topic, 0)).offset();
        }
    }

    static ShardLogRecords.Rec tagged(ShardLogRecords.Rec r) {
        r.headers().add("fleetshard.origin", ShardLogRecords.bytes("reshard"));
        return r;
    }

    static Source newShardLog(long seed) throws Exception {
        String shard = "s" + IDS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 6);
        String topic = "fleetshard.shardlog." + shard;
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        Await.condition("a leader for " + topic, WAIT, () -> {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).leader() != null;
            } catch (Exception e) {
                return false;
            }
        });
        return new Source(topic, seed);
    }

    DeltaSyncService service(Path stateDir) {
        return new DeltaSyncService(DeltaSyncConfig.builder(SharedKafka.get().bootstrapServers())
                .set(DeltaSyncConfig.Key.STATE_DIR, stateDir.toString()).set(DeltaSyncConfig.Key.APPLY_BATCH_SIZE, 50).build(),
                new SimpleMeterRegistry(), Clock.systemUTC());
    }

    static DeltaSyncStatus awaitApplied(DeltaSyncService svc, String jobId, long offset) {
        Await.condition("job " + jobId + " to apply through offset " + offset, WAIT, () -> {
            DeltaSyncStatus s = svc.status(jobId).orElseThrow();
            if (s.state() == DeltaSyncState.FAILED) {
                throw new AssertionError("job failed: " + s.lastError());
            }
            return s.appliedOffset() >= offset;
        });
        return svc.status(jobId).orElseThrow();
    }

    static long committedOffset(String group, String topic) {
        try {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(topic, 0));
            return o == null ? -1 : o.offset();
        } catch (Exception e) {
            throw new IllegalStateException("could not read the committed offsets of " + group, e);
        }
    }

    void convergesResumesAndSeesTheFence(String url, Path stateDir) throws Exception {
        Source source = newShardLog(url.hashCode());
        source.write(120);                                     // before the job: the bulk copy covers these
        long startOffset = source.endOffset();
        source.bulkCopyTo(url);
        source.write(200);                                     // during the copy and after it: the delta
        String jobId = "job-" + IDS.incrementAndGet();
        DeltaSyncSpec spec = new DeltaSyncSpec(jobId, source.topic.substring("fleetshard.shardlog.".length()), startOffset,
                MOVING, url);

        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec));
            DeltaSyncStatus s = awaitApplied(svc, jobId, source.lastOffset);
            assertThat(s.state()).isEqualTo(DeltaSyncState.RUNNING);
            assertThat(rows(url)).isEqualTo(source.expected());
            assertThat(progressRow(url, jobId)).containsExactly(source.lastOffset, 0, 0);
            svc.reconcile(List.of(spec));                      // idempotent: nothing restarted
            assertThat(svc.status(jobId).orElseThrow().state()).isEqualTo(DeltaSyncState.RUNNING);
            Await.condition("lag 0", WAIT, () -> svc.status(jobId).orElseThrow().lag() == 0);
        }
        long committed = committedOffset(spec.applicationId(), source.topic);
        assertThat(committed).as("offsets committed up to the end").isGreaterThan(source.lastOffset);

        source.write(100);                                     // while the job is down
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec));
            DeltaSyncStatus s = awaitApplied(svc, jobId, source.lastOffset);
            assertThat(rows(url)).isEqualTo(source.expected());
            assertThat(s.eventsApplied()).as("resumed: only the 100 new changes' moving share, nothing of before")
                    .isBetween(1L, 100L);

            List<ShardLogRecords.Rec> fenceTx = new ArrayList<>();
            fenceTx.add(ShardLogRecords.marker("fence", "another-job", 41));
            fenceTx.add(ShardLogRecords.marker("fence", jobId, 42));
            fenceTx.add(tagged(ShardLogRecords.vehicle("c", "t1", "f1", "fence-row", 1)));
            source.send(fenceTx);
            List<ShardLogRecords.Rec> cleanup = new ArrayList<>();
            cleanup.add(ShardLogRecords.marker("cleanup", jobId));
            cleanup.add(tagged(ShardLogRecords.vehicle("d", "t1", "f1", "v1", 0)));
            cleanup.add(tagged(ShardLogRecords.vehicle("d", "t2", "f3", "v2", 0)));
            source.send(cleanup);
            Await.condition("the fence to be seen", WAIT, () -> svc.status(jobId).orElseThrow().fenceSeen());
            awaitApplied(svc, jobId, source.lastOffset);
            assertThat(progressRow(url, jobId)).containsExactly(source.lastOffset, 1, 42);
            assertThat(rows(url)).as("tagged records are not applied").isEqualTo(source.expected());
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT job_id, kind, seq FROM fleetshard_reshard_tx WHERE slot = "
                         + JdbcTargetWriter.slotOf(jobId))) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(jobId);
                assertThat(rs.getString(2)).isEqualTo("apply");
                assertThat(rs.getLong(3)).as("one marker upsert per target transaction").isPositive();
            }

            svc.reconcile(List.of());                          // no longer wanted: stopped, local state removed
            assertThat(svc.status(jobId)).isEmpty();
            assertThat(Files.exists(stateDir.resolve(spec.applicationId()))).isFalse();
            assertThat(groupExists(spec.applicationId())).isTrue();
            svc.forgetFinished(List.of(jobId));                // finished: its committed offsets go too
            assertThat(groupExists(spec.applicationId())).isFalse();
            svc.forgetFinished(List.of(jobId));                // once is enough; a repeat is harmless
        }
    }

    private static boolean groupExists(String group) throws Exception {
        return admin.listConsumerGroups().all().get().stream().anyMatch(g -> g.groupId().equals(group));
    }

    @Test
    void postgresTargetConvergesResumesAfterARestartAndSeesTheFence(@TempDir Path stateDir) throws Exception {
        convergesResumesAndSeesTheFence(postgresTarget(), stateDir);
    }

    @Test
    void mariaDbTargetConvergesResumesAfterARestartAndSeesTheFence(@TempDir Path stateDir) throws Exception {
        convergesResumesAndSeesTheFence(mariaTarget(), stateDir);
    }

    @Test
    void aReplayFromTheStartOffsetConvergesToTheSameRows(@TempDir Path stateDir) throws Exception {
        String url = postgresTarget();
        Source source = newShardLog(7);
        long startOffset = source.endOffset();
        source.write(300);
        String jobId = "job-" + IDS.incrementAndGet();
        DeltaSyncSpec spec = new DeltaSyncSpec(jobId, source.topic.substring("fleetshard.shardlog.".length()), startOffset,
                MOVING, url);
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec));
            awaitApplied(svc, jobId, source.lastOffset);
        }
        Map<String, String> once = rows(url);
        assertThat(once).isEqualTo(source.expected());

        // a crash after the target's commit and before Kafka's: Kafka's offset is behind the target's progress
        admin.alterConsumerGroupOffsets(spec.applicationId(), Map.of(new TopicPartition(source.topic, 0),
                new OffsetAndMetadata(startOffset))).all().get();
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec));
            DeltaSyncStatus s = awaitApplied(svc, jobId, source.lastOffset);
            Await.condition("the replay to be read", WAIT, () -> committedOffset(spec.applicationId(), source.topic) > source.lastOffset);
            assertThat(s.eventsApplied()).as("the progress row covers every replayed record").isZero();
        }
        assertThat(rows(url)).isEqualTo(once);

        // and without the progress row: every change re-applied in log order over the newer rows still converges
        sql(url, "DELETE FROM fleetshard_reshard_progress");
        admin.alterConsumerGroupOffsets(spec.applicationId(), Map.of(new TopicPartition(source.topic, 0),
                new OffsetAndMetadata(startOffset))).all().get();
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec));
            DeltaSyncStatus s = awaitApplied(svc, jobId, source.lastOffset);
            assertThat(s.eventsApplied()).isPositive();
        }
        assertThat(rows(url)).isEqualTo(once);
    }

    @Test
    void aHeldJobAppliesNothingUntilReleasedThenCatchesUp(@TempDir Path stateDir) throws Exception {
        String url = postgresTarget();
        Source source = newShardLog(11);
        long startOffset = source.endOffset();
        source.write(150);                                     // while the bulk copy runs: held back
        String jobId = "job-" + IDS.incrementAndGet();
        DeltaSyncSpec spec = new DeltaSyncSpec(jobId, source.topic.substring("fleetshard.shardlog.".length()), startOffset,
                MOVING, url);
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(spec), Set.of(jobId));
            Await.condition("the held job to run and poll", WAIT, () -> svc.status(jobId).orElseThrow().state()
                    == DeltaSyncState.RUNNING && svc.polls(jobId) >= 3);
            long polled = svc.polls(jobId);
            Await.condition("two more polls", WAIT, () -> svc.polls(jobId) >= polled + 2);
            assertThat(rows(url)).as("nothing applied while held").isEmpty();
            assertThat(progressRow(url, jobId)).as("no progress row: the control API must not take a held job for"
                    + " one that applies").isNull();
            assertThat(committedOffset(spec.applicationId(), source.topic)).isEqualTo(startOffset);
            svc.reconcile(List.of(spec), Set.of(jobId));       // still held: nothing restarted
            assertThat(rows(url)).isEmpty();

            svc.reconcile(List.of(spec));                      // the copy ended: released, not restarted
            awaitApplied(svc, jobId, source.lastOffset);
            assertThat(rows(url)).isEqualTo(source.expected());
        }

        // held with nothing to apply: released, the app announces itself on the target (progress at start - 1)
        Source quiet = newShardLog(12);
        quiet.write(5);                                        // before the job: the copy's
        long quietStart = quiet.endOffset();
        String quietJob = "job-" + IDS.incrementAndGet();
        DeltaSyncSpec quietSpec = new DeltaSyncSpec(quietJob, quiet.topic.substring("fleetshard.shardlog.".length()),
                quietStart, MOVING, url);
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(quietSpec), Set.of(quietJob));
            Await.condition("the held job to run and poll", WAIT, () -> svc.status(quietJob).orElseThrow().state()
                    == DeltaSyncState.RUNNING && svc.polls(quietJob) >= 3);
            assertThat(progressRow(url, quietJob)).isNull();
            svc.reconcile(List.of(quietSpec));
            Await.condition("the start announcement", WAIT, () -> {
                try {
                    return progressRow(url, quietJob) != null;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(progressRow(url, quietJob)).containsExactly(quietStart - 1, 0, 0);
        }
    }

    /** The changes of {@code recs}, numbered from offset {@code from}, as the processor passes them to the writer. */
    static List<TargetChange> changes(long from, ShardLogRecords.Rec... recs) throws Exception {
        List<TargetChange> out = new ArrayList<>();
        for (ShardLogRecords.Rec r : recs) {
            com.fasterxml.jackson.databind.JsonNode n = ShardLogRecords.JSON.readTree(r.value());
            boolean delete = n.get("op").asText().equals("d");
            out.add(new TargetChange(from++, "vehicles", delete, n.get("key"), delete ? null : n.get("after")));
        }
        return out;
    }

    void aStaleWriterOfTheSameJobAppliesNothingOverNewerChanges(String url) throws Exception {
        String jobId = "job-" + IDS.incrementAndGet();
        try (JdbcTargetWriter zombie = new JdbcTargetWriter(jobId, url, 10, 2, 10, Clock.systemUTC());
             JdbcTargetWriter current = new JdbcTargetWriter(jobId, url, 10, 2, 10, Clock.systemUTC())) {
            assertThat(zombie.stored()).isEqualTo(TargetProgress.NONE);
            assertThat(zombie.apply(changes(0, ShardLogRecords.vehicle("c", "t1", "f1", "a", 10),
                    ShardLogRecords.vehicle("c", "t1", "f1", "b", 10)), 4, 0)).isEqualTo(new TargetProgress(4, 0, 2));
            assertThat(current.apply(changes(5, ShardLogRecords.vehicle("u", "t1", "f1", "a", 20),
                    ShardLogRecords.vehicle("d", "t1", "f1", "b", 0)), 9, 3)).isEqualTo(new TargetProgress(9, 3, 2));
            // the zombie, still holding offsets 3..8 of an older assignment, writes them late: nothing of it lands
            assertThat(zombie.apply(changes(3, ShardLogRecords.vehicle("u", "t1", "f1", "a", 15),
                    ShardLogRecords.vehicle("u", "t1", "f1", "b", 15)), 8, 2)).isEqualTo(new TargetProgress(9, 3, 0));
            assertThat(rows(url)).containsExactly(Map.entry("t1/f1/a", "20:v-a-20"));
            assertThat(progressRow(url, jobId)).as("offset and fence never move back").containsExactly(9, 1, 3);
            assertThat(current.stored()).isEqualTo(new TargetProgress(9, 3, 0));
        }
    }

    @Test
    void aStaleWriterAppliesNothingOverNewerChangesOnPostgres() throws Exception {
        aStaleWriterOfTheSameJobAppliesNothingOverNewerChanges(postgresTarget());
    }

    /**
     * ADR 0046: on PostgreSQL an apply notifies the control API, with the job id, at its commit — and only then; the
     * notice is no change in the WAL, so logical decoding (what capture reads) shows the transaction's rows and nothing
     * more, and a transaction that only notifies shows nothing at all.
     */
    @Test
    void aPostgresApplyNotifiesTheJobAtItsCommitAndCaptureSeesOnlyItsRows() throws Exception {
        String url = postgresTarget();
        String jobId = "job-" + IDS.incrementAndGet();
        String slot = "notice_" + IDS.incrementAndGet();
        try (Connection listener = DriverManager.getConnection(url); Statement ls = listener.createStatement();
             JdbcTargetWriter writer = new JdbcTargetWriter(jobId, url, 10, 1, 10, Clock.systemUTC())) {
            assertThat(writer.stored()).isEqualTo(TargetProgress.NONE); // creates the tables before the slot
            ls.execute("LISTEN " + JdbcTargetWriter.PROGRESS_CHANNEL);
            ls.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
            try {
                assertThat(writer.apply(changes(0, ShardLogRecords.vehicle("c", "t1", "f1", "a", 10)), 0, 6))
                        .isEqualTo(new TargetProgress(0, 6, 1));
                org.postgresql.PGNotification[] notices = listener.unwrap(org.postgresql.PGConnection.class)
                        .getNotifications((int) WAIT.toMillis());
                assertThat(notices).as("the apply's notice").isNotNull().hasSize(1);
                assertThat(notices[0].getName()).isEqualTo("fleetshard_reshard_progress");
                assertThat(notices[0].getParameter()).isEqualTo(jobId);
                ls.execute("SELECT pg_notify('" + JdbcTargetWriter.PROGRESS_CHANNEL + "', 'only-a-notice')");
                List<String> decoded = new ArrayList<>();
                try (ResultSet rs = ls.executeQuery("SELECT data FROM pg_logical_slot_get_changes('" + slot
                        + "', NULL, NULL, 'skip-empty-xacts', '1', 'include-xids', '0')")) {
                    while (rs.next()) {
                        String line = rs.getString(1);
                        decoded.add(line.startsWith("table ") ? line.substring(0, line.indexOf(':', line.indexOf(':') + 1))
                                : line);
                    }
                }
                assertThat(decoded).as("the apply's rows between BEGIN and COMMIT, no trace of either notice")
                        .containsExactly("BEGIN", "table public.fleetshard_reshard_tx: INSERT",
                                "table public.vehicles: INSERT", "table public.fleetshard_reshard_progress: INSERT",
                                "COMMIT");
            } finally {
                ls.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            }
        }
    }

    @Test
    void aStaleWriterAppliesNothingOverNewerChangesOnMariaDb() throws Exception {
        aStaleWriterOfTheSameJobAppliesNothingOverNewerChanges(mariaTarget());
    }

    /**
     * The resharder creates the same tables on the target when a job starts. A writer whose creation loses that race
     * on PostgreSQL (the other session's uncommitted table makes its {@code CREATE TABLE IF NOT EXISTS} wait, then fail
     * on the catalog's unique index) runs the statements again and goes on, within its one attempt.
     */
    @Test
    void aWriterThatLosesTheTableCreationRaceGoesOnWithinItsAttempt() throws Exception {
        String url = postgresTarget();
        String jobId = "job-" + IDS.incrementAndGet();
        try (java.sql.Connection other = java.sql.DriverManager.getConnection(url);
             JdbcTargetWriter writer = new JdbcTargetWriter(jobId, url, 10, 1, 10, Clock.systemUTC())) {
            other.setAutoCommit(false);
            try (java.sql.Statement st = other.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + JdbcTargetWriter.TX_TABLE + " (slot int PRIMARY KEY,"
                        + " job_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL)");
            }
            java.util.concurrent.CompletableFuture<TargetProgress> stored =
                    java.util.concurrent.CompletableFuture.supplyAsync(writer::stored);
            Await.condition("the writer's CREATE waiting behind the other session's", WAIT, () -> {
                try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
                     java.sql.Statement st = c.createStatement();
                     java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE"
                             + " wait_event_type = 'Lock' AND datname = current_database()")) {
                    rs.next();
                    return rs.getLong(1) > 0;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            other.commit();
            assertThat(stored.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as("one attempt was enough").isEqualTo(TargetProgress.NONE);
            assertThat(writer.apply(changes(0, ShardLogRecords.vehicle("c", "t1", "f1", "a", 10)), 0, 0))
                    .isEqualTo(new TargetProgress(0, 0, 1));
        }
    }

    @Test
    void aJobWhoseShardLogIsMissingFailsSayingSo(@TempDir Path stateDir) throws Exception {
        try (DeltaSyncService svc = service(stateDir)) {
            svc.reconcile(List.of(new DeltaSyncSpec("job-missing", "no-such-shard", 0, MOVING, "jdbc:postgresql://127.0.0.1:1/x")));
            DeltaSyncStatus s = svc.status("job-missing").orElseThrow();
            assertThat(s.state()).isEqualTo(DeltaSyncState.FAILED);
            assertThat(s.lastError()).contains("shard log fleetshard.shardlog.no-such-shard of source shard 'no-such-shard' does not exist");
        }
    }
}
