package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.AuditChain;
import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.SegmentCodec;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveCommandTest {
    @Test
    void reportsEveryBadOptionAtOnce(@TempDir Path dir) {
        assertThatThrownBy(() -> ArchiveCommand.parseTarget(List.of("--tier", "gold", "--colour", "x", "--data-dir",
                dir.toString()), List.of(), ArchiveCommand.USAGE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --colour")
                .hasMessageContaining("--shard is required")
                .hasMessageContaining("--tier must be one of standard, enhanced, platinum, got 'gold'")
                .hasMessageContaining("no --s3-endpoint or --region given and no dev platform data in");
    }

    @Test
    void anExplicitEndpointNeedsNoDevPlatform() {
        ArchiveCommand.Target t = ArchiveCommand.parseTarget(List.of("--shard", "pg-1", "--s3-endpoint", "http://127.0.0.1:9",
                "--bucket", "b1", "--tier", "platinum"), List.of(), ArchiveCommand.USAGE);
        assertThat(t.path()).isEqualTo(new ShardArchivePath("platinum", "pg-1"));
        assertThat(t.bucket()).isEqualTo("b1");
    }

    @Test
    void verifyExitsNonZeroAndNamesTheDefectiveObject() {
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        ShardArchivePath path = new ShardArchivePath("standard", "pg-1");
        byte[] seg = SegmentCodec.encode("pg-1", "t", List.of(new ArchivedEvent(0, "{\"op\":\"c\"}".getBytes(StandardCharsets.UTF_8))));
        store.putIfAbsent(path.segmentKey(0, 0), seg);
        SegmentRef ref = new SegmentRef(path.segmentKey(0, 0), 0, 0, 1, seg.length, Sha256.hex(seg), "0/1", "0/1", 1, 1);
        store.putIfAbsent(path.manifestKey(1), ManifestParser.toBytes(new Manifest("pg-1", "standard", "t", 1, null,
                List.of(ref), 1, 1, "w")));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(ArchiveCommand.verify(store, path, new PrintStream(out, true), new PrintStream(err, true))).isZero();
        assertThat(out.toString()).contains("1 manifests, 1 segments, 1 events", "archive is whole");
        assertThat(ArchiveCommand.list(store, path, new PrintStream(out, true))).isZero();
        assertThat(out.toString()).contains("0..0");

        ByteArrayOutputStream json = new ByteArrayOutputStream();
        assertThat(ArchiveCommand.listJson(store, path, new PrintStream(json, true))).isZero();
        assertThat(json.toString()).contains("\"seq\" : 1", "\"fromOffset\" : 0", "\"events\" : 1", "\"snapshots\" : [ ]");
        json.reset();
        assertThat(ArchiveCommand.verifyJson(store, path, false, new PrintStream(json, true))).isZero();
        assertThat(json.toString()).contains("\"whole\" : true", "\"defect\" : null", "\"segments\" : 1");

        seg[seg.length - 5] ^= 1;
        store.replace(path.segmentKey(0, 0), seg);
        assertThat(ArchiveCommand.verify(store, path, new PrintStream(out, true), new PrintStream(err, true))).isEqualTo(1);
        assertThat(err.toString()).contains("DEFECT", path.segmentKey(0, 0), "SHA-256");
        json.reset();
        assertThat(ArchiveCommand.verifyJson(store, path, false, new PrintStream(json, true))).isEqualTo(1);
        assertThat(json.toString()).contains("\"whole\" : false", path.segmentKey(0, 0));
    }

    @Test
    void verifyOfTheAuditArchiveWalksTheRecordChainAndNamesTheBrokenRecord() {
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        ShardArchivePath path = new ShardArchivePath("standard", ArchiveCommand.AUDIT_TOPIC);
        byte[] first = AuditChain.seal(AuditChain.GENESIS, "{\"eventId\":\"a\"}".getBytes(StandardCharsets.UTF_8));
        byte[] second = AuditChain.seal(AuditChain.parse(first).orElseThrow().sha256(),
                "{\"eventId\":\"b\"}".getBytes(StandardCharsets.UTF_8));
        java.util.function.Function<List<byte[]>, Integer> verifyOf = records -> {
            InMemoryArchiveStore s = new InMemoryArchiveStore();
            List<ArchivedEvent> events = new java.util.ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                events.add(new ArchivedEvent(i, records.get(i)));
            }
            byte[] seg = SegmentCodec.encode(path.shardId(), path.shardId(), events);
            int last = records.size() - 1;
            s.putIfAbsent(path.segmentKey(0, last), seg);
            SegmentRef ref = new SegmentRef(path.segmentKey(0, last), 0, last, records.size(), seg.length,
                    Sha256.hex(seg), "", "", 1, 1);
            s.putIfAbsent(path.manifestKey(1), ManifestParser.toBytes(new Manifest(path.shardId(), "standard",
                    path.shardId(), 1, null, List.of(ref), last + 1, 1, "w")));
            return ArchiveCommand.verify(s, path, true, new PrintStream(OUT, true), new PrintStream(ERR, true));
        };
        assertThat(verifyOf.apply(List.of(first, second))).isZero();
        assertThat(OUT.toString()).contains("audit chain: 2 records linked, head "
                + AuditChain.parse(second).orElseThrow().sha256(), "archive is whole");
        assertThat(verifyOf.apply(List.of(second))).isEqualTo(1);
        assertThat(ERR.toString()).contains("DEFECT", "broken-audit-chain", "audit record at offset 0",
                "not the chain's start");
        assertThat(store.list(path.prefix(), null, 10)).isEmpty();
    }

    private static final ByteArrayOutputStream OUT = new ByteArrayOutputStream();
    private static final ByteArrayOutputStream ERR = new ByteArrayOutputStream();

    @Test
    void auditAndShardAreExclusive() {
        assertThatThrownBy(() -> ArchiveCommand.run(List.of("verify", "--audit", "--shard", "pg-1"),
                new PrintStream(OUT, true), new PrintStream(ERR, true)))
                .hasMessageContaining("--audit and --shard name different archives");
    }
}
