package io.fleetshard.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.AuditChain;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.SegmentCodec;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.S3Server;
import io.fleetshard.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The audit log archived like a shard log (docs/spec/audit-chain.md): a real broker, a real S3 API server. The archive
 * verifies whole with its record chain; an object changed in S3 is found, and so is a record changed together with
 * the last manifest's checksums, which only the record chain can tell.
 */
class AuditArchiveIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static S3Server s3;
    static S3ArchiveStore store;

    @BeforeAll
    static void start() {
        s3 = S3Server.start(dir.resolve("s3"), FreePorts.next());
        store = new S3ArchiveStore(s3.newClient(), "audit-it");
        store.ensureBucket();
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static String previous = AuditChain.GENESIS;

    private static void appendSealed(KafkaProducer<byte[], byte[]> producer, String topic, int from, int to)
            throws Exception {
        for (int i = from; i < to; i++) {
            byte[] sealed = AuditChain.seal(previous, ("{\"eventId\":\"e" + i + "\",\"actor\":\"ann\",\"action\":"
                    + "\"POST /v1/shards/{shardId}/failover\",\"status\":202}").getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(topic, 0, null, sealed)).get();
            previous = AuditChain.parse(sealed).orElseThrow().sha256();
        }
    }

    private static long archivedCount(ShardArchivePath path) {
        ArchiveReader reader = new ArchiveReader(store, path);
        long n = 0;
        StoredManifest prev = null;
        for (Optional<StoredManifest> m = reader.next(null); m.isPresent(); m = reader.next(prev)) {
            prev = m.get();
            n += prev.manifest().records();
        }
        return n;
    }

    private static ArchiveVerifier.Report verify(ShardArchivePath path, AuditChain.Walker walker) {
        return ArchiveVerifier.verify(store, path, m -> { },
                (key, event) -> walker.accept(key, event.offset(), event.event()));
    }

    @Test
    void theAuditLogIsArchivedWithItsChainAndTamperingInS3IsFound() throws Exception {
        String topic = "audit-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                SharedKafka.get().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get();
        }
        ShardArchivePath path = new ShardArchivePath("standard", topic);
        ArchiverConfig config = ArchiverIT.config(SharedKafka.get().bootstrapServers(), "audit-archiver",
                "group-" + topic, "no-shard-logs-" + topic + ".").set(ArchiverConfig.Key.BUCKET, "audit-it")
                .set(ArchiverConfig.Key.AUDIT_TOPIC, topic).build();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedKafka.get().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
             Archiver archiver = new Archiver(config, store)) {
            archiver.start();
            appendSealed(producer, topic, 0, 10);
            Await.condition("the first 10 audit records in a manifest", WAIT, () -> archivedCount(path) == 10);
            appendSealed(producer, topic, 10, 20);
            Await.condition("all 20 audit records in manifests", WAIT, () -> archivedCount(path) == 20);
        }

        AuditChain.Walker walker = new AuditChain.Walker();
        ArchiveVerifier.Report whole = verify(path, walker);
        assertThat(whole.defect()).isEmpty();
        assertThat(walker.records()).isEqualTo(20);
        assertThat(walker.head()).isEqualTo(previous);

        // Rewrite a record of the newest manifest and that manifest's checksums with it: the manifest chain still
        // holds (no manifest links to the newest), the record chain does not
        ArchiveReader reader = new ArchiveReader(store, path);
        StoredManifest last = reader.latest().orElseThrow();
        SegmentRef ref = last.manifest().lastSegment();
        Segment segment = reader.segment(ref);
        List<ArchivedEvent> events = new ArrayList<>(segment.events());
        ArchivedEvent victim = events.get(events.size() - 1);
        events.set(events.size() - 1, new ArchivedEvent(victim.offset(), new String(victim.event(),
                StandardCharsets.UTF_8).replace("\"actor\":\"ann\"", "\"actor\":\"bob\"").getBytes(StandardCharsets.UTF_8)));
        byte[] forged = SegmentCodec.encode(segment.shard(), segment.topic(), events);
        List<SegmentRef> refs = new ArrayList<>(last.manifest().segments());
        refs.set(refs.size() - 1, new SegmentRef(ref.key(), ref.fromOffset(), ref.toOffset(), ref.records(),
                forged.length, Sha256.hex(forged), ref.firstPosition(), ref.lastPosition(), ref.firstCommitTsMs(),
                ref.lastCommitTsMs()));
        Manifest m = last.manifest();
        S3Client client = s3.newClient();
        overwrite(client, ref.key(), forged);
        overwrite(client, last.key(), ManifestParser.toBytes(new Manifest(m.shard(), m.tier(), m.topic(), m.seq(),
                m.previousSha256(), refs, m.nextOffset(), m.createdMs(), m.writer())));
        ArchiveVerifier.Report rewritten = verify(path, new AuditChain.Walker());
        assertThat(rewritten.defect()).get().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(ArchiveDefectException.Kind.BROKEN_AUDIT_CHAIN);
            assertThat(d.getMessage()).contains("audit record at offset " + victim.offset()
                    + " its content does not match its sha256").contains(ref.key());
        });

        // Any other change to an object is found by its checksum, before any record is read
        String first = new ArchiveReader(store, path).next(null).orElseThrow().manifest().segments().get(0).key();
        overwrite(client, first, "not what was archived".getBytes(StandardCharsets.UTF_8));
        ArchiveVerifier.Report changed = verify(path, new AuditChain.Walker());
        assertThat(changed.defect()).get().satisfies(d -> {
            assertThat(d.kind()).isEqualTo(ArchiveDefectException.Kind.CHECKSUM_MISMATCH);
            assertThat(d.objectKey()).isEqualTo(first);
        });
        client.close();
    }

    private static void overwrite(S3Client client, String key, byte[] bytes) {
        client.putObject(PutObjectRequest.builder().bucket("audit-it").key(key).build(), RequestBody.fromBytes(bytes));
    }
}
