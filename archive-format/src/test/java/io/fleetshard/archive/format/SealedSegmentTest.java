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
    void sealsOnlyTheConfiguredTenantsAndOpensBackByteForByte() throws Exception {
        byte[] gz = SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme());
        String raw = gunzip(gz);
        assertThat(raw).doesNotContain("VIN-ACME-SECRET").contains("VIN-GLOBEX-2")
                .contains("\"version\":2").contains("\"keyId\":\"local:acme/1\"").contains("\"alg\":\"AES-256-GCM\"");

        Segment sealed = SegmentCodec.decode("k", gz);
        assertThat(sealed.events()).extracting(ArchivedEvent::sealedFor).containsExactly("acme", null, "acme");
        assertThat(sealed.keys()).extracting(Segment.TenantKey::tenant).containsExactly("acme");

        Segment opened = SegmentCodec.open("k", sealed, new LocalKeyDirectory(keyDir));
        for (int i = 0; i < events.size(); i++) {
            assertThat(opened.events().get(i).event()).isEqualTo(events.get(i).event());
            assertThat(opened.events().get(i).sealed()).isFalse();
        }
    }

    @Test
    void aSegmentWithoutSealedTenantsStaysVersionOneAndReproducible() {
        ArchiveEncryption enc = new ArchiveEncryption(false, Set.of("initech"), new LocalKeyDirectory(keyDir));
        assertThat(SegmentCodec.encode("pg-1", TOPIC, events, enc)).isEqualTo(SegmentCodec.encode("pg-1", TOPIC, events));
    }

    @Test
    void anAlteredCiphertextFailsAuthenticationNamingOffsetAndTenant() throws Exception {
        byte[] gz = SegmentCodec.encode("pg-1", TOPIC, events, sealingAcme());
        String raw = gunzip(gz);
        // flip one base64 character inside the last sealed record
        int at = raw.lastIndexOf("\"sealed\":\"") + 20;
        char c = raw.charAt(at);
        String tampered = raw.substring(0, at) + (c == 'A' ? 'B' : 'A') + raw.substring(at + 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(tampered.getBytes(StandardCharsets.UTF_8));
        }
        Segment sealed = SegmentCodec.decode("seg-x", out.toByteArray());
        assertThatThrownBy(() -> SegmentCodec.open("seg-x", sealed, new LocalKeyDirectory(keyDir)))
                .isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining("authentication-failed").hasMessageContaining("seg-x")
                .hasMessageContaining("offset 7").hasMessageContaining("tenant acme");
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
