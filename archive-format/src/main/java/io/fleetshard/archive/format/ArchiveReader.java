package io.fleetshard.archive.format;

import io.fleetshard.archive.format.ArchiveDefectException.Kind;
import java.util.List;
import java.util.Optional;

/**
 * Reads one shard's archive and checks everything it reads against the manifest chain: contiguous seqs, the
 * {@code previousSha256} links, rising offset ranges, and each segment's length, SHA-256 and header
 * (docs/spec/archive.md). The first defect is thrown as an {@link ArchiveDefectException} naming the object.
 */
public final class ArchiveReader {
    private final ArchiveStore store;
    private final ShardArchivePath path;
    private final TenantKeyProvider keys;

    /** A reader without tenant keys: a sealed record stops it with a {@code KEY_UNAVAILABLE} defect. */
    public ArchiveReader(ArchiveStore store, ShardArchivePath path) {
        this(store, path, null);
    }

    /** A reader that opens sealed records with {@code keys} (ADR 0025); null: none. */
    public ArchiveReader(ArchiveStore store, ShardArchivePath path, TenantKeyProvider keys) {
        this.store = store;
        this.path = path;
        this.keys = keys;
    }

    public ShardArchivePath path() {
        return path;
    }

    /**
     * The manifest after {@code previous} (null: the first), verified against it; empty if it is not written yet.
     * A later manifest without this one is a defect (a deleted manifest), not an end.
     */
    public Optional<StoredManifest> next(StoredManifest previous) {
        long seq = previous == null ? 1 : previous.manifest().seq() + 1;
        String key = path.manifestKey(seq);
        // Only manifest names count: an S3-compatible server may list other objects here (S3Proxy's filesystem
        // backend shows an upload in progress as '<key>-<uuid>'), and they are neither manifests nor gaps.
        Optional<String> following = store.list(path.manifestsPrefix(), previous == null ? null : previous.key(), 16)
                .stream().map(ArchiveStore.StoredObject::key).filter(k -> path.manifestSeqOf(k) > 0).findFirst();
        if (following.isEmpty()) {
            return Optional.empty();
        }
        if (!following.get().equals(key)) {
            throw new ArchiveDefectException(Kind.MISSING_MANIFEST, key, "manifest " + seq + " is missing but "
                    + following.get() + " exists");
        }
        byte[] bytes = store.get(key).orElseThrow(() -> new ArchiveDefectException(Kind.MISSING_MANIFEST, key,
                "listed but cannot be read"));
        StoredManifest stored = StoredManifest.of(ManifestParser.parse(key, bytes), key, bytes);
        check(previous, stored);
        return Optional.of(stored);
    }

    /** The newest manifest, by listing (not verified against its predecessors: use {@link #next} for that). */
    public Optional<StoredManifest> latest() {
        return latest(null);
    }

    /**
     * The newest manifest, listing only after {@code known} (a manifest read earlier; null: from the first), so a
     * reader that polls costs one listing request per 1000 new manifests rather than per 1000 manifests. Answers
     * {@code known} itself when nothing newer exists.
     */
    public Optional<StoredManifest> latest(StoredManifest known) {
        String last = null;
        String after = known == null ? null : known.key();
        while (true) {
            List<ArchiveStore.StoredObject> page = store.list(path.manifestsPrefix(), after, 1000);
            for (ArchiveStore.StoredObject o : page) {
                if (path.manifestSeqOf(o.key()) > 0) {
                    last = o.key();
                }
            }
            if (page.size() < 1000) {
                break;
            }
            after = page.get(page.size() - 1).key();
        }
        if (last == null) {
            return Optional.ofNullable(known);
        }
        String key = last;
        byte[] bytes = store.get(key).orElseThrow(() -> new ArchiveDefectException(Kind.MISSING_MANIFEST, key,
                "listed but cannot be read"));
        StoredManifest stored = StoredManifest.of(ManifestParser.parse(key, bytes), key, bytes);
        if (stored.manifest().seq() != path.manifestSeqOf(key) || !stored.manifest().shard().equals(path.shardId())) {
            throw new ArchiveDefectException(Kind.MALFORMED, key, "holds manifest " + stored.manifest().seq()
                    + " of shard " + stored.manifest().shard());
        }
        return Optional.of(stored);
    }

