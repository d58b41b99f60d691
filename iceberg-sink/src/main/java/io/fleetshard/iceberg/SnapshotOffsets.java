package io.fleetshard.iceberg;

import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * The Kafka offsets a table's data reflects, kept in its snapshots' summaries (ADR 0017): property
 * {@code fleetshard.offsets.<topic>-<partition>} = the next offset to read. Every commit of the sink records the
 * offsets of every partition of its topic, so the newest snapshot the sink wrote holds the whole position.
 */
final class SnapshotOffsets {
    static final String PREFIX = "fleetshard.offsets.";
    /** Marks the sink's own snapshots, so maintenance snapshots (compaction) in between are passed over. */
    static final String WRITER = "fleetshard.writer";
    static final String WRITER_VALUE = "iceberg-sink";

    private SnapshotOffsets() {
    }

    /** The summary property holding {@code topic}'s {@code partition}. */
    static String property(String topic, int partition) {
        return PREFIX + topic + "-" + partition;
    }

    /** What {@link #read} answers: the offsets and the snapshot that recorded them (null if none did yet). */
    record Position(Map<Integer, Long> offsets, Long snapshotId) {
        Position {
            offsets = Map.copyOf(offsets);
        }

        static final Position NONE = new Position(Map.of(), null);
    }

    /** The offsets of {@code topic} in the newest of the table's current ancestors that the sink committed. */
    static Position read(Table table, String topic) {
        for (Snapshot s : SnapshotUtil.currentAncestors(table)) {
            Map<String, String> summary = s.summary();
            if (!WRITER_VALUE.equals(summary.get(WRITER))) {
                continue;
            }
            return new Position(of(summary, topic), s.snapshotId());
        }
        return Position.NONE;
    }

    /** The offsets of {@code topic} in one summary. */
    static Map<Integer, Long> of(Map<String, String> summary, String topic) {
        String prefix = PREFIX + topic + "-";
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<String, String> e : summary.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                String partition = e.getKey().substring(prefix.length());
                if (partition.matches("\\d+")) {
                    out.put(Integer.parseInt(partition), Long.parseLong(e.getValue()));
                }
            }
        }
        return out;
    }
}
