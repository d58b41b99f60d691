package io.fleetshard.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One result row. Values are as the router sends them: {@code Long} (or {@code BigInteger} beyond 64 bits) for
 * integers, {@code BigDecimal} for decimals and floating-point numbers, {@code Boolean}, {@code String} for text,
 * timestamps (ISO-8601), dates and everything else (binary is base64), and {@code null}.
 */
public final class Row {
    private final List<String> columns;
    private final Map<String, Integer> index;
    private final List<Object> values;

    Row(List<String> columns, Map<String, Integer> index, List<Object> values) {
        this.columns = columns;
        this.index = index;
        this.values = Collections.unmodifiableList(values);
    }

    /** The values in column order (may hold nulls). */
    public List<Object> values() {
        return values;
    }

    public int size() {
        return values.size();
    }

    /** The value of column {@code i} (0-based). */
    public Object get(int i) {
        if (i < 0 || i >= values.size()) {
            throw new IndexOutOfBoundsException("column index " + i + " is out of range: the row has "
                    + values.size() + " columns " + columns);
        }
        return values.get(i);
    }

    /** The value of the column named {@code column} (the first one of that name). */
    public Object get(String column) {
        Integer i = index.get(column);
        if (i == null) {
            throw new IllegalArgumentException("no column '" + column + "' in the result; its columns are "
                    + columns);
        }
        return values.get(i);
    }

    /** The column's value as text (numbers and booleans in their JSON form); null stays null. */
    public String getString(String column) {
        Object v = get(column);
        return v == null ? null : v.toString();
    }

    /** The column's integral value; null stays null. */
    public Long getLong(String column) {
        Object v = get(column);
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof BigDecimal d) {
            return d.longValueExact();
        }
        if (v instanceof BigInteger b) {
            return b.longValueExact();
        }
        throw notA("an integer", column, v);
    }

    /** The column's numeric value, exactly; null stays null. */
    public BigDecimal getDecimal(String column) {
        Object v = get(column);
        if (v == null) {
            return null;
        }
        if (v instanceof BigDecimal d) {
            return d;
        }
        if (v instanceof Long l) {
            return BigDecimal.valueOf(l);
        }
        if (v instanceof BigInteger b) {
            return new BigDecimal(b);
        }
        throw notA("a number", column, v);
    }

    /** The column's numeric value as a double; null stays null. */
    public Double getDouble(String column) {
        BigDecimal d = getDecimal(column);
        return d == null ? null : d.doubleValue();
    }

    /** The column's boolean value; null stays null. */
    public Boolean getBoolean(String column) {
        Object v = get(column);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw notA("a boolean", column, v);
    }

    private static IllegalArgumentException notA(String what, String column, Object v) {
        return new IllegalArgumentException("column '" + column + "' is not " + what + ": it holds the "
                + v.getClass().getSimpleName() + " " + v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Row r && r.columns.equals(columns) && r.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
