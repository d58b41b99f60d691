package io.fleetshard.controlapi;

import java.util.Optional;

/**
 * Reads the newest manifest of a shard's archive ({@code docs/spec/archive.md}), for the archive's side of
 * {@code GET /v1/shards/{shardId}/standby}. {@link ArchiveStoreHead} reads it from the archive's object store; tests use
 * an in-memory fake. The health monitor calls it from its probe rounds only, never on a request thread.
 */
interface ArchiveHead {

    /**
     * The newest manifest of {@code shardId}'s archive; empty while the shard has none.
     *
     * @throws RuntimeException when the store cannot be read (unreachable, refused) or the newest manifest is not
     *         valid; the monitor reports its message as the archive's {@code error}
     */
    Optional<LatestManifest> latest(String shardId);
}
