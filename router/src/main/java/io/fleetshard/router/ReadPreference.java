package io.fleetshard.router;

/**
 * Where a read may be served from: the consistency, its staleness bound (only for {@link Consistency#BOUNDED}), the
 * region to prefer (null: none), and the write the read must observe (null: none).
 */
record ReadPreference(Consistency consistency, long maxStalenessMs, String region, ConsistencyToken after) {
    static final ReadPreference STRONG = new ReadPreference(Consistency.STRONG, 0, null, null);

    ReadPreference withRegionIfAbsent(String defaultRegion) {
        return region != null || defaultRegion == null ? this
                : new ReadPreference(consistency, maxStalenessMs, defaultRegion, after);
    }
}
