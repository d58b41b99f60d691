package io.fleetshard.controlapi;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Polls a condition with a short backoff until it holds or a deadline passes (ITs wait for conditions, not time). */
final class Eventually {
    private Eventually() {
    }

    /** Polls {@code probe} until it returns true; fails naming {@code what} and the last value seen. */
    static void until(String what, Duration timeout, Supplier<Boolean> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 5;
        RuntimeException last = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(probe.get())) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (last == null ? "" : "; last failure: " + last), last);
            }
            LockSupport.parkNanos(Duration.ofMillis(pauseMs).toNanos());
            pauseMs = Math.min(100, pauseMs * 2);
        }
    }
}