    /** The manifest with this seq, read directly (for a reader that resumes from a stored seq and hash). */
    public Optional<StoredManifest> get(long seq) {
        String key = path.manifestKey(seq);
        return store.get(key).map(bytes -> StoredManifest.of(ManifestParser.parse(key, bytes), key, bytes));
    }

    /**
     * Downloads a listed segment, checks its length, SHA-256, header and range, and opens its sealed records with this
     * reader's keys: every event answered is plain.
     */
    public Segment segment(SegmentRef ref) {
        return SegmentCodec.open(ref.key(), verifiedSegment(ref), keys);
    }

    /** Every segment {@code manifest} lists, in its order, each as {@link #segment} reads it. */
    public List<Segment> segments(StoredManifest manifest) {
        List<Segment> out = new java.util.ArrayList<>(manifest.manifest().segments().size());
        for (SegmentRef ref : manifest.manifest().segments()) {
            out.add(segment(ref));
        }
        return out;
    }

    /**
     * As {@link #segment} without opening sealed records: the checksum covers the stored (sealed) bytes, so a segment is
     * verified without any tenant key ({@code fleetshard archive verify}).
     */
    public Segment verifiedSegment(SegmentRef ref) {
        byte[] bytes = store.get(ref.key()).orElseThrow(() -> new ArchiveDefectException(Kind.MISSING_SEGMENT, ref.key(),
                "listed by the manifest but not in the store"));
        if (bytes.length != ref.bytes()) {
            throw new ArchiveDefectException(Kind.CHECKSUM_MISMATCH, ref.key(), "is " + bytes.length
                    + " bytes, the manifest lists " + ref.bytes());
        }
        String sha = Sha256.hex(bytes);
        if (!sha.equals(ref.sha256())) {
            throw new ArchiveDefectException(Kind.CHECKSUM_MISMATCH, ref.key(), "SHA-256 is " + sha + ", the manifest lists "
                    + ref.sha256());
        }
        Segment s = SegmentCodec.decode(ref.key(), bytes);
        if (s.fromOffset() != ref.fromOffset() || s.toOffset() != ref.toOffset() || s.records() != ref.records()
                || !s.shard().equals(path.shardId())) {
            throw new ArchiveDefectException(Kind.RANGE_MISMATCH, ref.key(), "holds " + s.records() + " records of "
                    + s.shard() + " at " + s.fromOffset() + ".." + s.toOffset() + ", the manifest lists " + ref.records()
                    + " at " + ref.fromOffset() + ".." + ref.toOffset());
        }
        return s;
    }

    private void check(StoredManifest previous, StoredManifest next) {
        Manifest m = next.manifest();
        long expectedSeq = previous == null ? 1 : previous.manifest().seq() + 1;
        if (m.seq() != expectedSeq || !m.shard().equals(path.shardId())) {
            throw new ArchiveDefectException(Kind.MALFORMED, next.key(), "holds manifest " + m.seq() + " of shard "
                    + m.shard() + ", expected " + expectedSeq + " of " + path.shardId());
        }
        if (previous == null) {
            return;
        }
        if (!previous.sha256().equals(m.previousSha256())) {
            throw new ArchiveDefectException(Kind.BROKEN_CHAIN, next.key(), "previousSha256 " + m.previousSha256()
                    + " does not match manifest " + previous.manifest().seq() + " (" + previous.sha256() + ")");
        }
        if (m.nextOffset() < previous.manifest().nextOffset()) {
            throw new ArchiveDefectException(Kind.RANGE_MISMATCH, next.key(), "ends at nextOffset " + m.nextOffset()
                    + ", before the previous manifest's nextOffset " + previous.manifest().nextOffset());
        }
        if (m.hasSegments() && m.segments().get(0).fromOffset() < previous.manifest().nextOffset()) {
            throw new ArchiveDefectException(Kind.RANGE_MISMATCH, next.key(), "starts at offset "
                    + m.segments().get(0).fromOffset() + ", before the previous manifest's nextOffset "
                    + previous.manifest().nextOffset());
        }
    }
}
