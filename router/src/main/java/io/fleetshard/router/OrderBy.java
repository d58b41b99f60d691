package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The {@code orderBy} of a scatter query, {@code "updated_at desc, vehicle_id"}: column names of the result, each
 * optionally {@code asc}/{@code desc} and {@code nulls first}/{@code nulls last} (default as in PostgreSQL: nulls sort
 * as the largest value). Strings compare by UTF-16 code unit, numbers by value across integer and decimal types.
 */
final class OrderBy {
    /** One sort key. {@code quoted} names match a column exactly; unquoted ones ignore case. */
    record Term(String column, boolean quoted, boolean descending, boolean nullsFirst) {
    }

    private OrderBy() {
    }

    static List<Term> parse(String text) {
        List<Term> terms = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw invalid(text, "an empty term");
            }
            String column;
            boolean quoted = p.startsWith("\"");
            String rest;
            if (quoted) {
                int close = p.indexOf('"', 1);
                if (close < 0) {
                    throw invalid(text, "an unterminated quoted name");
                }
                column = p.substring(1, close);
                rest = p.substring(close + 1).trim();
            } else {
                int sp = indexOfSpace(p);
                column = sp < 0 ? p : p.substring(0, sp);
                rest = sp < 0 ? "" : p.substring(sp + 1).trim();
                if (!column.matches("[A-Za-z_][A-Za-z0-9_$]*")) {
                    throw invalid(text, "'" + column + "', which is not a column name");
                }
            }
            if (column.isEmpty()) {
                throw invalid(text, "an empty column name");
            }
            String[] words = rest.isEmpty() ? new String[0] : rest.toLowerCase(Locale.ROOT).split("\\s+");
            int w = 0;
            boolean desc = false;
            if (w < words.length && (words[w].equals("asc") || words[w].equals("desc"))) {
                desc = words[w].equals("desc");
                w++;
            }
            boolean nullsFirst = desc;
            if (w + 1 < words.length && words[w].equals("nulls")
                    && (words[w + 1].equals("first") || words[w + 1].equals("last"))) {
                nullsFirst = words[w + 1].equals("first");
                w += 2;
            }
            if (w != words.length) {
                throw invalid(text, "'" + rest + "' after column " + column
                        + " (expected asc, desc, nulls first or nulls last)");
            }
            terms.add(new Term(column, quoted, desc, nullsFirst));
        }
        return List.copyOf(terms);
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static ApiProblem invalid(String text, String what) {
        return ApiProblem.badRequest("orderBy '" + text + "' has " + what
                + "; write it like \"updated_at desc, vehicle_id\"");
    }

    /**
     * The row comparator for {@code terms} over rows with {@code columns}; 400 when a term names no column of the
     * result (or, unquoted, more than one ignoring case).
     */
    static Comparator<Object[]> comparator(List<Term> terms, List<String> columns) {
        int[] index = new int[terms.size()];
        for (int t = 0; t < terms.size(); t++) {
            index[t] = columnIndex(terms.get(t), columns);
        }
        Term[] ts = terms.toArray(new Term[0]);
        return (a, b) -> {
            for (int t = 0; t < ts.length; t++) {
                Object x = a[index[t]];
                Object y = b[index[t]];
                int c;
                if (x == null || y == null) {
                    c = x == y ? 0 : (x == null) == ts[t].nullsFirst() ? -1 : 1;
                } else {
                    c = compareValues(x, y);
                    if (ts[t].descending()) {
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

    private static int columnIndex(Term term, List<String> columns) {
        int exact = columns.indexOf(term.column());
        if (exact >= 0) {
            return exact;
        }
        if (!term.quoted()) {
            int found = -1;
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).equalsIgnoreCase(term.column())) {
                    if (found >= 0) {
                        throw ApiProblem.badRequest("orderBy column '" + term.column() + "' matches more than one"
                                + " result column ignoring case " + columns + "; quote it to pick one");
                    }
                    found = i;
                }
            }
            if (found >= 0) {
                return found;
            }
        }
        throw ApiProblem.badRequest("orderBy column '" + term.column() + "' is not a column of the result " + columns);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object x, Object y) {
        if (x.getClass() == y.getClass() && x instanceof Comparable cx) {
            return cx.compareTo(y);
        }
        if (x instanceof Number nx && y instanceof Number ny) {
            return decimal(nx).compareTo(decimal(ny));
        }
        if (x instanceof byte[] bx && y instanceof byte[] by) {
            return Arrays.compareUnsigned(bx, by);
        }
        return x.toString().compareTo(y.toString());
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof BigDecimal d) {
            return d;
        }
        if (n instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                // NaN sorts above everything, as in PostgreSQL; infinities at the ends
                return d < 0 ? BigDecimal.valueOf(-Double.MAX_VALUE).multiply(BigDecimal.TEN)
                        : BigDecimal.valueOf(Double.MAX_VALUE).multiply(BigDecimal.valueOf(Double.isNaN(d) ? 100 : 10));
            }
            return BigDecimal.valueOf(d);
        }
        return BigDecimal.valueOf(n.longValue());
    }
}
