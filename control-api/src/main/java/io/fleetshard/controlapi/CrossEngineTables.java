package io.fleetshard.controlapi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sharded tables of a cross-engine move (ADR 0047), matched by name and column names on both shards, with each
 * column's type on each side: the source's tables, and per name the target's with its columns in the source's order
 * (so the neutral row text is the same on both). {@link #refusals} says why a move cannot run, one entry per table or
 * column, naming both.
 */
record CrossEngineTables(List<ReshardTable> source, Map<String, ReshardTable> target, List<String> refusals) {
    CrossEngineTables {
        source = List.copyOf(source);
        target = Map.copyOf(target);
        refusals = List.copyOf(refusals);
    }

    /** The target's table of the source's {@code t}. */
    ReshardTable onTarget(ReshardTable t) {
        ReshardTable out = target.get(t.name());
        if (out == null) {
            throw new IllegalArgumentException("table " + t.name() + " has no match on the target");
        }
        return out;
    }

    /** Matches typed tables ({@link ReshardSql#typed}) of the source shard and the target shard. */
    static CrossEngineTables match(List<ReshardTable> source, List<ReshardTable> target, String sourceShard,
            String targetShard) {
        Map<String, ReshardTable> byName = new LinkedHashMap<>();
        target.forEach(t -> byName.put(t.name(), t));
        Map<String, ReshardTable> matched = new LinkedHashMap<>();
        List<String> refusals = new ArrayList<>();
        for (ReshardTable s : source) {
            ReshardTable t = byName.get(s.name());
            if (t == null) {
                refusals.add("table " + s.name() + " exists on " + sourceShard + " but not on " + targetShard
                        + " (create it there first)");
                continue;
            }
            List<String> missing = s.columns().stream().filter(c -> !t.columns().contains(c)).toList();
            List<String> extra = t.columns().stream().filter(c -> !s.columns().contains(c)).toList();
            if (!missing.isEmpty() || !extra.isEmpty()) {
                refusals.add("table " + s.name() + ": the columns differ by name" + (missing.isEmpty() ? ""
                        : ", " + missing + " only on " + sourceShard) + (extra.isEmpty() ? ""
                        : ", " + extra + " only on " + targetShard));
                continue;
            }
            if (!s.primaryKey().equals(t.primaryKey())) {
                refusals.add("table " + s.name() + ": primary key " + s.primaryKey() + " on " + sourceShard + " but "
                        + t.primaryKey() + " on " + targetShard);
                continue;
            }
            List<ColumnType> types = new ArrayList<>();
            for (String col : s.columns()) {
                ColumnType from = s.type(col);
                ColumnType to = t.type(col);
                types.add(to);
                String why = from.refusalTo(to);
                if (why == null && s.primaryKey().contains(col) && from.family() == ColumnType.Family.FLOAT) {
                    why = "a float in the primary key cannot be compared exactly across engines";
                }
                if (why != null) {
                    refusals.add("table " + s.name() + " column " + col + ": " + from.display() + " on "
                            + sourceShard + ", " + to.display() + " on " + targetShard + ": " + why);
                }
            }
            matched.put(s.name(), new ReshardTable(t.name(), s.columns(), t.primaryKey(), types));
        }
        return new CrossEngineTables(source, matched, refusals);
    }
}
