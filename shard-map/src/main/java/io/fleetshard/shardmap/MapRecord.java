package io.fleetshard.shardmap;

import java.util.Objects;

/**
 * One record of the map log: an entity written at a map version, or a tombstone ({@code entity == null}) deleting the
 * entity with that key.
 */
public record MapRecord(String key, long version, MapEntity entity) {
    public MapRecord {
        Objects.requireNonNull(key, "key");
        if (version < 1) {
            throw new IllegalArgumentException("map version must be >= 1, got " + version);
        }
        if (entity != null && !entity.entityKey().equals(key)) {
            throw new IllegalArgumentException("record key '" + key + "' does not match its entity's key '"
                    + entity.entityKey() + "'");
        }
    }

    public static MapRecord put(long version, MapEntity entity) {
        return new MapRecord(entity.entityKey(), version, entity);
    }

    public boolean isTombstone() {
        return entity == null;
    }
}
