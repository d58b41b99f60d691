package io.fleetshard.streams;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A target shard in memory, with the contract of {@link TargetWriter}: rows by (table, key), one progress row. */
final class InMemoryTargetWriter implements TargetWriter {
    final Map<String, Map<String, JsonNode>> tables = new TreeMap<>();
    final List<Integer> transactions = new ArrayList<>();
    long sourceOffset = -1;
    long fenceSeq;
    boolean closed;

    @Override
    public synchronized TargetProgress stored() {
        return new TargetProgress(sourceOffset, fenceSeq, 0);
    }

    @Override
    public synchronized TargetProgress apply(List<TargetChange> changes, long lastOffset, long fence) {
        int applied = 0;
        for (TargetChange c : changes) {
            if (c.offset() <= sourceOffset) {
                continue;
            }
            Map<String, JsonNode> rows = tables.computeIfAbsent(c.table(), t -> new LinkedHashMap<>());
            if (c.delete()) {
                rows.remove(c.key().toString());
            } else {
                rows.put(c.key().toString(), c.after());
            }
            applied++;
        }
        sourceOffset = Math.max(sourceOffset, lastOffset);
        fenceSeq = Math.max(fenceSeq, fence);
        transactions.add(applied);
        return new TargetProgress(sourceOffset, fenceSeq, applied);
    }

    synchronized Map<String, JsonNode> rows(String table) {
        return Map.copyOf(tables.getOrDefault(table, Map.of()));
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
