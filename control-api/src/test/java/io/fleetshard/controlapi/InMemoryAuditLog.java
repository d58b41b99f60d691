package io.fleetshard.controlapi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The audit log of tests: events in memory, in the order they came. */
final class InMemoryAuditLog implements AuditLog {
    final List<AuditEvent> events = new CopyOnWriteArrayList<>();
    volatile RuntimeException failWith;

    @Override
    public void append(AuditEvent event) {
        if (failWith != null) {
            throw failWith;
        }
        events.add(event);
    }

    @Override
    public List<AuditEvent> read(long fromMs, long toMs, String actor, int limit) {
        return events.stream().filter(e -> e.timeMs() >= fromMs && e.timeMs() <= toMs)
                .filter(e -> actor == null || actor.equals(e.actor())).limit(limit).toList();
    }
}
