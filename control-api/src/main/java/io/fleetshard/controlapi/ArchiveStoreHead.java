package io.fleetshard.controlapi;

import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.ShardArchivePath;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ArchiveHead} over the archive's object store: {@link ArchiveReader#latest()} under {@code <tier>/<shard>/}.
 * The store is the launcher's (the control API never builds an S3 client); its failures
 * ({@code ArchiveStoreUnavailableException}, refused requests, a malformed newest manifest) propagate to the monitor.
 *
 * <p>Each call lists the shard's manifests from the first (the reader has no resume point), one request per 1000
 * manifests.
 */
final class ArchiveStoreHead implements ArchiveHead {
    private final ArchiveStore store;
    private final String tier;

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
        return reader.latest().map(stored -> {
            Manifest m = stored.manifest();
            SegmentRef last = m.lastSegment();
            return new LatestManifest(shardId, m.seq(), last.lastCommitTsMs(), last.lastPosition(), m.createdMs());
        });
    }
}
