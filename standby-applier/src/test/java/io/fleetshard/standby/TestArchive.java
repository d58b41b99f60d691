package io.fleetshard.standby;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.SegmentCodec;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a shard's archive exactly as docs/spec/archive.md says (segments, then a manifest chained to the previous one),
 * from change envelopes shaped like docs/spec/change-events.md. Offsets leave a gap after each manifest's records, as
 * transaction markers do in a real shard log.
 */
final class TestArchive {
    static final ObjectMapper JSON = new ObjectMapper();

    private final ArchiveStore store;
    private final ShardArchivePath path;
    private long nextOffset = 0;
    private StoredManifest last;
    private long lsn = 0x1000000;

    private final ArchiveEncryption encryption;

    TestArchive(ArchiveStore store, ShardArchivePath path) {
        this(store, path, ArchiveEncryption.NONE);
    }

    /** An archive whose segments seal the tenants {@code encryption} names, as the archiver does (ADR 0025). */
    TestArchive(ArchiveStore store, ShardArchivePath path, ArchiveEncryption encryption) {
        this.store = store;
        this.path = path;
        this.encryption = encryption;
    }

    ShardArchivePath path() {
        return path;
    }

    StoredManifest last() {
        return last;
    }

    /** One change event of the test's model. */
    record Change(char op, String table, Map<String, Object> key, Map<String, Object> after, long commitTsMs) {
    }

    /** Appends one manifest holding {@code changes}, cut into {@code segments} segments. */
    StoredManifest append(List<Change> changes, int segments) {
        List<ArchivedEvent> events = new ArrayList<>();
        for (Change c : changes) {
            events.add(new ArchivedEvent(nextOffset++, envelope(c)));
        }
        int per = Math.max(1, (events.size() + segments - 1) / segments);
        List<SegmentRef> refs = new ArrayList<>();
        for (int i = 0; i < events.size(); i += per) {
            List<ArchivedEvent> part = events.subList(i, Math.min(events.size(), i + per));
            byte[] bytes = SegmentCodec.encode(path.shardId(), "fleetshard.shardlog." + path.shardId(), part, encryption);
            String key = path.segmentKey(part.get(0).offset(), part.get(part.size() - 1).offset());
            store.putIfAbsent(key, bytes);
            Change first = changes.get(i);
            Change lastChange = changes.get(Math.min(events.size(), i + per) - 1);
            refs.add(new SegmentRef(key, part.get(0).offset(), part.get(part.size() - 1).offset(), part.size(), bytes.length,
                    Sha256.hex(bytes), "0/" + (part.get(0).offset()), "0/" + (part.get(part.size() - 1).offset()),
                    first.commitTsMs(), lastChange.commitTsMs()));
        }
        nextOffset++; // the commit marker's offset
        long seq = last == null ? 1 : last.manifest().seq() + 1;
        Manifest m = new Manifest(path.shardId(), path.tier(), "fleetshard.shardlog." + path.shardId(), seq,
                last == null ? null : last.sha256(), refs, nextOffset, 1_700_000_000_000L + seq, "test-archiver");
        byte[] bytes = ManifestParser.toBytes(m);
        store.putIfAbsent(path.manifestKey(seq), bytes);
        last = StoredManifest.of(m, path.manifestKey(seq), bytes);
        return last;
    }

    /** Appends a manifest without segments carrying capture's watermark at the next offset (ADR 0048). */
    StoredManifest watermark(long commitTsMs) {
        long offset = nextOffset++;
        nextOffset++; // the commit marker's offset
        long seq = last == null ? 1 : last.manifest().seq() + 1;
        Manifest m = new Manifest(path.shardId(), path.tier(), "fleetshard.shardlog." + path.shardId(), seq,
                last == null ? null : last.sha256(), List.of(), nextOffset, 1_700_000_000_000L + seq, "test-archiver",
                new io.fleetshard.archive.format.Watermark(offset, "0/" + Long.toHexString(offset), commitTsMs));
        byte[] bytes = ManifestParser.toBytes(m);
        store.putIfAbsent(path.manifestKey(seq), bytes);
        last = StoredManifest.of(m, path.manifestKey(seq), bytes);
        return last;
    }

    private byte[] envelope(Change c) {
        ObjectNode e = JSON.createObjectNode();
        e.put("version", 1);
        e.put("op", String.valueOf(c.op()));
        e.put("table", c.table());
        e.put("tenant", String.valueOf(c.key().get("tenant_id")));
        e.put("fleet", String.valueOf(c.key().getOrDefault("fleet_id", "f0")));
        e.put("shard", path.shardId());
        e.set("key", JSON.valueToTree(c.key()));
        e.putNull("before");
        if (c.after() == null) {
            e.putNull("after");
        } else {
            e.set("after", JSON.valueToTree(c.after()));
        }
        ObjectNode source = e.putObject("source");
        source.put("engine", "postgres");
        source.put("db", "primary");
        String position = Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn).toUpperCase();
        lsn += 64;
        source.put("lsn", position);
        e.put("position", position);
        e.put("txId", Long.toString(lsn));
        e.put("commitTsMs", c.commitTsMs());
        e.put("captureTsMs", c.commitTsMs() + 5);
        e.put("mapVersion", 1);
        e.put("snapshot", c.op() == 'r');
        try {
            return JSON.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
