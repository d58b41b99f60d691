package io.fleetshard.standby;

/** Base of every failure of the standby applier, snapshots and restores that is not an archive defect. */
public class StandbyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StandbyException(String message) {
        super(message);
    }

    public StandbyException(String message, Throwable cause) {
        super(message, cause);
    }
}
