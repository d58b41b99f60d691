package io.fleetshard.controlapi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A fake of the orchestration log: events in a list, delivered to the sink as they are appended. */
final class InMemoryOrchestrationLog implements OrchestrationLog {
    private final List<Orchestration> events = new ArrayList<>();
    private Consumer<Orchestration> sink;

    InMemoryOrchestrationLog(List<Orchestration> stored) {
        events.addAll(stored);
    }

    @Override
    public synchronized void append(Orchestration o) {
        events.add(o);
        if (sink != null) {
            sink.accept(o);
        }
    }

    @Override
    public synchronized void start(Consumer<Orchestration> s) {
        events.forEach(s);
        sink = s;
    }

    @Override
    public boolean caughtUp() {
        return true;
    }

    synchronized List<Orchestration> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
    }
}
