package io.fleetshard.archive.format;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/** Proves a shard's archive whole: walks the whole chain, downloads and checks every segment, lists orphans. */
public final class ArchiveVerifier {
    private ArchiveVerifier() {
    }

    /** What a verification found; {@code defect} is the first one, after which nothing was checked. */
    public record Report(String shard, long manifests, long segments, long records, long bytes, long lastCommitTsMs,
                         List<String> orphanSegments, Optional<ArchiveDefectException> defect) {
        public boolean whole() {
            return defect.isEmpty();
        }
    }

    /** Checks one event of a verified segment, in log order; throws {@link ArchiveDefectException} to stop. */
    @FunctionalInterface
    public interface EventCheck {
        void check(String segmentKey, ArchivedEvent event);
    }

    /** {@code progress} gets each verified manifest. */
    public static Report verify(ArchiveStore store, ShardArchivePath path, Consumer<StoredManifest> progress) {
        return verify(store, path, progress, (key, event) -> { });
    }

    /**
     * As {@link #verify(ArchiveStore, ShardArchivePath, Consumer)}, and hands every plain event of every verified
     * segment, in log order, to {@code events} (the audit archive's chain walk, {@link AuditChain.Walker}; the audit log
     * is never sealed). Sealed records and blocks are counted but not handed on: verification uses no key.
     */
    public static Report verify(ArchiveStore store, ShardArchivePath path, Consumer<StoredManifest> progress,
            EventCheck events) {
        ArchiveReader reader = new ArchiveReader(store, path);
        Set<String> listed = new HashSet<>();
        long manifests = 0;
        long segments = 0;
        long records = 0;
        long bytes = 0;
        long lastCommit = 0;
        StoredManifest prev = null;
        try {
            while (true) {
                Optional<StoredManifest> next = reader.next(prev);
                if (next.isEmpty()) {
                    break;
                }
                prev = next.get();
                for (SegmentRef ref : prev.manifest().segments()) {
                    Segment s = reader.verifiedSegment(ref);
                    for (ArchivedEvent e : s.events()) {
                        events.check(ref.key(), e);
                    }
                    listed.add(ref.key());
                    segments++;
                    records += s.records();
                    bytes += ref.bytes();
                    lastCommit = Math.max(lastCommit, ref.lastCommitTsMs());
                }
                manifests++;
                progress.accept(prev);
            }
        } catch (ArchiveDefectException defect) {
            return new Report(path.shardId(), manifests, segments, records, bytes, lastCommit, List.of(), Optional.of(defect));
        }
        List<String> orphans = store.list(path.segmentsPrefix(), null, Integer.MAX_VALUE).stream()
                .map(ArchiveStore.StoredObject::key).filter(k -> path.isSegmentKey(k) && !listed.contains(k)).toList();
        return new Report(path.shardId(), manifests, segments, records, bytes, lastCommit, orphans, Optional.empty());
    }
}
