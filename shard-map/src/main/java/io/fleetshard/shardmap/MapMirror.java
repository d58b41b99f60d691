package io.fleetshard.shardmap;

import java.util.List;

/**
 * A copy of the map outside Kafka, one item per entity, for region-local readers and AWS tooling. Writes are
 * conditional on version: an older version never overwrites a newer one, so records may be applied late, twice, or
 * out of order.
 */
public interface MapMirror {

    /** Applies the records of one map transaction (tombstones mark the entity deleted at their version). */
    void apply(List<MapRecord> records);

    /** The mirrored entities that are not deleted, with their versions. */
    List<MapRecord> readAll();
}
