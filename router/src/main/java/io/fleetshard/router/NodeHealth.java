package io.fleetshard.router;

/**
 * What the last probe of a node found: whether it answered, its replication lag in ms (-1 unknown), the log position
 * it had replayed (null unknown), when it was probed, and why it failed (null when healthy).
 */
record NodeHealth(boolean healthy, long lagMs, LogPosition position, long probedAtMs, String problem) {

    static NodeHealth up(long lagMs, LogPosition position, long probedAtMs) {
        return new NodeHealth(true, lagMs, position, probedAtMs, null);
    }

    static NodeHealth down(String problem, long probedAtMs) {
        return new NodeHealth(false, -1, null, probedAtMs, problem);
    }
}
