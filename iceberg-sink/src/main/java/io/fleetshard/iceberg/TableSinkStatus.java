package io.fleetshard.iceberg;

import java.util.Map;

/**
 * Where the sink stands with one logical table.
 *
 * @param state {@code running}; {@code retrying} after a failed commit (re-reads from the committed offsets at the
 *        next interval); {@code stopped} on a defective change event (see {@code error})
 * @param offsets per partition, the next offset of the change topic the current-state table reflects
 * @param snapshotId the current-state table's snapshot that recorded {@code offsets}; null before the first commit
 * @param historyOffsets the same for the history table; empty when history is off or nothing is committed yet
 * @param commits commits (Iceberg snapshots) this sink made since it started, both tables together
 * @param bufferedEvents events read and not yet committed
 * @param error the last failure, or null
 */
public record TableSinkStatus(String table, String state, Map<Integer, Long> offsets, Long snapshotId,
        Map<Integer, Long> historyOffsets, long commits, long bufferedEvents, String error) {
    public TableSinkStatus {
        offsets = Map.copyOf(offsets);
        historyOffsets = Map.copyOf(historyOffsets);
    }
}
