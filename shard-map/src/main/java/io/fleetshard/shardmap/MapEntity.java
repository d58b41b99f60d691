package io.fleetshard.shardmap;

/**
 * An entity of the shard map. Each has one key in the map log ({@code tenant:<id>}, {@code fleet:<tenant>/<fleet>},
 * {@code shard:<id>}, {@code node:<id>}, {@code reshard:<id>}); see {@code docs/spec/shard-map-records.md}.
 */
public sealed interface MapEntity permits Tenant, Fleet, Shard, Node, ReshardJob {

    /** The map-log record key of this entity. */
    String entityKey();
}
