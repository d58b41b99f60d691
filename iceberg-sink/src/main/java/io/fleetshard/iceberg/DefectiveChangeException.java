package io.fleetshard.iceberg;

/**
 * A change event the sink cannot apply: not a version-1 envelope, a missing key column, a value that does not fit its
 * column. Retrying cannot help, and skipping it would make the table wrong, so the event's table stops (the others
 * go on) until an operator fixes the cause.
 */
final class DefectiveChangeException extends IcebergSinkException {
    private static final long serialVersionUID = 1L;

    DefectiveChangeException(String message) {
        super(message);
    }

    DefectiveChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
