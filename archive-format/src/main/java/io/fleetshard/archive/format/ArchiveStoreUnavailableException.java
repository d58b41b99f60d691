package io.fleetshard.archive.format;

/** The object store could not be reached or answered with a server error: retriable, with backoff. */
public final class ArchiveStoreUnavailableException extends ArchiveException {
    private static final long serialVersionUID = 1L;

    public ArchiveStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
