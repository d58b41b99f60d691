package io.fleetshard.shardmap;

import java.util.Collection;

/**
 * Writes changes to the shard map. The real committer is the single, fenced map-log writer; tests may use
 * {@link InMemoryShardMap}.
 */
public interface ShardMapCommitter {

    /**
     * Commits {@code puts} and the deletion of {@code deletedKeys} as one map transaction on top of map version
     * {@code baseVersion}, and returns the new version. When this returns, the change is durable and readers that
     * apply it see all of it or none of it.
     *
     * @throws MapVersionConflictException when the map moved past {@code baseVersion}: re-read and retry
     * @throws WriterFencedException when another writer took over: this instance may no longer write
     * @throws MapUnavailableException when the log cannot be reached in time: the outcome is unknown until the
     *         follower shows it
     */
    long commit(long baseVersion, Collection<? extends MapEntity> puts, Collection<String> deletedKeys);
}
