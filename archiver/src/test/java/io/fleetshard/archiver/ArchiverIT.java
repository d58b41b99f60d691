package io.fleetshard.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.Counter;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archiver against a real Kafka broker and a real S3 API server: what lands in S3 is every committed event once. */
class ArchiverIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static S3Server s3;
    static int s3Port;
    static S3ArchiveStore store;

    @BeforeAll
    static void start() {
        s3Port = FreePorts.next();
        s3 = S3Server.start(dir.resolve("s3"), s3Port);
        store = new S3ArchiveStore(s3.newClient(), "archive-it");
        store.ensureBucket();
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    static ArchiverConfig.Builder config(String bootstrap, String id, String group, String prefix) {
        return ArchiverConfig.builder(bootstrap, id)
                .set(ArchiverConfig.Key.GROUP_ID, group)
                .set(ArchiverConfig.Key.SHARD_LOG_TOPIC_PREFIX, prefix)
                .set(ArchiverConfig.Key.BUCKET, "archive-it")
                .set(ArchiverConfig.Key.SEGMENT_MAX_AGE_MS, 200)
                .set(ArchiverConfig.Key.SEGMENT_MAX_BYTES, 64 * 1024)
                .set(ArchiverConfig.Key.STORE_BACKOFF_MS, 50)
                .set(ArchiverConfig.Key.STORE_BACKOFF_MAX_MS, 500)
                .set(ArchiverConfig.Key.TOPIC_DISCOVERY_MS, 500);
    }

    private static String unique(String what) {
        return what + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void createShardLogs(String... topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.get().bootstrapServers()))) {
            List<NewTopic> list = new ArrayList<>();
            for (String t : topics) {
                list.add(new NewTopic(t, Optional.of(1), Optional.empty()));
            }
            admin.createTopics(list).all().get();
        }
    }

    /** Every archived event's {@code n}, in archive order, after checking the chain and every checksum. */
    private static List<Long> archivedNumbers(String shard) {
        ShardArchivePath path = new ShardArchivePath("standard", shard);
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, m -> { });
        assertThat(report.defect()).as("archive of %s is whole", shard).isEmpty();
        ArchiveReader reader = new ArchiveReader(store, path);
        List<Long> out = new ArrayList<>();
        StoredManifest prev = null;
        for (Optional<StoredManifest> m = reader.next(null); m.isPresent(); m = reader.next(prev)) {
            prev = m.get();
            for (SegmentRef ref : prev.manifest().segments()) {
                for (ArchivedEvent e : reader.segment(ref).events()) {
                    try {
                        out.add(JSON.readTree(e.event()).path("n").asLong());
                    } catch (java.io.IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                }
            }
        }
        return out;
    }

    /** Events listed by the shard's manifests (walks the chain, downloads no segment). */
    private static long archivedCount(String shard) {
        ArchiveReader reader = new ArchiveReader(store, new ShardArchivePath("standard", shard));
        long n = 0;
        StoredManifest prev = null;
        for (Optional<StoredManifest> m = reader.next(null); m.isPresent(); m = reader.next(prev)) {
            prev = m.get();
            n += prev.manifest().records();
        }
        return n;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long n = from; n <= to; n++) {
            out.add(n);
        }
        return out;
    }

    @Test
    void archivesEveryCommittedEventOfEveryShardOnceInCommitOrderAndSkipsAbortedOnes() throws Exception {
        String prefix = unique("arch") + ".shardlog.";
        String bootstrap = SharedKafka.get().bootstrapServers();
        String a = prefix + "s1";
        String b = prefix + "s2";
        createShardLogs(a, b);
        try (ShardLogWriter wa = new ShardLogWriter(bootstrap, a); ShardLogWriter wb = new ShardLogWriter(bootstrap, b);
             Archiver archiver = new Archiver(config(bootstrap, "a1", prefix + "group", prefix).build(), store)) {
            archiver.start();
            wa.write(0, 99, true);
            wa.write(100, 149, false);
            wa.write(150, 299, true);
            wb.write(0, 9, true);
            Await.condition("both shards archived", WAIT, () -> archivedCount("s1") == 250 && archivedCount("s2") == 10);

            List<Long> expected = range(0, 99);
            expected.addAll(range(150, 299));
            assertThat(archivedNumbers("s1")).isEqualTo(expected);
            assertThat(archivedNumbers("s2")).isEqualTo(range(0, 9));
            assertThat(archiver.status()).containsKeys("s1", "s2");
            Counter events = archiver.meterRegistry().get("fleetshard.archive.events").tag("shard", "s1").counter();
            assertThat(events.count()).isEqualTo(250);
            assertThat(archiver.meterRegistry().get("fleetshard.archive.rpo").tag("shard", "s1").timer().count()).isEqualTo(250);

            // a shard log created later (a newly registered shard) is picked up without a restart
            String c = prefix + "s3";
            createShardLogs(c);
            try (ShardLogWriter wc = new ShardLogWriter(bootstrap, c)) {
                wc.write(0, 4, true);
            }
            Await.condition("the new shard archived", WAIT, () -> archivedCount("s3") == 5);
        }
    }

    @Test
    void aSigkilledArchiversShardsMoveToTheSurvivorAndTheArchiveHoldsEveryEventExactlyOnce() throws Exception {
        String prefix = unique("kill") + ".shardlog.";
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shard = prefix.substring(0, 12) + "-k";
        String topic = prefix + shard;
        createShardLogs(topic);
        int total = 10_000;
        Process child = startChild(bootstrap, prefix + "group", prefix, "child");
        try (ShardLogWriter w = new ShardLogWriter(bootstrap, topic)) {
            Await.condition("the child archiver is up", WAIT, () -> childLog("child", prefix).contains("now archiving [" + shard + "]"));
            CompletableFuture<Void> burst = CompletableFuture.runAsync(() -> {
                for (int n = 0; n < total; n += 50) {
                    w.write(n, n + 49, true);
                }
            });
            Await.condition("the child archiver is mid-stream", WAIT, () -> archivedCount(shard) > 1_000);
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            long archivedAtKill = archivedCount(shard);
            try (Archiver survivor = new Archiver(config(bootstrap, "survivor", prefix + "group", prefix).build(), store)) {
                survivor.start();
                burst.get();
                Await.condition("every event archived", WAIT, () -> archivedCount(shard) >= total);
                List<Long> numbers = archivedNumbers(shard);
                Map<Long, Long> counts = numbers.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
                System.out.printf("Archiver kill measurement: %d events archived at SIGKILL, %d after, %d distinct%n",
                        archivedAtKill, numbers.size(), counts.size());
                assertThat(archivedAtKill).isLessThan(total);
                assertThat(counts).as("no event archived twice").allSatisfy((n, k) -> assertThat(k).as("event %d", n).isEqualTo(1L));
                assertThat(numbers).as("every event, in commit order").isEqualTo(range(0, total - 1));
                assertThat(survivor.status()).containsKey(shard);
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void whileS3IsDownTheArchiverBacksOffAndThenCatchesUpWithNothingLost() throws Exception {
        String prefix = unique("s3down") + ".shardlog.";
        String bootstrap = SharedKafka.get().bootstrapServers();
        String topic = prefix + "d1";
        createShardLogs(topic);
        S3Server own = S3Server.start(dir.resolve("s3-own-" + UUID.randomUUID()), FreePorts.next());
        int port = own.endpoint().getPort();
        Path data = own.dataDir();
        S3ArchiveStore ownStore = new S3ArchiveStore(own.newClient(), "archive-down");
        ownStore.ensureBucket();
        try (ShardLogWriter w = new ShardLogWriter(bootstrap, topic);
             Archiver archiver = new Archiver(config(bootstrap, "a1", prefix + "group", prefix)
                     .set(ArchiverConfig.Key.BUCKET, "archive-down").build(), ownStore)) {
            archiver.start();
            w.write(0, 49, true);
            ShardArchivePath path = new ShardArchivePath("standard", "d1");
            Await.condition("first events archived", WAIT, () -> new ArchiveReader(ownStore, path).latest().isPresent());
            own.close();
            w.write(50, 199, true);
            Await.condition("failed S3 writes are counted", WAIT, () -> archiver.meterRegistry().find("fleetshard.archive.errors")
                    .tag("shard", "d1").tag("kind", "s3-unavailable").counters().stream().mapToDouble(Counter::count).sum() >= 2);
            assertThat(archiver.status().get("d1").state()).isEqualTo("backoff");
            assertThat(archiver.status().get("d1").lastError()).contains("s3://archive-down/standard/d1/");
            own = S3Server.start(data, port);
            Await.condition("archive caught up", WAIT, () -> new ArchiveReader(ownStore, path).latest()
                    .map(m -> m.manifest().nextOffset()).orElse(0L) >= 200);
            ArchiveVerifier.Report report = ArchiveVerifier.verify(ownStore, path, m -> { });
            assertThat(report.defect()).isEmpty();
            assertThat(report.records()).isEqualTo(200);
            assertThat(archiver.status().get("d1").state()).isEqualTo("archiving");
        } finally {
            own.close();
        }
    }

    private static String childLog(String id, String prefix) {
        try {
            File f = Path.of("target", "archiver-child-" + id + "-" + prefix + "log").toFile();
            return f.exists() ? java.nio.file.Files.readString(f.toPath()) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static Process startChild(String bootstrap, String group, String prefix, String id) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ArchiverMain.class.getName(),
                bootstrap, group, prefix, id, s3.endpoint().toString(), s3.accessKey(), s3.secretKey(), "archive-it");
        File log = Path.of("target", "archiver-child-" + id + "-" + prefix + "log").toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    }
}
