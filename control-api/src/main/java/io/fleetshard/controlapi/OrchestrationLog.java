package io.fleetshard.controlapi;

import java.util.function.Consumer;

/**
 * Where orchestrations are kept: {@code fleetshard.orchestrations} in Kafka, one event per change of an orchestration
 * (docs/spec/orchestrations.md). Every control-API instance reads all of it, so any of them shows every
 * orchestration, and the instance that writes the map resumes the unfinished ones.
 */
interface OrchestrationLog extends AutoCloseable {
    /**
     * Appends {@code o} durably (acknowledged by the log); returns once it is stored.
     *
     * @throws ControlApiException when the log cannot be written
     */
    void append(Orchestration o);

    /** Delivers every event, from the log's beginning and then as they come, to {@code sink}, in log order. */
    void start(Consumer<Orchestration> sink);

    /** True once every event that was in the log when {@link #start} was called has been delivered. */
    boolean caughtUp();

    @Override
    void close();
}
