package io.fleetshard.shardmap;

/** A map-log record, mirror item or snapshot file that does not follow {@code docs/spec/shard-map-records.md}. */
public class MapFormatException extends ShardMapException {
    public MapFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
