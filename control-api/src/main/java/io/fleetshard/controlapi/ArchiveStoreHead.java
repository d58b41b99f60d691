package io.fleetshard.controlapi;

import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ArchiveHead} over the archive's object store: {@link ArchiveReader#latest()} under {@code <tier>/<shard>/}.
 * The store is the launcher's (the control API never builds an S3 client); its failures
 * ({@code ArchiveStoreUnavailableException}, refused requests, a malformed newest manifest) propagate to the monitor.
 *
 * <p>It remembers each shard's newest manifest, so a call lists only the manifests written since the last call (one
 * request per 1000 of them); the first call for a shard lists from the first.
 */
final class ArchiveStoreHead implements ArchiveHead {
    private final ArchiveStore store;
    private final String tier;
    private final Map<String, StoredManifest> known = new ConcurrentHashMap<>();

    ArchiveStoreHead(ArchiveStore store, String tier) {
        this.store = Objects.requireNonNull(store, "store");
        if (!ShardArchivePath.TIERS.contains(tier)) {
            throw new IllegalArgumentException("archive tier must be one of standard, enhanced, platinum, got '"
                    + tier + "'");
        }
        this.tier = tier;
    }

    String tier() {
        return tier;
    }

    @Override
    public Optional<LatestManifest> latest(String shardId) {
        ArchiveReader reader = new ArchiveReader(store, new ShardArchivePath(tier, shardId));
        Optional<StoredManifest> newest = reader.latest(known.get(shardId));
        newest.ifPresent(m -> known.put(shardId, m));
        return newest.map(stored -> {
            Manifest m = stored.manifest();
            // the later of its last event and capture's watermark (ADR 0048); an idle shard's manifest has only the latter
            if (m.watermark() != null && (!m.hasSegments()
                    || m.watermark().commitTsMs() >= m.lastSegment().lastCommitTsMs())) {
                return new LatestManifest(shardId, m.seq(), m.watermark().commitTsMs(), m.watermark().position(),
                        m.createdMs());
            }
            SegmentRef last = m.lastSegment();
            return new LatestManifest(shardId, m.seq(), last.lastCommitTsMs(), last.lastPosition(), m.createdMs());
        });
    }
}
