package io.fleetshard.shardmap;

import java.util.Collection;
import java.util.List;

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

    /**
     * Like {@link #commit}, in two steps: this writes the transaction as far as it can without making any of it
     * visible, {@link Prepared#commit()} finishes it. The caller commits or aborts it, once, and runs no other change
     * meanwhile. The default writes nothing ahead and commits everything on {@link Prepared#commit()}.
     *
     * @throws MapVersionConflictException when the map moved past {@code baseVersion}, here or at the commit
     * @throws WriterFencedException when another writer took over
     * @throws MapUnavailableException when the log cannot be reached in time: nothing is committed
     */
    default Prepared prepare(long baseVersion, Collection<? extends MapEntity> puts, Collection<String> deletedKeys) {
        List<MapEntity> p = List.copyOf(puts);
        List<String> d = List.copyOf(deletedKeys);
        return new Prepared() {
            @Override
            public long commit() {
                return ShardMapCommitter.this.commit(baseVersion, p, d);
            }

            @Override
            public void abort() {
                // nothing was written
            }
        };
    }

    /** A map transaction written but not yet visible: commit or abort it, once. */
    interface Prepared {
        /**
         * Commits the transaction; returns its map version once it is durable and this process's follower shows it.
         *
         * @throws WriterFencedException when another writer took over
         * @throws MapUnavailableException when the outcome is unknown: the follower shows whether it applied
         */
        long commit();

        /** Drops the transaction; nothing of it becomes visible. Does nothing after a commit. */
        void abort();
    }
}
