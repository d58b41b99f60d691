package io.fleetshard.client;

import java.time.Duration;

/** Waits between attempts; tests pass a fake that records the waits instead of waiting. */
@FunctionalInterface
interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration d) throws InterruptedException;
}
