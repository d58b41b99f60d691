package io.fleetshard.iceberg;

/** Base of every failure of the Iceberg sink: a bad configuration, an unreadable change event, a failed commit. */
public class IcebergSinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IcebergSinkException(String message) {
        super(message);
    }

    public IcebergSinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
