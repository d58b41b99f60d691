package io.fleetshard.shardmap;

/** A map change was based on a version that is no longer the latest. */
public class MapVersionConflictException extends ShardMapException {
    private final long expectedVersion;
    private final long actualVersion;

    public MapVersionConflictException(long expectedVersion, long actualVersion) {
        super("shard map changed concurrently: change was based on version " + expectedVersion
                + " but the map is at version " + actualVersion + "; re-read the map and retry");
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    public long expectedVersion() {
        return expectedVersion;
    }

    public long actualVersion() {
        return actualVersion;
    }
}
