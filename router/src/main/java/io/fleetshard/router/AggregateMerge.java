package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.router.AggregateQuery.And;
import io.fleetshard.router.AggregateQuery.Column;
import io.fleetshard.router.AggregateQuery.Compare;
import io.fleetshard.router.AggregateQuery.Condition;
import io.fleetshard.router.AggregateQuery.Function;
import io.fleetshard.router.AggregateQuery.IsNull;
import io.fleetshard.router.AggregateQuery.Literal;
import io.fleetshard.router.AggregateQuery.Not;
import io.fleetshard.router.AggregateQuery.Operand;
import io.fleetshard.router.AggregateQuery.Or;
import io.fleetshard.router.AggregateQuery.Param;
import io.fleetshard.router.AggregateQuery.Ref;
import io.fleetshard.router.AggregateQuery.SortKey;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Combines the per-shard rows of an {@link AggregateQuery} into the answer one database holding all rows would give
 * (ADR 0014), with SQL's semantics: {@code count} of no rows is 0, {@code sum}/{@code min}/{@code max}/{@code avg} of
 * no non-null values is NULL, NULL group keys form one group, a query without {@code GROUP BY} answers exactly one
 * row even when no shard has a row. Types, on every engine alike: {@code count} is a long; {@code sum} is exact
 * ({@link BigDecimal}) unless its argument is floating-point (then double); {@code avg} of exact values is the exact
 * sum divided by the count to 34 significant digits (decimal128, half-even, trailing zeros removed), of floating-point
 * values a double; {@code min}/{@code max} keep the column's type. Group keys match by value: numbers of any type by
 * their numeric value, strings exactly (code units, whatever the shard's collation). {@code HAVING} compares the same
 * way (three-valued: a comparison with NULL is unknown, and only groups for which it is true are kept), before
 * {@code ORDER BY}, {@code OFFSET} and {@code LIMIT}.
 */
final class AggregateMerge {

    /** The merged answer. */
    record Merged(List<String> columns, List<String> types, List<Object[]> rows) {
    }

    private AggregateMerge() {
    }

    /**
     * Merges {@code answers}, the shards' rows for {@code q}; {@code params} are the client's parameters, which a
     * {@code HAVING} may read.
     */
    static Merged merge(AggregateQuery q, List<ScatterGather.ShardRows> answers, List<Object> params) {
        List<Column> columns = q.columns();
        int keys = q.keyCount();
        ScatterGather.ShardRows typed = answers.stream().filter(a -> !a.columns().isEmpty()).findFirst().orElse(null);
        int width = keys + columns.stream().mapToInt(c -> c.isKey() ? 0 : c.function().partials()).sum();
        boolean[] floating = new boolean[width];
        for (ScatterGather.ShardRows a : answers) {
            if (a.columns().isEmpty()) {
                continue;
            }
            if (a.columns().size() != width) {
                throw ApiProblem.unprocessable("shard " + a.shardId() + " answered " + a.columns().size()
                        + " columns to the merge's " + width + " (" + a.columns() + ")");
            }
            for (int i = 0; i < width; i++) {
                floating[i] |= a.kinds().get(i) == ColumnKind.DOUBLE;
            }
        }

        Map<List<Object>, Group> groups = new LinkedHashMap<>();
        for (ScatterGather.ShardRows a : answers) {
            for (Object[] row : a.rows()) {
                Object[] keyValues = Arrays.copyOf(row, keys);
                Object[] normalized = new Object[keys];
                for (int k = 0; k < keys; k++) {
                    normalized[k] = normalizedKey(row[k]);
                }
                groups.computeIfAbsent(Arrays.asList(normalized), k -> new Group(keyValues, columns.size()))
                        .add(columns, row, floating);
            }
        }
        if (keys == 0 && groups.isEmpty()) {
            // no GROUP BY: one row, even when no shard answered one
            groups.put(List.of(), new Group(new Object[0], columns.size()));
        }

        List<Object[]> rows = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            Object[] row = new Object[columns.size() + keys];
            for (int c = 0; c < columns.size(); c++) {
                Column col = columns.get(c);
                row[c] = col.isKey() ? g.keys[col.source()] : g.result(c, col.function(), floating[col.source()]);
            }
            System.arraycopy(g.keys, 0, row, columns.size(), keys);
            if (q.having() == null || Boolean.TRUE.equals(test(q.having(), row, q, params))) {
                rows.add(row);
            }
        }
        if (!q.order().isEmpty()) {
            rows.sort(comparator(q));
        }
        long from = Math.min(q.offset(), rows.size());
        long to = q.limit() < 0 ? rows.size() : Math.min(rows.size(), from + q.limit());
        int visible = q.visibleColumns();
        List<Object[]> out = new ArrayList<>((int) (to - from));
        for (int r = (int) from; r < to; r++) {
            out.add(Arrays.copyOf(rows.get(r), visible));
        }

        List<String> names = new ArrayList<>(visible);
        List<String> types = new ArrayList<>(visible);
        for (Column c : columns.subList(0, visible)) {
            names.add(c.name());
            types.add(typeOf(c, typed, floating));
        }
        return new Merged(List.copyOf(names), List.copyOf(types), out);
    }

    private static String typeOf(Column c, ScatterGather.ShardRows typed, boolean[] floating) {
        if (c.isKey() || c.function() == Function.MIN || c.function() == Function.MAX) {
            return typed == null ? "unknown" : typed.types().get(c.source());
        }
        if (c.function() == Function.COUNT) {
            return "bigint";
        }
        return floating[c.source()] ? "double precision" : "numeric";
    }

    /** SQL's three-valued logic: null is unknown. */
    static Boolean test(Condition c, Object[] row, AggregateQuery q, List<Object> params) {
        if (c instanceof And a) {
            Boolean l = test(a.left(), row, q, params);
            Boolean r = test(a.right(), row, q, params);
            return Boolean.FALSE.equals(l) || Boolean.FALSE.equals(r) ? Boolean.FALSE
                    : l == null || r == null ? null : Boolean.TRUE;
        }
        if (c instanceof Or o) {
            Boolean l = test(o.left(), row, q, params);
            Boolean r = test(o.right(), row, q, params);
            return Boolean.TRUE.equals(l) || Boolean.TRUE.equals(r) ? Boolean.TRUE
                    : l == null || r == null ? null : Boolean.FALSE;
        }
        if (c instanceof Not n) {
            Boolean v = test(n.condition(), row, q, params);
            return v == null ? null : !v;
        }
        if (c instanceof IsNull n) {
            return (value(n.operand(), row, q, params) == null) != n.negated();
        }
        Compare cmp = (Compare) c;
        Object x = value(cmp.left(), row, q, params);
        Object y = value(cmp.right(), row, q, params);
        if (x == null || y == null) {
            return null;
        }
        int d = OrderBy.compareValues(x, y);
        return switch (cmp.op()) {
            case "=" -> d == 0;
            case "<>" -> d != 0;
            case "<" -> d < 0;
            case "<=" -> d <= 0;
            case ">" -> d > 0;
            default -> d >= 0;
        };
    }

    private static Object value(Operand o, Object[] row, AggregateQuery q, List<Object> params) {
        if (o instanceof Ref r) {
            return row[q.ref(r.index())];
        }
        if (o instanceof Literal l) {
            return l.value();
        }
        return params.get(((Param) o).index());
    }

    private static Comparator<Object[]> comparator(AggregateQuery q) {
        return (a, b) -> {
            for (SortKey k : q.order()) {
                Object x = a[q.ref(k.index())];
                Object y = b[q.ref(k.index())];
                int c;
                if (x == null || y == null) {
                    c = x == y ? 0 : (x == null) == k.nullsFirst() ? -1 : 1;
                } else {
                    c = OrderBy.compareValues(x, y);
                    if (k.descending()) {
                        c = -c;
                    }
                }
                if (c != 0) {
                    return c;
                }
            }
            return 0;
        };
    }

    /** A group key value as compared: numbers by value whatever their Java type, binary by content. */
    private static Object normalizedKey(Object v) {
        if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return BigDecimal.valueOf(((Number) v).longValue());
        }
        if (v instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) {
            return normalizedKey(BigDecimal.valueOf(d));
        }
        if (v instanceof byte[] b) {
            return ByteBuffer.wrap(b);
        }
        return v;
    }

    /** The running aggregates of one group. */
    private static final class Group {
        final Object[] keys;
        final Object[] values;
        final long[] counts;

        Group(Object[] keys, int columns) {
            this.keys = keys;
            this.values = new Object[columns];
            this.counts = new long[columns];
        }

        void add(List<Column> columns, Object[] row, boolean[] floating) {
            for (int c = 0; c < columns.size(); c++) {
                Column col = columns.get(c);
                if (col.isKey()) {
                    continue;
                }
                Object partial = row[col.source()];
                switch (col.function()) {
                    case COUNT -> counts[c] = Math.addExact(counts[c], ((Number) partial).longValue());
                    case SUM -> values[c] = add(values[c], partial, floating[col.source()]);
                    case MIN -> values[c] = pick(values[c], partial, -1);
                    case MAX -> values[c] = pick(values[c], partial, 1);
                    case AVG -> {
                        values[c] = add(values[c], partial, floating[col.source()]);
                        counts[c] = Math.addExact(counts[c], ((Number) row[col.source() + 1]).longValue());
                    }
                }
            }
        }

        Object result(int c, Function function, boolean floating) {
            return switch (function) {
                case COUNT -> counts[c];
                case SUM, MIN, MAX -> values[c];
                case AVG -> {
                    if (counts[c] == 0 || values[c] == null) {
                        yield null;
                    }
                    if (floating) {
                        yield ((Number) values[c]).doubleValue() / counts[c];
                    }
                    BigDecimal avg = ((BigDecimal) values[c]).divide(BigDecimal.valueOf(counts[c]),
                            MathContext.DECIMAL128).stripTrailingZeros();
                    yield avg.scale() < 0 ? avg.setScale(0) : avg;
                }
            };
        }

        private static Object add(Object sum, Object partial, boolean floating) {
            if (partial == null) {
                return sum;
            }
            if (floating) {
                return (sum == null ? 0.0 : (Double) sum) + ((Number) partial).doubleValue();
            }
            BigDecimal p = exact((Number) partial);
            return sum == null ? p : ((BigDecimal) sum).add(p);
        }

        private static BigDecimal exact(Number n) {
            if (n instanceof BigDecimal d) {
                return d;
            }
            if (n instanceof BigInteger i) {
                return new BigDecimal(i);
            }
            if (n instanceof Double || n instanceof Float) {
                return BigDecimal.valueOf(n.doubleValue());
            }
            return BigDecimal.valueOf(n.longValue());
        }

        /** The smaller ({@code sign} -1) or larger (+1) of the two, ignoring NULLs. */
        private static Object pick(Object current, Object partial, int sign) {
            if (partial == null) {
                return current;
            }
            if (current == null) {
                return partial;
            }
            return Integer.signum(OrderBy.compareValues(partial, current)) == sign ? partial : current;
        }
    }
}
