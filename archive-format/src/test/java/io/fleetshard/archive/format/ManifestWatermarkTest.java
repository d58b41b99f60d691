package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Manifests that carry capture's watermark (ADR 0048): version 2, possibly without segments. */
class ManifestWatermarkTest {
    private static final String TOPIC = "fleetshard.shardlog.pg-1";
    private final InMemoryArchiveStore store = new InMemoryArchiveStore();
    private final ShardArchivePath path = new ShardArchivePath("standard", "pg-1");
    private final ArchiveReader reader = new ArchiveReader(store, path);

    private StoredManifest write(Manifest m) {
        byte[] bytes = ManifestParser.toBytes(m);
        store.putIfAbsent(path.manifestKey(m.seq()), bytes);
        return StoredManifest.of(m, path.manifestKey(m.seq()), bytes);
    }

    private StoredManifest firstWithOneSegment() {
        List<ArchivedEvent> events = List.of(new ArchivedEvent(0, "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8)));
        byte[] seg = SegmentCodec.encode("pg-1", TOPIC, events);
        String key = path.segmentKey(0, 0);
        store.putIfAbsent(key, seg);
        return write(new Manifest("pg-1", "standard", TOPIC, 1, null, List.of(new SegmentRef(key, 0, 0, 1, seg.length,
                Sha256.hex(seg), "0/10", "0/10", 1_000, 1_000)), 1, 5, "t"));
    }

    @Test
    void aManifestWithoutWatermarkStaysVersionOneByteForByte() {
        StoredManifest m = firstWithOneSegment();
        assertThat(new String(m.bytes(), StandardCharsets.UTF_8)).contains("\"version\" : 1").doesNotContain("watermark");
        assertThat(ManifestParser.parse(m.key(), m.bytes()).watermark()).isNull();
    }

    @Test
    void aWatermarkOnlyManifestIsVersionTwoAndRoundTrips() {
        StoredManifest first = firstWithOneSegment();
        Manifest idle = new Manifest("pg-1", "standard", TOPIC, 2, first.sha256(), List.of(), 4, 9, "t",
                new Watermark(3, "0/2A", 61_000));
        StoredManifest stored = write(idle);
        String text = new String(stored.bytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("\"version\" : 2").contains("\"watermark\"").contains("\"commitTsMs\" : 61000");
        Manifest parsed = ManifestParser.parse(stored.key(), stored.bytes());
        assertThat(parsed).isEqualTo(idle);
        assertThat(ManifestParser.toBytes(parsed)).isEqualTo(stored.bytes());
        assertThat(parsed.hasSegments()).isFalse();
        assertThat(parsed.archivedThroughTsMs()).isEqualTo(61_000);
        assertThat(reader.next(first)).get().extracting(StoredManifest::manifest).isEqualTo(idle);
    }

    @Test
    void theArchiveIsThroughTheLaterOfItsLastEventAndItsWatermark() {
        Manifest m = new Manifest("pg-1", "standard", TOPIC, 1, null, List.of(new SegmentRef("k", 0, 5, 6, 10, "ab".repeat(32),
                "0/1", "0/6", 1_000, 9_000)), 8, 5, "t", new Watermark(7, "0/7", 8_000));
        assertThat(m.archivedThroughTsMs()).as("an older watermark does not pull it back").isEqualTo(9_000);
        assertThat(new Manifest("pg-1", "standard", TOPIC, 1, null, m.segments(), 8, 5, "t").archivedThroughTsMs())
                .isEqualTo(9_000);
    }

    @Test
    void aManifestNeedsASegmentOrAWatermarkBelowItsNextOffset() {
        assertThatThrownBy(() -> new Manifest("pg-1", "standard", TOPIC, 1, null, List.of(), 4, 9, "t"))
                .hasMessageContaining("lists no segment and carries no watermark");
        assertThatThrownBy(() -> new Manifest("pg-1", "standard", TOPIC, 1, null, List.of(), 4, 9, "t",
                new Watermark(4, "0/2A", 61_000))).hasMessageContaining("is not below nextOffset 4");
    }

    @Test
    void aVersionTwoManifestWithoutItsWatermarkIsMalformed() {
        byte[] bytes = ("{\"format\":\"fleetshard-manifest\",\"version\":2,\"shard\":\"pg-1\",\"tier\":\"standard\","
                + "\"topic\":\"t\",\"seq\":1,\"previousSha256\":null,\"segments\":[],\"nextOffset\":4,\"createdMs\":1,"
                + "\"writer\":\"w\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ManifestParser.parse("m", bytes))
                .isInstanceOfSatisfying(ArchiveDefectException.class,
                        e -> assertThat(e.kind()).isEqualTo(ArchiveDefectException.Kind.MALFORMED))
                .hasMessageContaining("needs a watermark");
    }
}
