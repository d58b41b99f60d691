package io.fleetshard.streams;

/** Base of every failure of the stream processors (delta sync, hot-fleet detection). */
public class StreamProcessorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StreamProcessorException(String message) {
        super(message);
    }

    public StreamProcessorException(String message, Throwable cause) {
        super(message, cause);
    }
}
