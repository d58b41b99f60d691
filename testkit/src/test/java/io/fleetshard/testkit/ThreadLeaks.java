package io.fleetshard.testkit;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** Finds threads that would keep a JVM alive after a service was closed. */
final class ThreadLeaks {

    private ThreadLeaks() {
    }

    static Set<Thread> liveNonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && !thread.isDaemon())
                .collect(Collectors.toSet());
    }

    /** Waits (bounded) until every non-daemon thread started since {@code before} has ended. */
    static void assertNoneStartedSince(Set<Thread> before) {
        try {
            Await.until("non-daemon threads started by the service to end", Duration.ofSeconds(15),
                    () -> started(before).isEmpty());
        } catch (IllegalStateException e) {
            throw new AssertionError("non-daemon threads still alive after close: " + started(before).stream()
                    .map(ThreadLeaks::describe).sorted().collect(Collectors.joining("; ")), e);
        }
    }

    private static String describe(Thread thread) {
        return thread.getName() + " at " + Arrays.stream(thread.getStackTrace()).limit(12)
                .map(StackTraceElement::toString).collect(Collectors.joining(" < "));
    }

    private static Set<Thread> started(Set<Thread> before) {
        Set<Thread> now = liveNonDaemonThreads();
        now.removeAll(before);
        return now;
    }
}
