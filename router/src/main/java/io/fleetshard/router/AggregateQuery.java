package io.fleetshard.router;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a scatter query with aggregates or {@code GROUP BY} runs (ADR 0014): every shard runs {@code shardSql} with the
 * client's parameters in {@code paramOrder}, and returns one row per group: the {@code keyCount} group keys, then the
 * partial aggregates the {@link #columns()} read. {@link AggregateMerge} combines the rows of all shards by group key,
 * computes the columns, sorts by {@code order} and cuts {@code offset}/{@code limit}, as one database holding all rows
 * would answer.
 *
 * @param shardSql the statement each shard runs (fragments of the client's statement, never other text of its)
 * @param paramOrder for each {@code ?} of {@code shardSql}, the index of the client's parameter it binds
 * @param keyCount the group keys at the start of each shard row (0 without {@code GROUP BY})
 * @param columns the result's columns, then hidden aggregates that only {@code having} or {@code order} read
 * @param having the statement's {@code HAVING}, evaluated on the merged groups; null when none
 * @param order the statement's {@code ORDER BY}
 * @param offset rows skipped after sorting
 * @param limit rows kept after the offset; -1 for all
 */
record AggregateQuery(String shardSql, List<Integer> paramOrder, int keyCount, List<Column> columns,
        Condition having, List<SortKey> order, long offset, long limit) {

    AggregateQuery {
        Objects.requireNonNull(shardSql, "shardSql");
        paramOrder = List.copyOf(paramOrder);
        columns = List.copyOf(columns);
        order = List.copyOf(order);
        boolean hiddenSeen = false;
        for (Column c : columns) {
            if (hiddenSeen && !c.hidden()) {
                throw new IllegalArgumentException("hidden columns must come last: " + columns);
            }
            hiddenSeen |= c.hidden();
        }
        if (keyCount < 0 || offset < 0 || limit < -1) {
            throw new IllegalArgumentException("keyCount, offset and limit must be >= 0 (limit -1: none), got "
                    + keyCount + ", " + offset + ", " + limit);
        }
    }

    /** The shape of the merge, without the shard SQL: what must be equal for the plans of every engine. */
    String shape() {
        return keyCount + " " + columns + " " + having + " " + order + " " + offset + " " + limit;
    }

    /** The columns of the answer: those not hidden. */
    int visibleColumns() {
        return (int) columns.stream().filter(c -> !c.hidden()).count();
    }

    /** The client's parameters in the order {@code shardSql} binds them. */
    List<Object> shardParams(List<Object> clientParams) {
        return paramOrder.stream().map(clientParams::get).toList();
    }

    /** An aggregate function the merge knows how to combine. */
    enum Function {
        /** {@code count(*)} and {@code count(x)}: partial counts summed; 0 when no row. */
        COUNT,
        /** Partial sums added; NULL when every partial is NULL. */
        SUM,
        MIN,
        MAX,
        /** Runs as {@code sum(x), count(x)} on each shard; the merged sum divided by the merged count. */
        AVG;

        /** Partial columns this function takes in a shard row. */
        int partials() {
            return this == AVG ? 2 : 1;
        }

        String sqlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A result column: a group key ({@code function} null, {@code source} = key index) or an aggregate
     * ({@code source} = index of its first partial in a shard row). A hidden one is computed for {@code HAVING} or
     * {@code ORDER BY} and not answered.
     */
    record Column(String name, Function function, int source, boolean hidden) {
        Column {
            Objects.requireNonNull(name, "name");
        }

        boolean isKey() {
            return function == null;
        }
    }

    /**
     * One {@code ORDER BY} term over {@link #ref(int) reference} {@code index}. {@code nullsFirst} is already resolved
     * (default: nulls sort as the largest value, as in PostgreSQL).
     */
    record SortKey(int index, boolean descending, boolean nullsFirst) {
    }

    /**
     * Where a reference of a sort key or condition points in a merged row, which holds the columns (hidden ones
     * included) and then the group keys: {@code index >= 0} is column {@code index}, {@code -(k + 1)} is group key k.
     */
    int ref(int index) {
        return index >= 0 ? index : columns.size() - index - 1;
    }

    /** The reference of group key {@code key}. */
    static int keyRef(int key) {
        return -key - 1;
    }

    /** A {@code HAVING} condition, evaluated with SQL's three-valued logic (null: unknown). */
    sealed interface Condition permits And, Or, Not, Compare, IsNull {
    }

    record And(Condition left, Condition right) implements Condition {
    }

    record Or(Condition left, Condition right) implements Condition {
    }

    record Not(Condition condition) implements Condition {
    }

    /** {@code left op right}, op one of {@code = <> < <= > >=} ({@code !=} is read as {@code <>}). */
    record Compare(Operand left, String op, Operand right) implements Condition {
        Compare {
            if (!List.of("=", "<>", "<", "<=", ">", ">=").contains(op)) {
                throw new IllegalArgumentException("unknown comparison " + op);
            }
        }
    }

    record IsNull(Operand operand, boolean negated) implements Condition {
    }

    /** A value in a condition. */
    sealed interface Operand permits Ref, Literal, Param {
    }

    /** A column or group key of the merged row ({@link #ref(int)}). */
    record Ref(int index) implements Operand {
    }

    /** A number ({@link java.math.BigDecimal}) or string written in the statement. */
    record Literal(Object value) implements Operand {
    }

    /** The client's parameter {@code index}. */
    record Param(int index) implements Operand {
    }
}
