package io.fleetshard.archive.format;

import java.util.List;

/** A decoded segment: its header and its events in offset order. */
public record Segment(String shard, String topic, long fromOffset, long toOffset, List<ArchivedEvent> events) {
    public Segment {
        events = List.copyOf(events);
    }
}
