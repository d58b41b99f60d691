package io.fleetshard.shardmap;

/** The map log could not be reached within the deadline; retriable. */
public class MapUnavailableException extends ShardMapException {
    public MapUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
