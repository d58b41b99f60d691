package io.fleetshard.archiver;

/** Base of the archiver's own failures (configuration, unrecoverable state). */
public class ArchiverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ArchiverException(String message) {
        super(message);
    }

    public ArchiverException(String message, Throwable cause) {
        super(message, cause);
    }
}
