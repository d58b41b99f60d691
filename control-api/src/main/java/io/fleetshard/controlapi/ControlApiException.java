package io.fleetshard.controlapi;

/** Base exception of the control-API module. */
public class ControlApiException extends RuntimeException {
    public ControlApiException(String message) {
        super(message);
    }

    public ControlApiException(String message, Throwable cause) {
        super(message, cause);
    }
}
