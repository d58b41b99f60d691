package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.router.AggregateQuery.Column;
import io.fleetshard.router.AggregateQuery.Function;
import io.fleetshard.router.AggregateQuery.SortKey;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AggregateQueryParserTest {

    private static AggregateQuery pg(String sql) {
        return AggregateQueryParser.plan(sql, SqlDialect.POSTGRES).orElseThrow();
    }

    private static AggregateQuery maria(String sql) {
        return AggregateQueryParser.plan(sql, SqlDialect.MARIADB).orElseThrow();
    }

    private static String refusal(String sql) {
        try {
            AggregateQueryParser.plan(sql, SqlDialect.POSTGRES);
        } catch (ApiProblem p) {
            assertThat(p.status()).isEqualTo(422);
            return p.detail();
        }
        throw new AssertionError("not refused: " + sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT vehicle_id, status FROM vehicles WHERE status = ? ORDER BY updated_at DESC LIMIT 5",
        "SELECT g FROM generate_series(1, 30) g",
        "WITH v AS (SELECT * FROM vehicles) SELECT vehicle_id FROM v",
        "SELECT * FROM vehicles WHERE vehicle_id IN (SELECT vehicle_id FROM telemetry GROUP BY vehicle_id)",
        "EXPLAIN SELECT count(*) FROM vehicles",
        "SELECT 'count(*)' AS s FROM vehicles",
        "SELECT \"count\" FROM t -- sum(x)",
        "SELECT $$ max(x) $$",
        "SELECT over, count FROM t",
    })
    void leavesStatementsWithoutAggregatesAlone(String sql) {
        assertThat(AggregateQueryParser.plan(sql, SqlDialect.POSTGRES)).isEqualTo(Optional.empty());
    }

    @Test
    void plansACountWithoutGroupBy() {
        AggregateQuery q = pg("SELECT count(*) FROM vehicles WHERE tenant_id = ?");
        assertThat(q.shardSql()).isEqualTo("SELECT count(*) FROM vehicles WHERE tenant_id = ?");
        assertThat(q.paramOrder()).containsExactly(0);
        assertThat(q.keyCount()).isZero();
        assertThat(q.columns()).containsExactly(new Column("count", Function.COUNT, 0, false));
        assertThat(q.limit()).isEqualTo(-1);
    }

    @Test
    void rewritesAvgIntoSumAndCountAndMovesGroupKeysFirst() {
        AggregateQuery q = pg("select status, avg(speed_kph) as mean, count(vin) n, MAX(updated_at) from vehicles v"
                + " where fleet_id = ? group by status order by mean desc nulls last, 1 limit 3 offset 1");
        assertThat(q.shardSql()).isEqualTo("SELECT status, sum(speed_kph), count(speed_kph), count(vin),"
                + " max(updated_at) from vehicles v where fleet_id = ? GROUP BY 1");
        assertThat(q.keyCount()).isEqualTo(1);
        assertThat(q.columns()).containsExactly(new Column("status", null, 0, false),
                new Column("mean", Function.AVG, 1, false), new Column("n", Function.COUNT, 3, false),
                new Column("max", Function.MAX, 4, false));
        assertThat(q.order()).containsExactly(new SortKey(1, true, false), new SortKey(0, false, false));
        assertThat(q.offset()).isEqualTo(1);
        assertThat(q.limit()).isEqualTo(3);
    }

    @Test
    void bindsParametersInTheOrderOfTheRewrittenStatement() {
        AggregateQuery q = pg("SELECT speed_kph > ? AS fast, avg(speed_kph * ?) FROM telemetry"
                + " WHERE ts > ?::timestamptz"
                + " AND vehicle_id <> ? GROUP BY speed_kph > ?");
        // group key (param 4, as written in GROUP BY), avg's sum and count (param 1 twice), WHERE (2, 3)
        assertThat(q.shardSql()).isEqualTo("SELECT speed_kph > ?, sum(speed_kph * ?), count(speed_kph * ?) FROM"
                + " telemetry WHERE ts > ?::timestamptz AND vehicle_id <> ? GROUP BY 1");
        assertThat(q.paramOrder()).containsExactly(4, 1, 1, 2, 3);
        assertThat(q.shardParams(List.of("a", "b", "c", "d", "e"))).containsExactly("e", "b", "b", "c", "d");
        assertThat(q.columns().get(0)).isEqualTo(new Column("fast", null, 0, false));
    }

    @Test
    void namesColumnsByAliasElseByPostgresRulesOnBothEngines() {
        String sql = "SELECT v.status, lower(vin), count(*), Sum(speed) AS Total, min(x) \"Smallest\", 1 + 1"
                + " FROM vehicles v GROUP BY v.status, lower(vin), 1 + 1";
        List<String> names = List.of("status", "lower", "count", "total", "Smallest", "?column?");
        assertThat(pg(sql).columns()).extracting(Column::name).containsExactlyElementsOf(names);
        assertThat(maria(sql.replace('"', '`')).columns()).extracting(Column::name).containsExactlyElementsOf(names);
        // MariaDB also takes a string as an alias; quoted, it keeps its case on both engines
        assertThat(maria(sql).columns()).extracting(Column::name).containsExactlyElementsOf(names);
        assertThat(maria("SELECT count(*) AS 'N' FROM t").columns()).extracting(Column::name).containsExactly("N");
    }

    @Test
    void matchesGroupKeysByAliasPositionOrQualifiedName() {
        assertThat(pg("SELECT status AS status, count(*) FROM vehicles GROUP BY status").shardSql())
                .isEqualTo("SELECT status, count(*) FROM vehicles GROUP BY 1");
        assertThat(pg("SELECT status, count(*) FROM vehicles GROUP BY 1").shardSql())
                .isEqualTo("SELECT status, count(*) FROM vehicles GROUP BY 1");
        assertThat(pg("SELECT vehicles.status, count(*) FROM vehicles GROUP BY STATUS").columns().get(0))
                .isEqualTo(new Column("status", null, 0, false));
        // a key that is not selected still groups, and can order
        AggregateQuery hidden = pg("SELECT count(*) FROM vehicles GROUP BY fleet_id ORDER BY fleet_id DESC");
        assertThat(hidden.shardSql()).isEqualTo("SELECT fleet_id, count(*) FROM vehicles GROUP BY 1");
        assertThat(hidden.order()).containsExactly(new SortKey(AggregateQuery.keyRef(0), true, true));
    }

    @Test
    void ordersByAggregateExpressionAliasOrDerivedName() {
        assertThat(pg("SELECT status, count(*) FROM vehicles GROUP BY status ORDER BY count(*) DESC").order())
                .containsExactly(new SortKey(1, true, true));
        assertThat(pg("SELECT status, count(*) AS n FROM vehicles GROUP BY status ORDER BY n, status").order())
                .containsExactly(new SortKey(1, false, false), new SortKey(0, false, false));
        assertThat(pg("SELECT status, count(*) FROM vehicles GROUP BY status ORDER BY count NULLS FIRST").order())
                .containsExactly(new SortKey(1, false, true));
    }

    @Test
    void plansHavingOverSelectedAndHiddenAggregatesKeysAliasesLiteralsAndParameters() {
        AggregateQuery q = pg("SELECT status, count(*) AS n FROM vehicles WHERE fleet_id = ? GROUP BY status"
                + " HAVING (count(*) >= 2 OR NOT sum(speed) <> ?) AND max(vin) IS NOT NULL AND status != 'x''y'"
                + " AND n < -1.5 ORDER BY min(vin) DESC");
        // sum(speed), max(vin) and min(vin) are computed for HAVING and ORDER BY only; the HAVING ? is not sent
        assertThat(q.shardSql()).isEqualTo("SELECT status, count(*), sum(speed), max(vin), min(vin) FROM vehicles"
                + " WHERE fleet_id = ? GROUP BY 1");
        assertThat(q.paramOrder()).containsExactly(0);
        assertThat(q.columns()).containsExactly(new Column("status", null, 0, false),
                new Column("n", Function.COUNT, 1, false), new Column("", Function.SUM, 2, true),
                new Column("", Function.MAX, 3, true), new Column("", Function.MIN, 4, true));
        assertThat(q.visibleColumns()).isEqualTo(2);
        assertThat(q.having()).isEqualTo(new AggregateQuery.And(new AggregateQuery.And(new AggregateQuery.And(
                new AggregateQuery.Or(
                        new AggregateQuery.Compare(new AggregateQuery.Ref(1), ">=",
                                new AggregateQuery.Literal(new java.math.BigDecimal("2"))),
                        new AggregateQuery.Not(new AggregateQuery.Compare(new AggregateQuery.Ref(2), "<>",
                                new AggregateQuery.Param(1)))),
                new AggregateQuery.IsNull(new AggregateQuery.Ref(3), true)),
                new AggregateQuery.Compare(new AggregateQuery.Ref(0), "<>", new AggregateQuery.Literal("x'y"))),
                new AggregateQuery.Compare(new AggregateQuery.Ref(1), "<",
                        new AggregateQuery.Literal(new java.math.BigDecimal("-1.5")))));
        assertThat(q.order()).containsExactly(new SortKey(4, true, true));
    }

    @Test
    void havingWithoutGroupByAndOnAHiddenKey() {
        AggregateQuery q = pg("SELECT count(*) FROM vehicles HAVING count(*) > 0");
        assertThat(q.shardSql()).isEqualTo("SELECT count(*) FROM vehicles");
        AggregateQuery k = pg("SELECT count(*) FROM vehicles GROUP BY fleet_id HAVING fleet_id <> 'f1'");
        assertThat(k.having()).isEqualTo(new AggregateQuery.Compare(new AggregateQuery.Ref(AggregateQuery.keyRef(0)),
                "<>", new AggregateQuery.Literal("f1")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "HAVING count(*) BETWEEN 1 AND 2|HAVING with BETWEEN",
        "HAVING status IN ('a')|HAVING with IN",
        "HAVING status LIKE 'a%'|HAVING with LIKE",
        "HAVING sum(a) / count(*) > 1|an aggregate inside an expression: 'sum(a) / count(*)'",
        "HAVING count(*) + 1 > 2|an aggregate inside an expression",
        "HAVING vin = 'a'|HAVING operand 'vin' is neither an aggregate, a GROUP BY key, a select alias nor a literal",
        "HAVING count(DISTINCT vin) > 1|count(DISTINCT ...)",
        "HAVING count(*) <=> 1|HAVING with <=>",
        "HAVING status = E'x'|HAVING string E'x'",
        "HAVING count(*) > (SELECT 1)|HAVING operand 'SELECT 1' is neither",
        "HAVING count(*)|expected a comparison",
        "HAVING|an empty HAVING",
    })
    void refusesHavingItCannotEvaluate(String having, String construct) {
        assertThat(refusal("SELECT status, count(*) FROM vehicles GROUP BY status " + having)).contains(construct);
    }

    @Test
    void refusesHavingInASubquery() {
        assertThat(refusal("SELECT vin FROM vehicles WHERE status IN (SELECT status FROM vehicles GROUP BY status"
                + " HAVING count(*) > 1)")).contains("HAVING in a subquery");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "LIMIT 10|0|10",
        "LIMIT ALL|0|-1",
        "LIMIT 10 OFFSET 5|5|10",
        "OFFSET 5 ROWS LIMIT 10|5|10",
        "OFFSET 5|5|-1",
        "LIMIT 5, 10|5|10",
    })
    void readsLimitAndOffset(String clause, long offset, long limit) {
        AggregateQuery q = maria("SELECT count(*) FROM vehicles " + clause);
        assertThat(q.offset()).isEqualTo(offset);
        assertThat(q.limit()).isEqualTo(limit);
        assertThat(q.shardSql()).isEqualTo("SELECT count(*) FROM vehicles");
    }

    @Test
    void keepsTheClientsTextOfConditionsAndArgumentsWithItsQuoting() {
        assertThat(maria("SELECT `status`, sum(`speed`) FROM vehicles WHERE vin = \"a\\\"b\" # c\n GROUP BY `status`")
                .shardSql()).isEqualTo("SELECT `status`, sum(`speed`) FROM vehicles WHERE vin = \"a\\\"b\" GROUP BY 1");
        assertThat(pg("SELECT count(*) FROM vehicles WHERE vin = E'it''s \\' max(' /* sum( */").shardSql())
                .isEqualTo("SELECT count(*) FROM vehicles WHERE vin = E'it''s \\' max('");
        assertThat(pg("SELECT count(*) FROM vehicles WHERE vin ?? 'x' AND status = ?").paramOrder())
                .containsExactly(0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SELECT count(DISTINCT status) FROM vehicles|count(DISTINCT ...)",
        "SELECT sum(a) / count(b) FROM t|an aggregate inside an expression: 'sum(a) / count(b)'",
        "SELECT coalesce(sum(a), 0) FROM t|aggregate sum() in select item 'coalesce(sum(a), 0)'",
        "SELECT count(*) FILTER (WHERE a > 1) FROM t|FILTER (WHERE ...) on count(*)",
        "SELECT string_agg(vin, ',') FROM vehicles|aggregate function string_agg() is not merged",
        "SELECT vin, row_number() OVER (ORDER BY vin) FROM vehicles|a window function (row_number() OVER ...)",
        "SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY y)|a window function (sum(x) OVER ...)",
        "SELECT vin FROM vehicles WHERE updated_at = (SELECT max(updated_at) FROM vehicles)|aggregate max() in WHERE",
        "WITH v AS (SELECT count(*) AS n FROM vehicles) SELECT n FROM v|a statement starting with WITH",
        "SELECT count(*) FROM vehicles v JOIN telemetry t ON t.vehicle_id = v.vehicle_id|FROM with JOIN",
        "SELECT count(*) FROM vehicles, telemetry|FROM with ,",
        "SELECT count(*) FROM (SELECT 1) s|FROM with a subquery or function",
        "SELECT status, vin, count(*) FROM vehicles GROUP BY status|select item 'vin' is neither an aggregate nor a"
                + " GROUP BY key",
        "SELECT vin, count(*) FROM vehicles|select item 'vin' is neither an aggregate nor a GROUP BY key (there is no"
                + " GROUP BY)",
        "SELECT lower(status) AS status, count(*) FROM vehicles GROUP BY status|GROUP BY status names the alias of"
                + " select item 'lower(status)'",
        "SELECT status AS s, count(*) FROM vehicles GROUP BY s|GROUP BY s names the alias of select item 'status'"
                + " and maybe also a column; group by the expression or its position",
        "SELECT count(*) FROM vehicles GROUP BY 2|GROUP BY 2: not a position of the select list (1 to 1)",
        "SELECT count(*) FROM vehicles GROUP BY 1|GROUP BY 1 refers to the aggregate 'count'",
        "SELECT status, count(*) FROM vehicles GROUP BY ROLLUP (status)|grouping sets",
        "SELECT status, count(*) FROM vehicles GROUP BY status ORDER BY vin|ORDER BY vin is neither a result column,"
                + " an aggregate nor a GROUP BY key",
        "SELECT count(*) FROM vehicles LIMIT ?|LIMIT ? in a statement with aggregates",
        "SELECT DISTINCT status, count(*) FROM vehicles GROUP BY status|SELECT DISTINCT",
        "SELECT * FROM vehicles GROUP BY status|SELECT * in a statement",
        "SELECT count(*) FROM vehicles UNION SELECT 1|UNION",
        "SELECT sum(*) FROM vehicles|sum(*): only count takes *",
        "SELECT count(*), (SELECT 1) FROM vehicles|a subquery in the select list",
        "SELECT count(*)|aggregates without FROM",
        "SELECT max(sum(x)) FROM t|aggregate sum() in the argument of max()",
        "SELECT count(*) FROM vehicles ORDER BY 1 FETCH FIRST 1 ROWS ONLY|FETCH",
    })
    void refusesShapesItCannotMergeNamingTheConstruct(String sql, String construct) {
        assertThat(refusal(sql)).startsWith("scatter cannot merge this statement: ").contains(construct)
                .endsWith("(router/README.md, \"Aggregates\")");
    }

    @Test
    void refusesExecutableCommentsInAggregateStatementsOnly() {
        assertThatThrownBy(() -> maria("SELECT count(*) /*!, max(vin) */ FROM vehicles"))
                .isInstanceOf(ApiProblem.class).hasMessageContaining("executable comments");
        assertThat(AggregateQueryParser.plan("SELECT vin /*!, status */ FROM vehicles", SqlDialect.MARIADB))
                .isEmpty();
    }

    @Test
    void quotingDecidesWhatIsAFunctionCall() {
        // MariaDB: "x" is a string, so the statement has no aggregate at all; PostgreSQL: a quoted column
        assertThat(AggregateQueryParser.plan("SELECT \"sum(\" FROM t", SqlDialect.MARIADB)).isEmpty();
        assertThat(pg("SELECT \"Status\", count(*) FROM vehicles GROUP BY \"Status\"").columns().get(0).name())
                .isEqualTo("Status");
    }
}
