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
import io.fleetshard.router.SqlTokenizer.Kind;
import io.fleetshard.router.SqlTokenizer.Token;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a scatter statement needs its aggregates merged and, if so, plans the merge (ADR 0014). A small
 * parser over {@link SqlTokenizer} tokens, not a SQL grammar: it understands the top level of
 * <pre>
 * SELECT [ALL] item, ... FROM table [[AS] alias] [WHERE ...] [GROUP BY key, ...] [HAVING condition]
 *   [ORDER BY term, ...] [LIMIT n | LIMIT ALL | LIMIT offset, n] [OFFSET n [ROW|ROWS]]
 * </pre>
 * where an item is a {@code count(*)}, {@code count(x)}, {@code sum(x)}, {@code min(x)}, {@code max(x)} or
 * {@code avg(x)} call or an expression equal to a group key, optionally aliased. The {@code WHERE} condition and the
 * aggregates' arguments are passed to the shards as the client wrote them; {@code HAVING}, {@code ORDER BY} and the
 * limits are evaluated by the merge. Every other shape that has an aggregate, a {@code GROUP BY}, a {@code HAVING} or a
 * window function is refused with a 422 naming the construct: merging it naively would give a wrong answer.
 *
 * <p>Statements without any of these run unchanged, as before ({@link Optional#empty()}).
 */
final class AggregateQueryParser {
    /** Aggregate functions the merge combines. */
    private static final Set<String> MERGED = Set.of("COUNT", "SUM", "MIN", "MAX", "AVG");
    /** Aggregate (and ordered-set) functions of PostgreSQL and MariaDB that the merge does not combine. */
    private static final Set<String> OTHER_AGGREGATES = Set.of("ARRAY_AGG", "STRING_AGG", "GROUP_CONCAT", "JSON_AGG",
            "JSONB_AGG", "JSON_OBJECT_AGG", "JSONB_OBJECT_AGG", "JSON_ARRAYAGG", "JSON_OBJECTAGG", "XMLAGG",
            "BOOL_AND", "BOOL_OR", "EVERY", "BIT_AND", "BIT_OR", "BIT_XOR", "STDDEV", "STDDEV_POP", "STDDEV_SAMP",
            "STD", "VARIANCE", "VAR_POP", "VAR_SAMP", "PERCENTILE_CONT", "PERCENTILE_DISC", "MODE", "MEDIAN", "CORR",
            "COVAR_POP", "COVAR_SAMP", "REGR_AVGX", "REGR_AVGY", "REGR_COUNT", "REGR_INTERCEPT", "REGR_R2",
            "REGR_SLOPE", "REGR_SXX", "REGR_SXY", "REGR_SYY", "ANY_VALUE", "RANGE_AGG", "RANGE_INTERSECT_AGG");
    /** First words of statements that are passed through whatever they contain (their output is per shard). */
    private static final Set<String> PASS_THROUGH = Set.of("EXPLAIN", "SHOW", "DESCRIBE", "DESC");
    /** Top-level words after which no clause of the supported shape follows. */
    private static final Set<String> UNSUPPORTED_CLAUSES = Set.of("UNION", "INTERSECT", "EXCEPT", "MINUS", "WINDOW",
            "FETCH", "FOR", "INTO", "LOCK", "PROCEDURE", "QUALIFY", "RETURNING");
    /** Words that end an expression and so are never an implicit alias. */
    private static final Set<String> NOT_ALIASES = Set.of("END", "NULL", "TRUE", "FALSE", "UNKNOWN", "AND", "OR",
            "NOT", "FROM", "DISTINCT", "ALL");

    private final SqlTokenizer.Tokens tokens;
    private final List<Token> t;
    private final SqlDialect dialect;

    private AggregateQueryParser(SqlTokenizer.Tokens tokens, SqlDialect dialect) {
        this.tokens = tokens;
        this.t = tokens.list();
        this.dialect = dialect;
    }

    /**
     * The merge plan of {@code sql}, a statement {@link SqlScanner} accepted for {@code dialect}; empty when it has no
     * aggregate, {@code GROUP BY}, {@code HAVING} or window function and runs unchanged.
     *
     * @throws ApiProblem 422 naming the construct when it has one of them in a shape the merge does not support
     */
    static Optional<AggregateQuery> plan(String sql, SqlDialect dialect) {
        return new AggregateQueryParser(SqlTokenizer.tokenize(sql, dialect), dialect).plan();
    }

    private Optional<AggregateQuery> plan() {
        if (t.isEmpty() || PASS_THROUGH.contains(t.get(0).upper())) {
            return Optional.empty();
        }
        boolean aggregate = false;
        int depth = 0;
        for (int k = 0; k < t.size(); k++) {
            Token x = t.get(k);
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            } else if (x.kind() == Kind.WORD && next(k).isSymbol("(")
                    && (MERGED.contains(x.upper()) || OTHER_AGGREGATES.contains(x.upper()))) {
                aggregate = true;
            } else if (x.is("OVER") && k > 0 && t.get(k - 1).isSymbol(")")
                    && (next(k).isSymbol("(") || next(k).kind() == Kind.WORD || next(k).kind() == Kind.QUOTED)) {
                throw refuse("a window function (" + text(callStart(k - 1), k - 1) + " OVER ...): each shard would"
                        + " compute it over its own rows only");
            } else if (x.is("HAVING")) {
                if (depth != 0) {
                    throw refuse("HAVING in a subquery: each shard would filter its own partial groups");
                }
                aggregate = true;
            } else if (x.is("GROUP") && next(k).is("BY") && depth == 0) {
                aggregate = true;
            }
        }
        if (!aggregate) {
            return Optional.empty();
        }
        if (!t.get(0).is("SELECT")) {
            throw refuse("aggregates or GROUP BY in a statement starting with " + t.get(0).upper() + " (WITH, VALUES,"
                    + " a parenthesized SELECT ...): only a SELECT from one table is merged");
        }
        if (tokens.executableComments()) {
            throw refuse("MariaDB executable comments (/*! ... */) in a statement with aggregates");
        }
        return Optional.of(parseSelect());
    }

    // ---- the top level ------------------------------------------------------------------------------------------

    private AggregateQuery parseSelect() {
        int k = 1;
        if (at(k).is("DISTINCT") || at(k).is("DISTINCTROW")) {
            throw refuse("SELECT DISTINCT with aggregates or GROUP BY");
        }
        if (at(k).is("ALL")) {
            k++;
        }
        int fromAt = findTopLevel(k, "FROM");
        if (fromAt < 0) {
            throw refuse("aggregates without FROM: only a SELECT from one table is merged");
        }
        // clause boundaries at depth 0, in order
        int whereAt = -1;
        int groupAt = -1;
        int havingAt = -1;
        int orderAt = -1;
        int limitAt = -1;
        int offsetAt = -1;
        int depth = 0;
        for (int j = fromAt + 1; j < t.size(); j++) {
            Token x = t.get(j);
            if (x.isSymbol("(")) {
                depth++;
                continue;
            }
            if (x.isSymbol(")")) {
                depth--;
                continue;
            }
            if (depth != 0 || x.kind() != Kind.WORD) {
                continue;
            }
            String w = x.upper();
            if (UNSUPPORTED_CLAUSES.contains(w)) {
                throw refuse(w + " in a statement with aggregates or GROUP BY");
            }
            int afterOrder = Math.max(orderAt, Math.max(limitAt, offsetAt));
            switch (w) {
                case "WHERE" -> whereAt = order(whereAt, j, w, Math.max(Math.max(groupAt, havingAt), afterOrder));
                case "GROUP" -> {
                    if (next(j).is("BY")) {
                        groupAt = order(groupAt, j, "GROUP BY", Math.max(havingAt, afterOrder));
                    }
                }
                case "HAVING" -> havingAt = order(havingAt, j, w, afterOrder);
                case "ORDER" -> {
                    if (next(j).is("BY")) {
                        orderAt = order(orderAt, j, "ORDER BY", Math.max(limitAt, offsetAt));
                    }
                }
                case "LIMIT" -> limitAt = order(limitAt, j, w, -1);
                case "OFFSET" -> offsetAt = order(offsetAt, j, w, -1);
                default -> {
                }
            }
        }
        int end = t.size();
        int fromEnd = firstOf(end, whereAt, groupAt, havingAt, orderAt, limitAt, offsetAt);
        String[] table = parseFrom(fromAt + 1, fromEnd);
        int whereEnd = firstOf(end, groupAt, havingAt, orderAt, limitAt, offsetAt);
        if (whereAt >= 0) {
            noAggregates(whereAt + 1, whereEnd, "WHERE (a subquery with an aggregate, or an aggregate in the"
                    + " condition)");
        }

        List<Item> items = parseItems(k, fromAt, table);
        List<Expr> keys = new ArrayList<>();
        if (groupAt >= 0) {
            int groupEnd = firstOf(end, havingAt, orderAt, limitAt, offsetAt);
            for (int[] range : split(groupAt + 2, groupEnd, "GROUP BY")) {
                keys.add(groupKey(range, items, table));
            }
        }

        // the result's columns; then hidden aggregates of HAVING and ORDER BY
        Columns columns = new Columns(keys.size());
        for (Item item : items) {
            if (item.call == null) {
                int key = indexOfKey(keys, item.expr);
                if (key < 0) {
                    throw refuse("select item '" + text(item.expr.from, item.expr.to - 1) + "' is neither an"
                            + " aggregate nor a GROUP BY key" + (keys.isEmpty() ? " (there is no GROUP BY)" : ""));
                }
                columns.list.add(new Column(item.name, null, key, false));
            } else {
                columns.aggregate(item.name, item.call, false);
            }
        }
        Condition having = null;
        if (havingAt >= 0) {
            int havingEnd = firstOf(end, orderAt, limitAt, offsetAt);
            having = new HavingParser(havingAt + 1, havingEnd, items, keys, columns, table).parse();
        }
        List<SortKey> order = new ArrayList<>();
        if (orderAt >= 0) {
            int orderEnd = firstOf(end, limitAt, offsetAt);
            for (int[] range : split(orderAt + 2, orderEnd, "ORDER BY")) {
                order.add(sortKey(range, items, columns, keys, table));
            }
        }

        // each shard's statement: the group keys, then the partial aggregates, FROM and WHERE as written
        StringBuilder shardSql = new StringBuilder("SELECT ");
        List<Integer> params = new ArrayList<>();
        for (int g = 0; g < keys.size(); g++) {
            shardSql.append(g == 0 ? "" : ", ");
            emit(shardSql, params, keys.get(g).from, keys.get(g).to);
        }
        int partial = keys.size();
        for (Call call : columns.calls) {
            for (String fn : call.function == Function.AVG ? List.of("sum", "count")
                    : List.of(call.function.sqlName())) {
                shardSql.append(partial == 0 ? "" : ", ").append(fn).append('(');
                if (call.star) {
                    shardSql.append('*');
                } else {
                    emit(shardSql, params, call.argFrom, call.argTo);
                }
                shardSql.append(')');
                partial++;
            }
        }
        shardSql.append(' ');
        emit(shardSql, params, fromAt, whereEnd);
        if (!keys.isEmpty()) {
            shardSql.append(" GROUP BY ");
            for (int g = 0; g < keys.size(); g++) {
                shardSql.append(g == 0 ? "" : ", ").append(g + 1);
            }
        }
        long[] limits = limits(limitAt, offsetAt, end);
        return new AggregateQuery(shardSql.toString(), params, keys.size(), columns.list, having, order, limits[0],
                limits[1]);
    }

    /** An aggregate call of the statement: its function and argument tokens, normalized for matching. */
    private record Call(Function function, boolean star, int argFrom, int argTo, String normalized) {
    }

    /** The merge's columns as they are planned, and the aggregate calls whose partials the shards compute. */
    private static final class Columns {
        final List<Column> list = new ArrayList<>();
        final List<Call> calls = new ArrayList<>();
        final List<Integer> callColumns = new ArrayList<>();
        int nextPartial;

        Columns(int keys) {
            this.nextPartial = keys;
        }

        /** Adds an aggregate column; a hidden one reuses an equal call's column instead. Returns its index. */
        int aggregate(String name, Call call, boolean hidden) {
            if (hidden) {
                for (int c = 0; c < calls.size(); c++) {
                    if (calls.get(c).normalized.equals(call.normalized)) {
                        return callColumns.get(c);
                    }
                }
            }
            list.add(new Column(name, call.function, nextPartial, hidden));
            nextPartial += call.function.partials();
            calls.add(call);
            callColumns.add(list.size() - 1);
            return list.size() - 1;
        }
    }

    private int order(int previous, int at, String clause, int later) {
        if (previous >= 0) {
            throw refuse("two top-level " + clause + " clauses");
        }
        if (later >= 0) {
            throw refuse(clause + " after a clause that must follow it");
        }
        return at;
    }

    private static int firstOf(int end, int... ats) {
        int first = end;
        for (int a : ats) {
            if (a >= 0 && a < first) {
                first = a;
            }
        }
        return first;
    }

    /** FROM must name one table: {@code [schema.]table [[AS] alias]}. Returns the table name and alias (or null). */
    private String[] parseFrom(int from, int to) {
        for (int j = from; j < to; j++) {
            Token x = t.get(j);
            if (x.isSymbol(",") || x.is("JOIN") || x.isSymbol("(") || x.is("LATERAL") || x.is("ONLY")
                    || x.is("TABLESAMPLE") || x.is("PARTITION")) {
                throw refuse("FROM with " + (x.isSymbol("(") ? "a subquery or function" : x.text().toUpperCase(
                        Locale.ROOT)) + " in a statement with aggregates: only one table is merged");
            }
        }
        int j = from;
        if (!isName(at(j))) {
            throw refuse("FROM without a table name in a statement with aggregates");
        }
        String table = name(at(j));
        j++;
        if (at(j).isSymbol(".") && isName(at(j + 1))) {
            table = name(at(j + 1));
            j += 2;
        }
        String alias = null;
        if (at(j).is("AS")) {
            j++;
        }
        if (j < to && isName(at(j))) {
            alias = name(at(j));
            j++;
        }
        if (j != to) {
            throw refuse("FROM " + text(from, to - 1) + ": only one table, optionally aliased, is merged");
        }
        return new String[] {table, alias};
    }

    // ---- the select list ----------------------------------------------------------------------------------------

    /** One select item: an aggregate call ({@code call} set) or an expression, and its result column name. */
    private record Item(Expr expr, String name, boolean explicitName, Call call) {
        Function function() {
            return call == null ? null : call.function;
        }
    }

    /** The tokens {@code from} (inclusive) to {@code to} (exclusive), and their normalized text for matching. */
    private record Expr(int from, int to, String normalized) {
    }

    private List<Item> parseItems(int from, int to, String[] table) {
        List<Item> items = new ArrayList<>();
        for (int[] range : split(from, to, "the select list")) {
            items.add(item(range[0], range[1], table));
        }
        return items;
    }

    private Item item(int from, int to, String[] table) {
        String alias = null;
        int exprTo = to;
        if (to - from >= 3 && t.get(to - 2).is("AS") && isAlias(t.get(to - 1))) {
            alias = aliasName(t.get(to - 1));
            exprTo = to - 2;
        } else if (to - from >= 2 && isAlias(t.get(to - 1)) && !NOT_ALIASES.contains(t.get(to - 1).upper())
                && impliesAlias(from, to - 2)) {
            alias = aliasName(t.get(to - 1));
            exprTo = to - 1;
        }
        Token first = t.get(from);
        if (exprTo - from == 1 && first.isSymbol("*") || exprTo - from >= 2 && t.get(exprTo - 1).isSymbol("*")
                && t.get(exprTo - 2).isSymbol(".")) {
            throw refuse("SELECT * in a statement with aggregates or GROUP BY: name the columns");
        }
        Expr expr = expr(from, exprTo, table);
        if (isAggregateCall(from)) {
            Call call = call(from, exprTo, expr);
            String name = alias != null ? alias : call.function.sqlName();
            return new Item(expr, name, alias != null, call);
        }
        noAggregates(from, exprTo, "select item '" + text(from, exprTo - 1) + "' (an aggregate inside an"
                + " expression, or a subquery with an aggregate): select each aggregate as its own column and combine"
                + " them in the client");
        if (containsWord(from, exprTo, "SELECT")) {
            throw refuse("a subquery in the select list ('" + text(from, exprTo - 1) + "') of a statement with"
                    + " aggregates or GROUP BY");
        }
        String name = alias != null ? alias : derivedName(from, exprTo);
        return new Item(expr, name, alias != null, null);
    }

    private boolean isAggregateCall(int from) {
        Token first = at(from);
        return first.kind() == Kind.WORD && at(from + 1).isSymbol("(")
                && (MERGED.contains(first.upper()) || OTHER_AGGREGATES.contains(first.upper()));
    }

    /** The aggregate call that tokens {@code from} to {@code to} (exclusive) must be exactly; 422 if not mergeable. */
    private Call call(int from, int to, Expr expr) {
        Token first = t.get(from);
        int close = closing(from + 1);
        if (close != to - 1) {
            Token after = t.get(close + 1);
            if (after.is("FILTER")) {
                throw refuse("FILTER (WHERE ...) on " + text(from, close) + "; move the condition into WHERE or a"
                        + " CASE inside the aggregate");
            }
            throw refuse("an aggregate inside an expression: '" + text(from, to - 1) + "'; select each"
                    + " aggregate as its own column and combine them in the client");
        }
        if (!MERGED.contains(first.upper())) {
            throw refuse("aggregate function " + first.text().toLowerCase(Locale.ROOT) + "() is not merged across"
                    + " shards (merged: count, sum, min, max, avg)");
        }
        Function function = Function.valueOf(first.upper());
        int argFrom = from + 2;
        int argTo = close;
        if (argFrom == argTo) {
            throw refuse(first.text() + "() without an argument");
        }
        if (at(argFrom).is("DISTINCT")) {
            throw refuse(first.text().toLowerCase(Locale.ROOT) + "(DISTINCT ...): distinct values cannot be"
                    + " combined from per-shard results");
        }
        boolean star = argTo - argFrom == 1 && at(argFrom).isSymbol("*");
        if (star && function != Function.COUNT) {
            throw refuse(first.text() + "(*): only count takes *");
        }
        noAggregates(argFrom, argTo, "the argument of " + first.text() + "() (a nested aggregate or a subquery"
                + " with one)");
        if (containsWord(argFrom, argTo, "SELECT")) {
            throw refuse("a subquery inside " + text(from, close));
        }
        return new Call(function, star, argFrom, argTo, expr.normalized);
    }

    /** A name, or on MariaDB also a string: {@code count(*) AS "Total"} is an alias there too. */
    private boolean isAlias(Token x) {
        return isName(x) || dialect == SqlDialect.MARIADB && x.kind() == Kind.STRING
                && (x.text().startsWith("'") || x.text().startsWith("\""));
    }

    /** An alias as a result column name: unquoted folded to lower case (PostgreSQL's rule), quoted exactly. */
    private static String aliasName(Token x) {
        if (x.kind() == Kind.WORD) {
            return x.text().toLowerCase(Locale.ROOT);
        }
        String q = x.text().substring(0, 1);
        return x.text().substring(1, x.text().length() - 1).replace(q + q, q);
    }

    /** Whether the token before a trailing name (at {@code before}) ends an expression, so the name is an alias. */
    private boolean impliesAlias(int from, int before) {
        Token b = t.get(before);
        if (b.isSymbol(")")) {
            return true;
        }
        // a column reference: name, or qualifier.name
        return isName(b) && (before == from || before - 2 >= from && t.get(before - 1).isSymbol(".")
                && before - 2 == from);
    }

    /** PostgreSQL's rule, applied on every engine: a column's name, a function's name, else {@code ?column?}. */
    private String derivedName(int from, int to) {
        Token last = t.get(to - 1);
        boolean columnRef = to - from == 1 && isName(last)
                || to - from == 3 && isName(t.get(from)) && t.get(from + 1).isSymbol(".") && isName(last);
        if (columnRef) {
            return name(last);
        }
        if (t.get(from).kind() == Kind.WORD && at(from + 1).isSymbol("(") && closing(from + 1) == to - 1) {
            return t.get(from).text().toLowerCase(Locale.ROOT);
        }
        return "?column?";
    }

    // ---- GROUP BY and ORDER BY ----------------------------------------------------------------------------------

    private Expr groupKey(int[] range, List<Item> items, String[] table) {
        int from = range[0];
        int to = range[1];
        if (at(from).is("ROLLUP") || at(from).is("CUBE") || at(from).is("GROUPING") || containsWord(from, to, "WITH")
                && containsWord(from, to, "ROLLUP")) {
            throw refuse("GROUP BY " + text(from, to - 1) + ": grouping sets are not merged");
        }
        noAggregates(from, to, "GROUP BY");
        if (to - from == 1 && at(from).kind() == Kind.NUMBER) {
            Item item = byPosition(at(from), items, "GROUP BY");
            if (item.call != null) {
                throw refuse("GROUP BY " + at(from).text() + " refers to the aggregate '" + item.name + "'");
            }
            return item.expr;
        }
        Expr expr = expr(from, to, table);
        if (to - from == 1 && isName(at(from))) {
            for (Item item : items) {
                if (item.explicitName && item.name.equals(name(at(from)))
                        && !item.expr.normalized.equals(expr.normalized)) {
                    throw refuse("GROUP BY " + at(from).text() + " names the alias of select item '"
                            + text(item.expr.from, item.expr.to - 1) + "' and maybe also a column; group by the"
                            + " expression or its position");
                }
            }
        }
        return expr;
    }

    private SortKey sortKey(int[] range, List<Item> items, Columns columns, List<Expr> keys, String[] table) {
        int from = range[0];
        int to = range[1];
        boolean descending = false;
        Boolean nullsFirst = null;
        if (to - from >= 3 && t.get(to - 2).is("NULLS") && (t.get(to - 1).is("FIRST") || t.get(to - 1).is("LAST"))) {
            nullsFirst = t.get(to - 1).is("FIRST");
            to -= 2;
        }
        if (to - from >= 2 && (t.get(to - 1).is("ASC") || t.get(to - 1).is("DESC"))) {
            descending = t.get(to - 1).is("DESC");
            to--;
        }
        if (to - from >= 2 && t.get(to - 2).is("USING")) {
            throw refuse("ORDER BY ... USING");
        }
        boolean nulls = nullsFirst != null ? nullsFirst : descending;
        if (to - from == 1 && at(from).kind() == Kind.NUMBER) {
            byPosition(at(from), items, "ORDER BY");
            return new SortKey(Integer.parseInt(at(from).text()) - 1, descending, nulls);
        }
        Expr expr = expr(from, to, table);
        if (to - from == 1 && isName(at(from))) {
            int found = byName(name(at(from)), items, "ORDER BY " + at(from).text());
            if (found >= 0) {
                return new SortKey(found, descending, nulls);
            }
        }
        int ref = reference(expr, items, columns, keys);
        if (ref == NONE) {
            throw refuse("ORDER BY " + text(from, to - 1) + " is neither a result column, an aggregate nor a GROUP"
                    + " BY key");
        }
        return new SortKey(ref, descending, nulls);
    }

    private static final int NONE = Integer.MIN_VALUE;

    /** The result column named {@code name} (alias or derived name), or -1; 422 if several are. */
    private int byName(String name, List<Item> items, String what) {
        int found = -1;
        for (int c = 0; c < items.size(); c++) {
            if (items.get(c).name.equals(name)) {
                if (found >= 0) {
                    throw refuse(what + " matches more than one result column");
                }
                found = c;
            }
        }
        return found;
    }

    /**
     * What an expression of ORDER BY or HAVING reads: a select item written the same way, an aggregate call (a hidden
     * column when it is not selected), or a group key ({@link AggregateQuery#keyRef}); {@link #NONE} if none.
     */
    private int reference(Expr expr, List<Item> items, Columns columns, List<Expr> keys) {
        for (int c = 0; c < items.size(); c++) {
            if (items.get(c).expr.normalized.equals(expr.normalized)) {
                return c;
            }
        }
        if (isAggregateCall(expr.from)) {
            return columns.aggregate("", call(expr.from, expr.to, expr), true);
        }
        int key = indexOfKey(keys, expr);
        return key >= 0 ? AggregateQuery.keyRef(key) : NONE;
    }

    /**
     * {@code HAVING}, evaluated on the merged groups: comparisons ({@code = <> != < <= > >=}) and {@code IS [NOT] NULL}
     * of aggregates, group keys, select aliases, numbers, strings and {@code ?}, combined with {@code AND}, {@code OR},
     * {@code NOT} and parentheses. Anything else (arithmetic, {@code BETWEEN}, {@code IN}, {@code LIKE}, functions of
     * aggregates ...) is refused.
     */
    private final class HavingParser {
        private static final Set<String> PREDICATES = Set.of("BETWEEN", "IN", "LIKE", "ILIKE", "SIMILAR", "REGEXP",
                "RLIKE", "NOT", "EXISTS", "ANY", "ALL", "SOME");
        private final int from;
        private final int end;
        private final List<Item> items;
        private final List<Expr> keys;
        private final Columns columns;
        private final String[] table;
        private int j;

        HavingParser(int from, int end, List<Item> items, List<Expr> keys, Columns columns, String[] table) {
            this.from = from;
            this.end = end;
            this.items = items;
            this.keys = keys;
            this.columns = columns;
            this.table = table;
            this.j = from;
        }

        Condition parse() {
            if (from >= end) {
                throw refuse("an empty HAVING");
            }
            Condition c = or();
            if (j != end) {
                throw refuse("HAVING " + text(from, end - 1) + ": unexpected '" + at(j).text() + "'");
            }
            return c;
        }

        private Condition or() {
            Condition c = and();
            while (j < end && at(j).is("OR")) {
                j++;
                c = new Or(c, and());
            }
            return c;
        }

        private Condition and() {
            Condition c = not();
            while (j < end && at(j).is("AND")) {
                j++;
                c = new And(c, not());
            }
            return c;
        }

        private Condition not() {
            if (j < end && at(j).is("NOT")) {
                j++;
                return new Not(not());
            }
            return primary();
        }

        private Condition primary() {
            if (j < end && at(j).isSymbol("(") && holdsCondition(j)) {
                int close = closing(j);
                j++;
                Condition c = or();
                if (j != close) {
                    throw refuse("HAVING " + text(from, end - 1) + ": unexpected '" + at(j).text() + "'");
                }
                j = close + 1;
                return c;
            }
            Operand left = operand();
            if (j < end && at(j).is("IS")) {
                j++;
                boolean negated = j < end && at(j).is("NOT");
                if (negated) {
                    j++;
                }
                if (j >= end || !at(j).is("NULL")) {
                    throw refuse("HAVING ... IS " + (negated ? "NOT " : "") + at(j).text() + ": only IS [NOT] NULL is"
                            + " evaluated");
                }
                j++;
                return new IsNull(left, negated);
            }
            String op = comparison();
            return new Compare(left, op, operand());
        }

        /** Whether the parenthesis at {@code open} groups a condition rather than a value. */
        private boolean holdsCondition(int open) {
            int close = closing(open);
            int depth = 0;
            for (int k = open + 1; k < close; k++) {
                Token x = t.get(k);
                if (x.isSymbol("(")) {
                    depth++;
                } else if (x.isSymbol(")")) {
                    depth--;
                } else if (depth == 0 && (comparisonSymbol(x) || x.is("AND") || x.is("OR") || x.is("NOT")
                        || x.is("IS"))) {
                    return true;
                }
            }
            return false;
        }

        private boolean comparisonSymbol(Token x) {
            return x.isSymbol("=") || x.isSymbol("<") || x.isSymbol(">") || x.isSymbol("!");
        }

        private String comparison() {
            Token x = at(j);
            Token y = at(j + 1);
            boolean joined = j + 1 < end && y.start() == x.end() && y.kind() == Kind.SYMBOL;
            String op;
            if (x.isSymbol("=")) {
                op = "=";
            } else if (x.isSymbol("<") && joined && (y.isSymbol("=") || y.isSymbol(">"))) {
                op = "<" + y.text();
            } else if (x.isSymbol(">") && joined && y.isSymbol("=")) {
                op = ">=";
            } else if (x.isSymbol("!") && joined && y.isSymbol("=")) {
                op = "!=";
            } else if (x.isSymbol("<") || x.isSymbol(">")) {
                op = x.text();
            } else {
                throw refuse("HAVING " + text(from, end - 1) + ": expected a comparison (=, <>, <, <=, >, >=, IS [NOT]"
                        + " NULL) at '" + x.text() + "'; BETWEEN, IN, LIKE and arithmetic are not evaluated");
            }
            j += op.length();
            if (op.equals("<=") && j < end && at(j).isSymbol(">") && at(j).start() == at(j - 1).end()) {
                throw refuse("HAVING with <=>");
            }
            return op.equals("!=") ? "<>" : op;
        }

        private Operand operand() {
            int start = j;
            int depth = 0;
            while (j < end) {
                Token x = at(j);
                if (x.isSymbol("(")) {
                    depth++;
                } else if (x.isSymbol(")")) {
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                } else if (depth == 0 && (comparisonSymbol(x) || x.is("AND") || x.is("OR") || x.is("IS"))) {
                    break;
                } else if (depth == 0 && x.kind() == Kind.WORD && PREDICATES.contains(x.upper())) {
                    throw refuse("HAVING with " + x.upper() + ": only comparisons (=, <>, <, <=, >, >=), IS [NOT]"
                            + " NULL, AND, OR and NOT are evaluated after the merge");
                }
                j++;
            }
            if (start == j) {
                throw refuse("HAVING " + text(from, end - 1) + ": expected a value at '" + at(j).text() + "'");
            }
            return value(start, j);
        }

        private Operand value(int start, int stop) {
            while (at(start).isSymbol("(") && closing(start) == stop - 1) {
                start++;
                stop--;
            }
            Token x = at(start);
            if (stop - start == 1 && x.kind() == Kind.PARAM) {
                return new Param(x.param());
            }
            if (stop - start == 1 && x.kind() == Kind.NUMBER || stop - start == 2 && x.isSymbol("-")
                    && at(start + 1).kind() == Kind.NUMBER) {
                try {
                    return new Literal(new BigDecimal(text(start, stop - 1).replace(" ", "")));
                } catch (NumberFormatException e) {
                    throw refuse("HAVING number " + text(start, stop - 1));
                }
            }
            if (stop - start == 1 && x.kind() == Kind.STRING) {
                return new Literal(string(x));
            }
            if (stop - start == 1 && x.is("NULL")) {
                return new Literal(null);
            }
            Expr expr = expr(start, stop, table);
            int ref = reference(expr, items, columns, keys);
            if (ref == NONE && stop - start == 1 && isName(x)) {
                ref = byName(name(x), items, "HAVING " + x.text());
                ref = ref < 0 ? NONE : ref;
            }
            if (ref == NONE) {
                throw refuse("HAVING operand '" + text(start, stop - 1) + "' is neither an aggregate, a GROUP BY key,"
                        + " a select alias nor a literal (arithmetic and functions are not evaluated after the merge)");
            }
            return new Ref(ref);
        }

        private String string(Token x) {
            String text = x.text();
            char q = text.charAt(0);
            boolean plain = q == '\'' || dialect == SqlDialect.MARIADB && q == '"';
            if (!plain || dialect == SqlDialect.MARIADB && text.indexOf('\\') >= 0) {
                throw refuse("HAVING string " + text + ": write it as a plain '...' literal without escapes");
            }
            return text.substring(1, text.length() - 1).replace("" + q + q, "" + q);
        }
    }

    private Item byPosition(Token number, List<Item> items, String clause) {
        int position;
        try {
            position = Integer.parseInt(number.text());
        } catch (NumberFormatException e) {
            position = -1;
        }
        if (position < 1 || position > items.size()) {
            throw refuse(clause + " " + number.text() + ": not a position of the select list (1 to " + items.size()
                    + ")");
        }
        return items.get(position - 1);
    }

    private static int indexOfKey(List<Expr> keys, Expr expr) {
        for (int g = 0; g < keys.size(); g++) {
            if (keys.get(g).normalized.equals(expr.normalized)) {
                return g;
            }
        }
        return -1;
    }

    /** {@code [offset, limit]} from {@code LIMIT n | ALL | o, n} and {@code OFFSET n [ROW|ROWS]}; limit -1 for none. */
    private long[] limits(int limitAt, int offsetAt, int end) {
        long offset = 0;
        long limit = -1;
        if (limitAt >= 0) {
            int to = offsetAt > limitAt ? offsetAt : end;
            if (to - limitAt == 2 && at(limitAt + 1).is("ALL")) {
                limit = -1;
            } else if (to - limitAt == 2) {
                limit = count(at(limitAt + 1), "LIMIT");
            } else if (to - limitAt == 4 && at(limitAt + 2).isSymbol(",")) {
                offset = count(at(limitAt + 1), "LIMIT");
                limit = count(at(limitAt + 3), "LIMIT");
            } else {
                throw refuse("LIMIT " + text(limitAt + 1, to - 1) + ": write LIMIT n with a number");
            }
        }
        if (offsetAt >= 0) {
            int to = limitAt > offsetAt ? limitAt : end;
            if (to - offsetAt == 3 && (at(offsetAt + 2).is("ROW") || at(offsetAt + 2).is("ROWS"))) {
                to--;
            }
            if (to - offsetAt != 2) {
                throw refuse("OFFSET " + text(offsetAt + 1, Math.max(offsetAt + 1, to - 1)) + ": write OFFSET n with"
                        + " a number");
            }
            offset = count(at(offsetAt + 1), "OFFSET");
        }
        return new long[] {offset, limit};
    }

    private long count(Token x, String clause) {
        if (x.kind() == Kind.PARAM) {
            throw refuse(clause + " ? in a statement with aggregates: write the number in the SQL, or use the"
                    + " request's limit field");
        }
        if (x.kind() != Kind.NUMBER || !x.text().chars().allMatch(Character::isDigit)) {
            throw refuse(clause + " " + x.text() + ": expected a whole number");
        }
        try {
            return Long.parseLong(x.text());
        } catch (NumberFormatException e) {
            throw refuse(clause + " " + x.text() + " is too large");
        }
    }

    // ---- tokens -------------------------------------------------------------------------------------------------

    /** The statement's own text of tokens {@code from} to {@code to} inclusive. */
    private String text(int from, int to) {
        if (from > to || from >= t.size()) {
            return "";
        }
        return tokens.sql().substring(t.get(from).start(), t.get(Math.min(to, t.size() - 1)).end());
    }

    /** Appends the client's text of tokens {@code from} (inclusive) to {@code to} (exclusive), and its parameters. */
    private void emit(StringBuilder out, List<Integer> params, int from, int to) {
        out.append(text(from, to - 1));
        for (int j = from; j < to; j++) {
            if (t.get(j).kind() == Kind.PARAM) {
                params.add(t.get(j).param());
            }
        }
    }

    private Expr expr(int from, int to, String[] table) {
        if (from >= to) {
            throw refuse("an empty expression");
        }
        StringBuilder n = new StringBuilder();
        int j = from;
        // a column qualified by the table's name or alias is the same column unqualified
        if (to - from == 3 && isName(t.get(from)) && t.get(from + 1).isSymbol(".")
                && (name(t.get(from)).equals(table[0]) || name(t.get(from)).equals(table[1]))) {
            j = from + 2;
        }
        for (; j < to; j++) {
            Token x = t.get(j);
            n.append(isName(x) ? name(x) : x.text()).append(' ');
        }
        return new Expr(from, to, n.toString());
    }

    private boolean isName(Token x) {
        return x.kind() == Kind.WORD || x.kind() == Kind.QUOTED;
    }

    /**
     * An identifier as the engine resolves it for matching and naming: unquoted names folded to lower case, quoted
     * ones exact on PostgreSQL; MariaDB compares column names ignoring case, so both are folded there.
     */
    private String name(Token x) {
        if (x.kind() == Kind.QUOTED) {
            String q = x.text().substring(0, 1);
            String inner = x.text().substring(1, x.text().length() - 1).replace(q + q, q);
            return dialect == SqlDialect.MARIADB ? inner.toLowerCase(Locale.ROOT) : inner;
        }
        return x.text().toLowerCase(Locale.ROOT);
    }

    private Token at(int k) {
        return k < t.size() ? t.get(k) : new Token(Kind.SYMBOL, "", tokens.sql().length(), tokens.sql().length(), -1);
    }

    private Token next(int k) {
        return at(k + 1);
    }

    private int closing(int open) {
        int depth = 0;
        for (int j = open; j < t.size(); j++) {
            if (t.get(j).isSymbol("(")) {
                depth++;
            } else if (t.get(j).isSymbol(")") && --depth == 0) {
                return j;
            }
        }
        throw refuse("an unbalanced parenthesis");
    }

    /** The start of the function call whose closing parenthesis is at {@code close}. */
    private int callStart(int close) {
        int depth = 0;
        for (int j = close; j >= 0; j--) {
            if (t.get(j).isSymbol(")")) {
                depth++;
            } else if (t.get(j).isSymbol("(") && --depth == 0) {
                return j > 0 && t.get(j - 1).kind() == Kind.WORD ? j - 1 : j;
            }
        }
        return 0;
    }

    private int findTopLevel(int from, String word) {
        int depth = 0;
        for (int j = from; j < t.size(); j++) {
            Token x = t.get(j);
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            } else if (depth == 0 && x.is(word)) {
                return j;
            }
        }
        return -1;
    }

    /** The comma-separated parts of tokens {@code from} to {@code to} at depth 0, as {@code [from, to)} ranges. */
    private List<int[]> split(int from, int to, String where) {
        List<int[]> parts = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int j = from; j < to; j++) {
            Token x = t.get(j);
            if (x.isSymbol("(")) {
                depth++;
            } else if (x.isSymbol(")")) {
                depth--;
            } else if (depth == 0 && x.isSymbol(",")) {
                if (j == start) {
                    throw refuse("an empty item in " + where);
                }
                parts.add(new int[] {start, j});
                start = j + 1;
            }
        }
        if (start >= to) {
            throw refuse("an empty item in " + where);
        }
        parts.add(new int[] {start, to});
        return parts;
    }

    private void noAggregates(int from, int to, String where) {
        for (int j = from; j < to; j++) {
            Token x = t.get(j);
            if (x.kind() == Kind.WORD && next(j).isSymbol("(")
                    && (MERGED.contains(x.upper()) || OTHER_AGGREGATES.contains(x.upper()))) {
                throw refuse("aggregate " + x.text().toLowerCase(Locale.ROOT) + "() in " + where);
            }
        }
    }

    private boolean containsWord(int from, int to, String word) {
        for (int j = from; j < to; j++) {
            if (t.get(j).is(word)) {
                return true;
            }
        }
        return false;
    }

    private static ApiProblem refuse(String construct) {
        return ApiProblem.unprocessable("scatter cannot merge this statement: " + construct + ". Supported: SELECT"
                + " of count, sum, min, max, avg and GROUP BY keys from one table, with WHERE, GROUP BY, HAVING"
                + " comparisons, ORDER BY, LIMIT and OFFSET (router/README.md, \"Aggregates\")");
    }
}
