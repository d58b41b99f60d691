package io.fleetshard.testkit;

import java.time.Duration;
import java.util.Optional;

/** Bounded polling: waits for a condition, never for a fixed time. Tests use it instead of sleeps. */
public final class Await {

    private static final long FIRST_PAUSE_MS = 5;
    private static final long MAX_PAUSE_MS = 200;

    /** One look at the condition: a value when it holds, empty when not yet; may throw while not yet. */
    @FunctionalInterface
    interface Probe<T> {
        Optional<T> poll() throws Exception;
    }

    /** Thrown by a probe when waiting longer cannot help (the process died): ends the wait at once. */
    static final class Hopeless extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Hopeless(String message) {
            super(message);
        }
    }

    private Await() {
    }

    /**
     * Polls {@code condition} with growing pauses (5 to 200 ms) until it holds.
     *
     * @throws IllegalStateException naming {@code what} when {@code timeout} passes first
     */
    public static void condition(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        until(what, timeout, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Polls {@code probe} until it yields a value or {@code timeout} passes.
     *
     * @param what what is awaited, for the timeout message ("Kafka broker on 127.0.0.1:9092 to answer")
     * @throws IllegalStateException on timeout, with the last failure of the probe as cause
     * @throws Hopeless as soon as the probe throws it
     */
    static <T> T until(String what, Duration timeout, Probe<T> probe) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pauseMs = FIRST_PAUSE_MS;
        int attempts = 0;
        Exception lastFailure = null;
        while (true) {
            attempts++;
            try {
                Optional<T> value = probe.poll();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            } catch (Hopeless e) {
                throw e;
            } catch (Exception e) {
                lastFailure = e;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                String detail = lastFailure == null ? "" : "; last failure: " + lastFailure;
                throw new IllegalStateException("timed out after " + Duration.ofNanos(now - start).toMillis()
                        + " ms (" + attempts + " attempts) waiting for " + what + detail, lastFailure);
            }
            pause(Math.min(pauseMs, Math.max(1, (deadline - now) / 1_000_000)), what);
            pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
        }
    }

    /** Like {@link #until} for a plain yes/no condition. */
    static void until(String what, Duration timeout, Condition condition) {
        until(what, timeout, () -> condition.holds() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    private static void pause(long millis, String what) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
    }
}
