package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateMergeTest {
    private static final Node NODE = new Node("n", "s", NodeRole.PRIMARY, "r", "z", "jdbc:postgresql://h/db");

    private static AggregateQuery plan(String sql) {
        return AggregateQueryParser.plan(sql, SqlDialect.POSTGRES).orElseThrow();
    }

    /** A shard's answer with {@code kinds} for its columns. */
    private static ScatterGather.ShardRows shard(String id, List<ColumnKind> kinds, Object[]... rows) {
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            columns.add("c" + i);
            types.add(kinds.get(i) == ColumnKind.STRING ? "text" : kinds.get(i).name().toLowerCase());
        }
        return new ScatterGather.ShardRows(id, NODE, columns, types, kinds, Arrays.asList(rows));
    }

    private static AggregateMerge.Merged merge(AggregateQuery q, List<ScatterGather.ShardRows> answers) {
        return AggregateMerge.merge(q, answers, List.of());
    }

    private static Object[] row(Object... values) {
        return values;
    }

    private static List<List<Object>> rows(AggregateMerge.Merged m) {
        return m.rows().stream().map(Arrays::asList).toList();
    }

    @Test
    void sumsCountsAndSumsAcrossShardsAsOneDatabaseWould() {
        AggregateQuery q = plan("SELECT count(*), sum(n), min(n), max(n), avg(n) FROM t");
        List<ColumnKind> kinds = List.of(ColumnKind.LONG, ColumnKind.LONG, ColumnKind.INT, ColumnKind.INT,
                ColumnKind.LONG, ColumnKind.LONG);
        // PostgreSQL gives sum(int) as bigint, MariaDB as DECIMAL: both are exact
        AggregateMerge.Merged m = merge(q, List.of(
                shard("pg", kinds, row(2L, 7L, 3L, 4L, 7L, 2L)),
                shard("maria", List.of(ColumnKind.LONG, ColumnKind.DECIMAL, ColumnKind.INT, ColumnKind.INT,
                        ColumnKind.DECIMAL, ColumnKind.LONG), row(1L, new BigDecimal("1"), 1L, 1L, new BigDecimal("1"),
                        1L))));
        assertThat(m.columns()).containsExactly("count", "sum", "min", "max", "avg");
        assertThat(m.types()).containsExactly("bigint", "numeric", "int", "int", "numeric");
        assertThat(rows(m)).containsExactly(List.of(3L, new BigDecimal("8"), 1L, 4L,
                new BigDecimal("2.666666666666666666666666666666667")));
    }

    @Test
    void answersOneRowOfZeroAndNullsWhenShardsHaveNoRowsOrThereAreNoShards() {
        AggregateQuery q = plan("SELECT count(*), count(x), sum(x), min(x), avg(x) FROM t");
        List<ColumnKind> kinds = List.of(ColumnKind.LONG, ColumnKind.LONG, ColumnKind.DECIMAL, ColumnKind.STRING,
                ColumnKind.DECIMAL, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(shard("a", kinds, row(0L, 0L, null, null, null, 0L)),
                shard("b", kinds, row(0L, 0L, null, null, null, 0L))));
        assertThat(rows(m)).containsExactly(Arrays.asList(0L, 0L, null, null, null));

        AggregateMerge.Merged none = merge(q, List.of());
        assertThat(rows(none)).containsExactly(Arrays.asList(0L, 0L, null, null, null));
        assertThat(none.columns()).containsExactly("count", "count", "sum", "min", "avg");
    }

    @Test
    void ignoresNullPartialsInSumMinMaxAndAvg() {
        AggregateQuery q = plan("SELECT sum(x), min(x), max(x), avg(x) FROM t");
        List<ColumnKind> kinds = List.of(ColumnKind.DECIMAL, ColumnKind.DECIMAL, ColumnKind.DECIMAL,
                ColumnKind.DECIMAL, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(
                shard("a", kinds, row(null, null, null, null, 0L)),
                shard("b", kinds, row(new BigDecimal("2.50"), new BigDecimal("1.00"), new BigDecimal("1.50"),
                        new BigDecimal("2.50"), 2L)),
                shard("c", kinds, row(new BigDecimal("-1.25"), new BigDecimal("-1.25"), new BigDecimal("-1.25"),
                        new BigDecimal("-1.25"), 1L))));
        assertThat(rows(m)).containsExactly(List.of(new BigDecimal("1.25"), new BigDecimal("-1.25"),
                new BigDecimal("1.50"), new BigDecimal("0.4166666666666666666666666666666667")));
    }

    @Test
    void sumsAndAveragesFloatingPointAsDoubles() {
        AggregateQuery q = plan("SELECT sum(speed), avg(speed) FROM telemetry");
        List<ColumnKind> kinds = List.of(ColumnKind.DOUBLE, ColumnKind.DOUBLE, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(shard("a", kinds, row(1.5, 1.5, 1L)),
                shard("b", kinds, row(null, null, 0L)), shard("c", kinds, row(4.5, 4.5, 2L))));
        assertThat(rows(m)).containsExactly(List.of(6.0, 2.0));
        assertThat(m.types()).containsExactly("double precision", "double precision");
    }

    @Test
    void mergesGroupsByValueWithNullAsOneGroupAndNumbersOfAnyType() {
        AggregateQuery q = plan("SELECT status, n, count(*) FROM t GROUP BY status, n ORDER BY status, n");
        List<ColumnKind> pgKinds = List.of(ColumnKind.STRING, ColumnKind.LONG, ColumnKind.LONG);
        List<ColumnKind> mariaKinds = List.of(ColumnKind.STRING, ColumnKind.DECIMAL, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(
                shard("pg", pgKinds, row("active", 1L, 2L), row(null, 1L, 1L), row("parked", null, 4L)),
                shard("maria", mariaKinds, row("active", new BigDecimal("1.0"), 3L), row(null, new BigDecimal("1"), 5L),
                        row("parked", null, 1L), row("Active", new BigDecimal("1"), 1L))));
        assertThat(rows(m)).containsExactly(
                List.of("Active", new BigDecimal("1"), 1L),
                List.of("active", 1L, 5L),
                Arrays.asList("parked", null, 5L),
                Arrays.asList(null, 1L, 6L));
    }

    @Test
    void groupByWithoutRowsAnswersNoRows() {
        AggregateQuery q = plan("SELECT status, count(*) FROM t GROUP BY status");
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG);
        assertThat(merge(q, List.of(shard("a", kinds), shard("b", kinds))).rows()).isEmpty();
        assertThat(merge(q, List.of()).rows()).isEmpty();
    }

    @Test
    void ordersByAnAggregateAliasThenAppliesOffsetAndLimitAfterTheMerge() {
        AggregateQuery q = plan("SELECT status, count(*) AS n FROM t GROUP BY status ORDER BY n DESC, status"
                + " LIMIT 2 OFFSET 1");
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG);
        // per shard, "c" leads; merged, "a" (5) > "b" (4) = "c" (4) > "d" (1)
        AggregateMerge.Merged m = merge(q, List.of(
                shard("s1", kinds, row("c", 3L), row("a", 2L), row("d", 1L)),
                shard("s2", kinds, row("b", 4L), row("a", 3L), row("c", 1L))));
        assertThat(rows(m)).containsExactly(List.of("b", 4L), List.of("c", 4L));
    }

    @Test
    void sortsNullsAsTheLargestValueUnlessToldOtherwise() {
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG);
        List<ScatterGather.ShardRows> answers = List.of(shard("s1", kinds, row("a", 1L), row("b", null)),
                shard("s2", kinds, row("c", 2L)));
        assertThat(rows(merge(plan("SELECT k, max(v) AS m FROM t GROUP BY k ORDER BY m"), answers)))
                .extracting(r -> r.get(0)).containsExactly("a", "c", "b");
        assertThat(rows(merge(plan("SELECT k, max(v) AS m FROM t GROUP BY k ORDER BY m DESC"),
                answers))).extracting(r -> r.get(0)).containsExactly("b", "c", "a");
        assertThat(rows(merge(plan("SELECT k, max(v) AS m FROM t GROUP BY k ORDER BY m NULLS FIRST"),
                answers))).extracting(r -> r.get(0)).containsExactly("b", "a", "c");
    }

    @Test
    void ordersByAGroupKeyThatIsNotSelected() {
        AggregateQuery q = plan("SELECT count(*) AS n FROM t GROUP BY k ORDER BY k DESC LIMIT 2");
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(shard("s1", kinds, row("a", 1L), row("c", 2L)),
                shard("s2", kinds, row("b", 3L), row("c", 4L))));
        assertThat(m.columns()).containsExactly("n");
        assertThat(rows(m)).containsExactly(List.of(6L), List.of(3L));
    }

    @Test
    void keepsExactSumsBeyondTheRangeOfALong() {
        AggregateQuery q = plan("SELECT sum(n) FROM t");
        List<ColumnKind> kinds = List.of(ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(shard("a", kinds, row(Long.MAX_VALUE)),
                shard("b", kinds, row(Long.MAX_VALUE))));
        assertThat(rows(m)).containsExactly(List.of(new BigDecimal("18446744073709551614")));
    }

    @Test
    void havingKeepsOnlyGroupsForWhichItIsTrueAfterTheMergeBeforeTheLimit() {
        // per shard no group has count > 2; merged, "a" (3) and "c" (4) have; "n" (NULL max) is unknown, so dropped
        AggregateQuery q = plan("SELECT k, count(*) AS n FROM t GROUP BY k HAVING count(*) > ? AND max(v) >= 0"
                + " ORDER BY n DESC LIMIT 5");
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG, ColumnKind.LONG);
        List<ScatterGather.ShardRows> answers = List.of(
                shard("s1", kinds, row("a", 2L, 1L), row("b", 1L, 1L), row("c", 2L, 5L), row("n", 2L, null)),
                shard("s2", kinds, row("a", 1L, -1L), row("c", 2L, 0L), row("n", 2L, null)));
        AggregateMerge.Merged m = AggregateMerge.merge(q, answers, List.of(2L));
        assertThat(m.columns()).containsExactly("k", "n");
        assertThat(rows(m)).containsExactly(List.of("c", 4L), List.of("a", 3L));
        assertThat(rows(AggregateMerge.merge(q, answers, List.of(3L)))).containsExactly(List.of("c", 4L));
    }

    @Test
    void havingUsesThreeValuedLogic() {
        AggregateQuery q = plan("SELECT k FROM t GROUP BY k HAVING NOT (min(v) = 1) OR min(v) IS NULL");
        List<ColumnKind> kinds = List.of(ColumnKind.STRING, ColumnKind.LONG);
        AggregateMerge.Merged m = merge(q, List.of(shard("s1", kinds, row("one", 1L), row("two", 2L), row("none",
                null))));
        assertThat(rows(m)).containsExactly(List.of("two"), Arrays.asList("none"));
        AggregateQuery unknown = plan("SELECT k FROM t GROUP BY k HAVING min(v) <> 1");
        assertThat(rows(merge(unknown, List.of(shard("s1", kinds, row("none", null)))))).isEmpty();
    }

    @Test
    void havingWithoutGroupByCanDropTheOneRow() {
        AggregateQuery q = plan("SELECT count(*) FROM t HAVING count(*) > 0");
        assertThat(merge(q, List.of()).rows()).isEmpty();
        assertThat(rows(merge(q, List.of(shard("s1", List.of(ColumnKind.LONG), row(2L)))))).containsExactly(
                List.of(2L));
    }

    @Test
    void anOffsetPastTheEndAnswersNoRows() {
        AggregateQuery q = plan("SELECT count(*) FROM t OFFSET 1");
        assertThat(merge(q, List.of()).rows()).isEmpty();
    }
}
