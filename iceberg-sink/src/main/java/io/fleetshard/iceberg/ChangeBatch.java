package io.fleetshard.iceberg;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The change events of one table buffered since its last commit, folded per primary key: within a batch the later
 * event of a key wins (an update after an insert, an insert after a delete), so the batch becomes at most one row per
 * key plus one equality delete per key that may already be in the table.
 *
 * <p>A key needs no delete when its first event in the batch is an insert ({@code c}): the spec delivers each
 * streaming change exactly once and in commit order per key, so a row being inserted does not exist in the table
 * yet. Updates, deletes and snapshot reads ({@code r}, which may repeat after a restarted snapshot) delete first.
 * This keeps insert-only tables such as {@code telemetry} free of delete files.
 */
final class ChangeBatch {
    /** The folded state of one key: its final event, and whether a row of it may exist from earlier commits. */
    record KeyChange(List<Object> key, ChangeEvent last, boolean mayExist) {
        /** True when the key ends the batch with a row ({@code last} is not a delete). */
        boolean upsert() {
            return last.op() != ChangeEvent.Op.DELETE;
        }
    }

    private final Function<ChangeEvent, List<Object>> keyOf;
    private final Map<List<Object>, KeyChange> byKey = new LinkedHashMap<>();
    private final List<ChangeEvent> events = new ArrayList<>();
    private final Map<Integer, Long> nextOffsets = new TreeMap<>();

    /** @param keyOf the primary key values of an event, comparable by {@code equals} */
    ChangeBatch(Function<ChangeEvent, List<Object>> keyOf) {
        this.keyOf = keyOf;
    }

    /** Adds the next event; events of one partition must come in offset order. */
    void add(ChangeEvent e) {
        Long next = nextOffsets.get(e.partition());
        if (next != null && e.offset() < next) {
            throw new IllegalArgumentException("event " + e.position() + " is before the batch's next offset " + next
                    + " of partition " + e.partition());
        }
        List<Object> key = List.copyOf(keyOf.apply(e));
        KeyChange prior = byKey.get(key);
        boolean mayExist = prior == null ? e.op() != ChangeEvent.Op.CREATE : prior.mayExist();
        byKey.put(key, new KeyChange(key, e, mayExist));
        events.add(e);
        nextOffsets.put(e.partition(), e.offset() + 1);
    }

    /** Keys whose final state is a row, with that row's event, in first-seen order. */
    List<KeyChange> upserts() {
        return byKey.values().stream().filter(KeyChange::upsert).toList();
    }

    /** Keys that need an equality delete (any row of them from earlier commits must go). */
    List<List<Object>> deletes() {
        return byKey.values().stream().filter(KeyChange::mayExist).map(KeyChange::key).toList();
    }

    /** Every event of the batch in arrival order (the history table's rows). */
    List<ChangeEvent> events() {
        return Collections.unmodifiableList(events);
    }

    /** Per partition, the offset after the batch's last event: what a commit of this batch records. */
    Map<Integer, Long> nextOffsets() {
        return Collections.unmodifiableMap(nextOffsets);
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    int size() {
        return events.size();
    }
}
