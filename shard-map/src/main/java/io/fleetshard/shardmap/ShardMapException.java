package io.fleetshard.shardmap;

/** Base exception of the shard-map module. */
public class ShardMapException extends RuntimeException {
    public ShardMapException(String message) {
        super(message);
    }

    public ShardMapException(String message, Throwable cause) {
        super(message, cause);
    }
}
