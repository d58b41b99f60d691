package io.fleetshard.controlapi;

import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.SegmentCodec;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a shard archive as the archiver does (docs/spec/archive.md), through archive-format's classes: manifest
 * {@code seq} adds one segment of two events at offsets {@code 3(seq-1)} and {@code 3(seq-1)+1}, whose last event has
 * position {@link #lastPosition(long)} and commit time {@link #lastCommitTsMs(long)}; it was created at
 * {@link #createdMs(long)}.
 */
final class TestArchive {
    static final long BASE_MS = 1_735_689_600_000L;

    private final ArchiveStore store;
    private final ShardArchivePath path;
    private StoredManifest last;

    TestArchive(ArchiveStore store, ShardArchivePath path) {
        this.store = store;
        this.path = path;
    }

    static String lastPosition(long seq) {
        return "0/" + Long.toHexString(0x1000 * seq).toUpperCase(java.util.Locale.ROOT);
    }

    static long lastCommitTsMs(long seq) {
        return BASE_MS + 1000 * seq;
    }

    static long createdMs(long seq) {
        return lastCommitTsMs(seq) + 50;
    }

    /** Writes the next {@code count} manifests (and their segments) after those this instance wrote. */
    TestArchive append(int count) {
        for (int i = 0; i < count; i++) {
            long seq = last == null ? 1 : last.manifest().seq() + 1;
            long from = (seq - 1) * 3;
            String topic = "fleetshard.shardlog." + path.shardId();
            List<ArchivedEvent> events = List.of(event(from, "0/" + Long.toHexString(0x1000 * seq - 8), seq),
                    event(from + 1, lastPosition(seq), seq));
            byte[] segment = SegmentCodec.encode(path.shardId(), topic, events);
            String segmentKey = path.segmentKey(from, from + 1);
            store.putIfAbsent(segmentKey, segment);
            SegmentRef ref = new SegmentRef(segmentKey, from, from + 1, 2, segment.length, Sha256.hex(segment),
                    "0/" + Long.toHexString(0x1000 * seq - 8), lastPosition(seq), lastCommitTsMs(seq) - 1,
                    lastCommitTsMs(seq));
            Manifest m = new Manifest(path.shardId(), path.tier(), topic, seq, last == null ? null : last.sha256(),
                    List.of(ref), from + 3, createdMs(seq), "control-api-test");
            byte[] bytes = ManifestParser.toBytes(m);
            store.putIfAbsent(path.manifestKey(seq), bytes);
            last = StoredManifest.of(m, path.manifestKey(seq), bytes);
        }
        return this;
    }

    /** Writes the next manifest without segments, carrying capture's watermark at {@code position} and {@code commitTsMs}. */
    TestArchive watermark(String position, long commitTsMs, long createdMs) {
        long seq = last.manifest().seq() + 1;
        long offset = last.manifest().nextOffset();
        Manifest m = new Manifest(path.shardId(), path.tier(), "fleetshard.shardlog." + path.shardId(), seq,
                last.sha256(), List.of(), offset + 2, createdMs, "control-api-test",
                new io.fleetshard.archive.format.Watermark(offset, position, commitTsMs));
        byte[] bytes = ManifestParser.toBytes(m);
        store.putIfAbsent(path.manifestKey(seq), bytes);
        last = StoredManifest.of(m, path.manifestKey(seq), bytes);
        return this;
    }

    private ArchivedEvent event(long offset, String position, long seq) {
        return new ArchivedEvent(offset, ("{\"op\":\"u\",\"position\":\"" + position + "\",\"commitTsMs\":"
                + lastCommitTsMs(seq) + ",\"after\":{\"id\":" + offset + "}}").getBytes(StandardCharsets.UTF_8));
    }
}
