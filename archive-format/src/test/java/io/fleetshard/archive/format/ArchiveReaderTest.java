package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArchiveReaderTest {
    private final InMemoryArchiveStore store = new InMemoryArchiveStore();
    private final ShardArchivePath path = new ShardArchivePath("standard", "pg-1");
    private final ArchiveReader reader = new ArchiveReader(store, path);

    private static ArchivedEvent event(long offset, String status) {
        return new ArchivedEvent(offset, ("{\"op\":\"u\",\"position\":\"0/" + offset + "\",\"commitTsMs\":" + (1000 + offset)
                + ",\"after\":{\"status\":\"" + status + "\"}}").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes manifests 1..n of two events each, as the archiver would, and returns them. */
    private List<StoredManifest> archive(int n) {
        List<StoredManifest> out = new ArrayList<>();
        String prev = null;
        for (int i = 1; i <= n; i++) {
            long from = (i - 1) * 3L;
            List<ArchivedEvent> events = List.of(event(from, "a" + i), event(from + 1, "b" + i));
            byte[] seg = SegmentCodec.encode("pg-1", "fleetshard.shardlog.pg-1", events);
            String key = path.segmentKey(from, from + 1);
            store.putIfAbsent(key, seg);
            SegmentRef ref = new SegmentRef(key, from, from + 1, 2, seg.length, Sha256.hex(seg), "0/" + from, "0/" + (from + 1),
                    1000 + from, 1001 + from);
            Manifest m = new Manifest("pg-1", "standard", "fleetshard.shardlog.pg-1", i, prev, List.of(ref), from + 3, 5, "t");
            byte[] bytes = ManifestParser.toBytes(m);
            store.putIfAbsent(path.manifestKey(i), bytes);
            StoredManifest sm = StoredManifest.of(m, path.manifestKey(i), bytes);
            prev = sm.sha256();
            out.add(sm);
        }
        return out;
    }

    @Test
    void segmentEncodingIsReproducibleAndRoundTrips() {
        List<ArchivedEvent> events = List.of(event(4, "x"), event(9, "y"));
        byte[] a = SegmentCodec.encode("pg-1", "t", events);
        byte[] b = SegmentCodec.encode("pg-1", "t", events);
        assertThat(a).isEqualTo(b);
        Segment s = SegmentCodec.decode("k", a);
        assertThat(s.fromOffset()).isEqualTo(4);
        assertThat(s.toOffset()).isEqualTo(9);
        assertThat(s.events()).extracting(ArchivedEvent::offset).containsExactly(4L, 9L);
        assertThat(s.events().get(1).event()).as("events come back byte for byte").isEqualTo(events.get(1).event());
    }

    @Test
    void aSegmentWhoseLinesAreNotRecordsIsMalformed() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
            gz.write(("{\"format\":\"fleetshard-segment\",\"version\":1,\"shard\":\"pg-1\",\"topic\":\"t\",\"fromOffset\":1,"
                    + "\"toOffset\":1,\"records\":1}\n{\"offset\":x,\"event\":{}}\n").getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> SegmentCodec.decode("k", bytes.toByteArray()))
                .isInstanceOfSatisfying(ArchiveDefectException.class, e -> assertThat(e.kind()).isEqualTo(ArchiveDefectException.Kind.MALFORMED))
                .hasMessageContaining("record line 1");
    }

    @Test
    void manifestBytesRoundTrip() {
        StoredManifest m = archive(2).get(1);
        Manifest parsed = ManifestParser.parse(m.key(), m.bytes());
        assertThat(parsed).isEqualTo(m.manifest());
        assertThat(ManifestParser.toBytes(parsed)).isEqualTo(m.bytes());
    }

    @Test
    void followsTheChainToItsEnd() {
        List<StoredManifest> written = archive(3);
        StoredManifest prev = null;
        List<Long> seqs = new ArrayList<>();
        for (Optional<StoredManifest> next = reader.next(null); next.isPresent(); next = reader.next(prev)) {
            prev = next.get();
            seqs.add(prev.manifest().seq());
            assertThat(reader.segment(prev.manifest().lastSegment()).events()).hasSize(2);
        }
        assertThat(seqs).containsExactly(1L, 2L, 3L);
        assertThat(reader.latest()).get().extracting(StoredManifest::sha256).isEqualTo(written.get(2).sha256());
    }

    @Test
    void latestAfterAKnownManifestListsOnlyWhatFollowsIt() {
        List<StoredManifest> written = archive(2);
        assertThat(reader.latest(written.get(1))).get().extracting(StoredManifest::sha256).isEqualTo(written.get(1).sha256());
        assertThat(reader.latest(written.get(0))).get().extracting(m -> m.manifest().seq()).isEqualTo(2L);
        store.replace(path.manifestKey(1), null); // not listed again once known
        assertThat(reader.latest(written.get(1))).get().extracting(m -> m.manifest().seq()).isEqualTo(2L);
    }

    @Test
    void aFlippedBitInASegmentIsACheckumMismatchNamingTheSegment() {
        StoredManifest m = archive(2).get(1);
        SegmentRef ref = m.manifest().lastSegment();
        byte[] bytes = store.get(ref.key()).orElseThrow();
        bytes[bytes.length / 2] ^= 0x10;
        store.replace(ref.key(), bytes);
        assertThatThrownBy(() -> reader.segment(ref)).isInstanceOfSatisfying(ArchiveDefectException.class, e -> {
            assertThat(e.kind()).isEqualTo(ArchiveDefectException.Kind.CHECKSUM_MISMATCH);
            assertThat(e.objectKey()).isEqualTo(ref.key());
        });
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.whole()).isFalse();
        assertThat(report.manifests()).isEqualTo(1);
        assertThat(report.defect().orElseThrow().getMessage()).contains(ref.key()).contains("SHA-256");
    }

    @Test
    void aMissingSegmentIsReportedWithItsKey() {
        SegmentRef ref = archive(1).get(0).manifest().lastSegment();
        store.replace(ref.key(), null);
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.defect().orElseThrow().kind()).isEqualTo(ArchiveDefectException.Kind.MISSING_SEGMENT);
        assertThat(report.defect().orElseThrow().objectKey()).isEqualTo(ref.key());
    }

    @Test
    void aDeletedManifestInTheMiddleIsMissingNotTheEnd() {
        archive(3);
        store.replace(path.manifestKey(2), null);
        StoredManifest first = reader.next(null).orElseThrow();
        assertThatThrownBy(() -> reader.next(first)).isInstanceOfSatisfying(ArchiveDefectException.class, e -> {
            assertThat(e.kind()).isEqualTo(ArchiveDefectException.Kind.MISSING_MANIFEST);
            assertThat(e.objectKey()).isEqualTo(path.manifestKey(2));
        });
    }

    @Test
    void aRewrittenManifestBreaksTheChainAtItsSuccessor() {
        List<StoredManifest> written = archive(3);
        Manifest m2 = written.get(1).manifest();
        Manifest forged = new Manifest(m2.shard(), m2.tier(), m2.topic(), m2.seq(), m2.previousSha256(), m2.segments(),
                m2.nextOffset(), m2.createdMs() + 1, "forger");
        store.replace(path.manifestKey(2), ManifestParser.toBytes(forged));
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.defect().orElseThrow().kind()).isEqualTo(ArchiveDefectException.Kind.BROKEN_CHAIN);
        assertThat(report.defect().orElseThrow().objectKey()).isEqualTo(path.manifestKey(3));
        assertThat(report.manifests()).isEqualTo(2);
    }

    @Test
    void aWholeArchiveVerifiesAndListsOrphanSegments() {
        archive(2);
        byte[] orphan = SegmentCodec.encode("pg-1", "t", List.of(event(6, "z")));
        store.putIfAbsent(path.segmentKey(6, 6), orphan);
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.whole()).isTrue();
        assertThat(report.manifests()).isEqualTo(2);
        assertThat(report.records()).isEqualTo(4);
        assertThat(report.orphanSegments()).containsExactly(path.segmentKey(6, 6));
    }

    @Test
    void objectsThatAreNotManifestOrSegmentNamesAreNeitherManifestsNorOrphans() {
        archive(2);
        // S3Proxy's filesystem backend lists an upload in progress as '<key>-<uuid>'
        store.putIfAbsent(path.manifestKey(3) + "-0b7c", new byte[] {1});
        store.putIfAbsent(path.segmentKey(6, 9) + "-0b7c", new byte[] {1});
        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.whole()).isTrue();
        assertThat(report.manifests()).isEqualTo(2);
        assertThat(report.orphanSegments()).isEmpty();
        assertThat(reader.latest().orElseThrow().manifest().seq()).isEqualTo(2);
    }

    @Test
    void layoutKeysSortNumerically() {
        assertThat(path.manifestKey(9).compareTo(path.manifestKey(10))).isNegative();
        assertThat(path.manifestSeqOf(path.manifestKey(42))).isEqualTo(42);
        assertThat(path.snapshotSeqOf(path.snapshotKey(7))).isEqualTo(7);
        assertThatThrownBy(() -> new ShardArchivePath("gold", "pg-1")).hasMessageContaining("tier must be one of");
    }
}
