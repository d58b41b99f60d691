package io.fleetshard.shardmap;

/** Another map-log writer started with the same transactional id; this one may no longer write (no split brain). */
public class WriterFencedException extends ShardMapException {
    public WriterFencedException(String message, Throwable cause) {
        super(message, cause);
    }
}
