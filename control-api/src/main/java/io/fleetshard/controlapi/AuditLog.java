package io.fleetshard.controlapi;

import java.util.List;

/** Where audit events go: the {@code fleetshard.audit} topic ({@link KafkaAuditLog}), or memory in tests. */
interface AuditLog extends AutoCloseable {
    /** Stores {@code event} durably, or throws {@link ControlApiException}. */
    void append(AuditEvent event);

    /**
     * Events with {@code fromMs <= timeMs <= toMs}, oldest first, of {@code actor} only when it is not null, at most
     * {@code limit}.
     */
    List<AuditEvent> read(long fromMs, long toMs, String actor, int limit);

    @Override
    default void close() {
    }
}
