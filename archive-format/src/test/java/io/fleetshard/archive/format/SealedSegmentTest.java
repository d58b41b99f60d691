package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedSegmentTest {
    private static final String TOPIC = "fleetshard.shardlog.pg-1";
    @TempDir
    Path keyDir;

    private static ArchivedEvent event(long offset, String tenant, String secret) {
        return new ArchivedEvent(offset, ("{\"version\":1,\"op\":\"c\",\"table\":\"vehicles\",\"tenant\":\"" + tenant
                + "\",\"fleet\":\"f1\",\"after\":{\"vin\":\"" + secret + "\"},\"commitTsMs\":" + (1000 + offset) + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    private final List<ArchivedEvent> events = List.of(event(3, "acme", "VIN-ACME-SECRET-1"), event(4, "globex", "VIN-GLOBEX-2"),
            event(7, "acme", "VIN-ACME-SECRET-3"));

    private ArchiveEncryption sealingAcme() {
        LocalKeyDirectory.createKey(keyDir, "acme");
        return new ArchiveEncryption(false, Set.of("acme"), new LocalKeyDirectory(keyDir));
    }

    private static String gunzip(byte[] gz) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sealsOnlyTheConfiguredTenantsInACompressedBlockAndOpensBackByteForByte() throws Exception {
        byte[] gz = SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme());
        String raw = gunzip(gz);
        assertThat(raw).doesNotContain("VIN-ACME-SECRET").contains("VIN-GLOBEX-2")
                .contains("\"version\":3").contains("\"keyId\":\"local:acme/1\"").contains("\"alg\":\"AES-256-GCM\"")
                .contains("{\"tenant\":\"acme\",\"fromOffset\":3,\"toOffset\":7,\"records\":2,\"sealed\":\"");

        Segment sealed = SegmentCodec.decode("k", gz);
        assertThat(sealed.events()).extracting(ArchivedEvent::offset).containsExactly(4L);
        assertThat(sealed.blocks()).extracting(Segment.SealedBlock::tenant).containsExactly("acme");
        assertThat(sealed.records()).isEqualTo(3);
        assertThat(sealed.keys()).extracting(Segment.TenantKey::tenant).containsExactly("acme");

        Segment opened = SegmentCodec.open("k", sealed, new LocalKeyDirectory(keyDir));
        assertThat(opened.blocks()).isEmpty();
        assertThat(opened.events()).extracting(ArchivedEvent::offset).containsExactly(3L, 4L, 7L);
        for (int i = 0; i < events.size(); i++) {
            assertThat(opened.events().get(i).event()).isEqualTo(events.get(i).event());
            assertThat(opened.events().get(i).sealed()).isFalse();
        }
    }

    /** A busy sealed tenant: several blocks, interleaved with a plain tenant; ~1.9 MB of record lines. */
    private static List<ArchivedEvent> manyEvents() {
        List<ArchivedEvent> many = new java.util.ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            many.add(event(10 + 2L * i, i % 4 == 3 ? "globex" : "acme", "VIN-" + i + "-" + "x".repeat(400)));
        }
        return many;
    }

    @Test
    void aBusyTenantIsSplitIntoSeveralBlocksAndALaterCutInsideABlockReadsExactlyThePrefix() {
        List<ArchivedEvent> many = manyEvents();
        Segment sealed = SegmentCodec.decode("k", SegmentCodec.encode("pg-1", TOPIC, many, sealingAcme()));
        assertThat(sealed.blocks()).hasSizeGreaterThan(1).allMatch(b -> b.tenant().equals("acme"));
        assertThat(sealed.records()).isEqualTo(many.size());
        Segment opened = SegmentCodec.open("k", sealed, new LocalKeyDirectory(keyDir));
        assertThat(opened.events()).extracting(ArchivedEvent::offset)
                .containsExactlyElementsOf(many.stream().map(ArchivedEvent::offset).toList());

        // A point-in-time restore stops at the first event past its time: here inside the second block.
        Segment.SealedBlock second = sealed.blocks().get(1);
        long stopAt = second.fromOffset() + 2 * 5; // a few records into the block
        assertThat(stopAt).isLessThan(second.toOffset());
        List<ArchivedEvent> replayed = opened.events().stream().takeWhile(e -> e.offset() <= stopAt).toList();
        List<ArchivedEvent> expected = many.stream().takeWhile(e -> e.offset() <= stopAt).toList();
        assertThat(replayed).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(replayed.get(i).event()).isEqualTo(expected.get(i).event());
        }
    }

    @Test
    void compressingBeforeSealingKeepsASealedSegmentNearThePlainSize() {
        List<ArchivedEvent> many = manyEvents();
        int plain = SegmentCodec.encode("pg-1", TOPIC, many).length;
        LocalKeyDirectory.createKey(keyDir, "acme");
        LocalKeyDirectory.createKey(keyDir, "globex");
        int sealed = SegmentCodec.encode("pg-1", TOPIC, many,
                new ArchiveEncryption(true, Set.of(), new LocalKeyDirectory(keyDir))).length;
        assertThat(sealed).isLessThan(plain * 2);
    }

    @Test
    void aVersionTwoSegmentWithOneSealedLinePerRecordIsStillRead() throws Exception {
        LocalKeyDirectory keys = new LocalKeyDirectory(keyDir);
        LocalKeyDirectory.createKey(keyDir, "acme");
        TenantKeyProvider.DataKey dataKey = keys.generate("acme");
        StringBuilder raw = new StringBuilder("{\"format\":\"fleetshard-segment\",\"version\":2,\"shard\":\"pg-1\",\"topic\":\""
                + TOPIC + "\",\"fromOffset\":3,\"toOffset\":7,\"records\":3,\"keys\":[{\"tenant\":\"acme\",\"keyId\":\""
                + dataKey.keyId() + "\",\"alg\":\"AES-256-GCM\",\"wrappedKey\":\""
                + java.util.Base64.getEncoder().encodeToString(dataKey.wrapped()) + "\"}]}\n");
        for (ArchivedEvent e : events) {
            String plainEvent = new String(e.event(), StandardCharsets.UTF_8);
            if (plainEvent.contains("\"tenant\":\"acme\"")) {
                byte[] s = SegmentSeal.seal(dataKey.plaintext(), "pg-1", TOPIC, "acme", e.offset(), e.event());
                raw.append("{\"offset\":").append(e.offset()).append(",\"tenant\":\"acme\",\"sealed\":\"")
                        .append(java.util.Base64.getEncoder().encodeToString(s)).append("\"}\n");
            } else {
                raw.append("{\"offset\":").append(e.offset()).append(",\"event\":").append(plainEvent).append("}\n");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw.toString().getBytes(StandardCharsets.UTF_8));
        }
        Segment v2 = SegmentCodec.decode("v2", out.toByteArray());
        assertThat(v2.events()).extracting(ArchivedEvent::sealedFor).containsExactly("acme", null, "acme");
        assertThat(v2.blocks()).isEmpty();
        Segment opened = SegmentCodec.open("v2", v2, keys);
        for (int i = 0; i < events.size(); i++) {
            assertThat(opened.events().get(i).event()).isEqualTo(events.get(i).event());
        }
    }

    @Test
    void aSegmentWithoutSealedTenantsStaysVersionOneAndReproducible() {
        ArchiveEncryption enc = new ArchiveEncryption(false, Set.of("initech"), new LocalKeyDirectory(keyDir));
        assertThat(SegmentCodec.encode("pg-1", TOPIC, events, enc)).isEqualTo(SegmentCodec.encode("pg-1", TOPIC, events));
    }

    private static byte[] regzip(String raw) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    @Test
    void anAlteredBlockFailsAuthenticationNamingTenantAndOffsets() throws Exception {
        String raw = gunzip(SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme()));
        // flip one base64 character inside the sealed block
        int at = raw.lastIndexOf("\"sealed\":\"") + 20;
        char c = raw.charAt(at);
        Segment sealed = SegmentCodec.decode("seg-x", regzip(raw.substring(0, at) + (c == 'A' ? 'B' : 'A') + raw.substring(at + 1)));
        assertThatThrownBy(() -> SegmentCodec.open("seg-x", sealed, new LocalKeyDirectory(keyDir)))
                .isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining("authentication-failed").hasMessageContaining("seg-x")
                .hasMessageContaining("tenant acme").hasMessageContaining("offsets 3..7");
    }

    @Test
    void aBlockWhoseClearLabelsAreChangedDoesNotAuthenticate() throws Exception {
        String raw = gunzip(SegmentCodec.encode("pg-1", TOPIC, List.of(events.get(1), events.get(0), events.get(2)).stream()
                .sorted(java.util.Comparator.comparingLong(ArchivedEvent::offset)).toList(), sealingAcme()));
        // claim the block ends at offset 6: the header's range no longer spans it, so widen nothing else
        String relabelled = raw.replace("\"toOffset\":7,\"records\":2", "\"toOffset\":6,\"records\":2")
                .replace("\"toOffset\":7,\"records\":3", "\"toOffset\":6,\"records\":3");
        Segment sealed = SegmentCodec.decode("seg-r", regzip(relabelled));
        assertThatThrownBy(() -> SegmentCodec.open("seg-r", sealed, new LocalKeyDirectory(keyDir)))
                .hasMessageContaining("authentication-failed").hasMessageContaining("tenant acme");

        byte[] dataKey = new byte[32];
        byte[] block = SegmentSeal.sealBlock(dataKey, "pg-1", TOPIC, "acme", 3, 7, 2, new byte[] {1, 2});
        assertThat(SegmentSeal.openBlock(dataKey, "pg-1", TOPIC, "acme", 3, 7, 2, block)).containsExactly(1, 2);
        assertThat(SegmentSeal.openBlock(dataKey, "pg-1", TOPIC, "acme", 3, 7, 1, block)).isNull();
        assertThat(SegmentSeal.openBlock(dataKey, "pg-1", TOPIC, "globex", 3, 7, 2, block)).isNull();
        assertThat(SegmentSeal.openBlock(dataKey, "pg-2", TOPIC, "acme", 3, 7, 2, block)).isNull();
    }

    @Test
    void aRecordMovedToAnotherOffsetDoesNotAuthenticate() {
        byte[] dataKey = new byte[32];
        byte[] sealed = SegmentSeal.seal(dataKey, "pg-1", TOPIC, "acme", 3, "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(SegmentSeal.open(dataKey, "pg-1", TOPIC, "acme", 3, sealed)).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
        assertThat(SegmentSeal.open(dataKey, "pg-1", TOPIC, "acme", 4, sealed)).isNull();
        assertThat(SegmentSeal.open(dataKey, "pg-1", TOPIC, "globex", 3, sealed)).isNull();
    }

    @Test
    void aWrongKeyIsAClearKeyErrorNotGarbage() throws Exception {
        Segment sealed = SegmentCodec.decode("seg-y", SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme()));
        Files.writeString(keyDir.resolve("acme").resolve("1.key"), "00".repeat(32));
        assertThatThrownBy(() -> SegmentCodec.open("seg-y", sealed, new LocalKeyDirectory(keyDir)))
                .isInstanceOf(ArchiveDefectException.class)
                .satisfies(e -> assertThat(((ArchiveDefectException) e).kind()).isEqualTo(ArchiveDefectException.Kind.KEY_UNAVAILABLE))
                .hasMessageContaining("tenant acme").hasMessageContaining("local:acme/1");
    }

    @Test
    void aDeletedKeyOrNoProviderNamesTenantAndKeyId() throws Exception {
        Segment sealed = SegmentCodec.decode("seg-z", SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme()));
        assertThatThrownBy(() -> SegmentCodec.open("seg-z", sealed, null))
                .hasMessageContaining("key-unavailable").hasMessageContaining("tenant acme").hasMessageContaining("local:acme/1")
                .hasMessageContaining("no key provider");
        Files.delete(keyDir.resolve("acme").resolve("1.key"));
        assertThatThrownBy(() -> SegmentCodec.open("seg-z", sealed, new LocalKeyDirectory(keyDir)))
                .hasMessageContaining("key-unavailable").hasMessageContaining("tenant acme").hasMessageContaining("local:acme/1")
                .hasMessageContaining("does not exist");
    }

    @Test
    void aRotatedKeySealsNewSegmentsAndOldOnesStayReadableWhileTheOldVersionExists() {
        ArchiveEncryption enc = sealingAcme();
        Segment old = SegmentCodec.decode("old", SegmentCodec.encode("pg-1", TOPIC, events, enc));
        assertThat(LocalKeyDirectory.createKey(keyDir, "acme")).isEqualTo("local:acme/2");
        Segment rotated = SegmentCodec.decode("new", SegmentCodec.encode("pg-1", TOPIC, events, enc));
        assertThat(rotated.keys()).extracting(Segment.TenantKey::keyId).containsExactly("local:acme/2");
        LocalKeyDirectory keys = new LocalKeyDirectory(keyDir);
        assertThat(SegmentCodec.open("old", old, keys).events()).noneMatch(ArchivedEvent::sealed);
        assertThat(SegmentCodec.open("new", rotated, keys).events()).noneMatch(ArchivedEvent::sealed);
    }

    @Test
    void sealingATenantWithoutAKeyFailsBeforeAnythingIsWritten() {
        ArchiveEncryption enc = new ArchiveEncryption(true, Set.of(), new LocalKeyDirectory(keyDir));
        assertThatThrownBy(() -> SegmentCodec.encode("pg-1", TOPIC, events, enc))
                .isInstanceOf(TenantKeyException.class).hasMessageContaining("tenant acme").hasMessageContaining("local:acme/1");
    }

    @Test
    void anArchiveOfSealedSegmentsVerifiesWithoutKeysAndReadsWithThem() {
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        ShardArchivePath path = new ShardArchivePath("platinum", "pg-1");
        byte[] seg = SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme());
        String key = path.segmentKey(3, 7);
        store.putIfAbsent(key, seg);
        SegmentRef ref = new SegmentRef(key, 3, 7, 3, seg.length, Sha256.hex(seg), "0/3", "0/7", 1003, 1007);
        Manifest m = new Manifest("pg-1", "platinum", TOPIC, 1, null, List.of(ref), 8, 5, "t");
        store.putIfAbsent(path.manifestKey(1), ManifestParser.toBytes(m));

        ArchiveVerifier.Report report = ArchiveVerifier.verify(store, path, x -> { });
        assertThat(report.whole()).isTrue();
        assertThat(report.records()).isEqualTo(3);

        assertThatThrownBy(() -> new ArchiveReader(store, path).segment(ref)).hasMessageContaining("key-unavailable");
        Segment s = new ArchiveReader(store, path, new LocalKeyDirectory(keyDir)).segment(ref);
        assertThat(new String(s.events().get(2).event(), StandardCharsets.UTF_8)).contains("VIN-ACME-SECRET-3");

        // one byte of the stored object changed: verify (no key) names the segment
        byte[] tampered = seg.clone();
        tampered[tampered.length / 2] ^= 1;
        InMemoryArchiveStore altered = new InMemoryArchiveStore();
        altered.putIfAbsent(key, tampered);
        altered.putIfAbsent(path.manifestKey(1), ManifestParser.toBytes(m));
        ArchiveVerifier.Report bad = ArchiveVerifier.verify(altered, path, x -> { });
        assertThat(bad.whole()).isFalse();
        assertThat(bad.defect().orElseThrow().kind()).isEqualTo(ArchiveDefectException.Kind.CHECKSUM_MISMATCH);
        assertThat(bad.defect().orElseThrow().objectKey()).isEqualTo(key);
    }

    @Test
    void configIsValidatedAndOpensALocalDirectory() {
        assertThatThrownBy(() -> ArchiveEncryptionConfig.fromMap(Map.of("archive.encryption.tenants", "acme",
                "archive.encryption.provider", "vault", "archive.encryption.typo", "x")))
                .hasMessageContaining("unknown key 'archive.encryption.typo'");
        assertThatThrownBy(() -> ArchiveEncryptionConfig.fromMap(Map.of("archive.encryption.tenants", "acme,bad id")))
                .hasMessageContaining("'bad id'").hasMessageContaining("archive.encryption.local.dir is required");
        assertThatThrownBy(() -> ArchiveEncryptionConfig.fromMap(Map.of("archive.encryption.provider", "vault")))
                .hasMessageContaining("must be local or kms, got 'vault'");
        ArchiveEncryption enc = ArchiveEncryptionConfig.fromMap(Map.of("archive.encryption.tenants", "*",
                "archive.encryption.local.dir", keyDir.toString(), "other.key", "ignored")).open();
        assertThat(enc.seals("anyone")).isTrue();
        assertThat(enc.seals("")).isFalse();
        assertThat(ArchiveEncryptionConfig.defaults().open()).isSameAs(ArchiveEncryption.NONE);
    }

    @Test
    void readmeTableMatchesTheKeys() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(ArchiveEncryptionConfig.markdownTable());
    }

    @Test
    void snapshotRowsOfASealedTenantRoundTripAndStopWithoutTheirKey() throws Exception {
        LocalKeyDirectory.createKey(keyDir, "acme");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        byte[] row = "{\"tenant_id\":\"acme\",\"vin\":\"VIN-SNAP-SECRET\"}".getBytes(StandardCharsets.UTF_8);
        String keyLine;
        String sealedLine;
        try (SnapshotRowSeal writer = new SnapshotRowSeal("p/1", new LocalKeyDirectory(keyDir))) {
            keyLine = writer.keyLine("acme");
            assertThat(writer.keyLine("acme")).as("one key line per tenant and part").isNull();
            sealedLine = writer.sealedLine("acme", 5, row);
        }
        assertThat(keyLine + sealedLine).doesNotContain("VIN-SNAP-SECRET").contains("local:acme/1");
        try (SnapshotRowSeal reader = new SnapshotRowSeal("p/1", new LocalKeyDirectory(keyDir))) {
            assertThat(reader.rowOf(json.readTree(keyLine), 5)).isNull();
            assertThat(reader.rowOf(json.readTree(sealedLine), 5).path("vin").asText()).isEqualTo("VIN-SNAP-SECRET");
            assertThatThrownBy(() -> reader.rowOf(json.readTree(sealedLine), 6)).hasMessageContaining("authentication-failed");
        }
        try (SnapshotRowSeal keyless = new SnapshotRowSeal("p/1", null)) {
            assertThatThrownBy(() -> keyless.rowOf(json.readTree(keyLine), 5)).hasMessageContaining("key-unavailable")
                    .hasMessageContaining("tenant acme").hasMessageContaining("local:acme/1");
        }
    }
}
