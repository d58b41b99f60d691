package io.fleetshard.controlapi;

import java.util.Locale;

/** Health of a node as the monitor last saw it. */
enum HealthStatus {
    /** Not probed yet (just registered, or the monitor just started). */
    UNKNOWN,
    /** The last probe connected and ran {@code SELECT 1}. */
    UP,
    /** The last probes failed, fewer times in a row than the threshold for down. */
    SUSPECT,
    /** At least the threshold of consecutive probes failed. */
    DOWN;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
