package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Matching a cross-engine move's tables (ADR 0047): by name and column names, every refusal naming its column. */
class CrossEngineTablesTest {
    private static final ColumnType TEXT = ColumnType.postgres("text", -1, -1, -1, -1);
    private static final ColumnType VARCHAR = ColumnType.mariaDb("varchar", "varchar(64)", 64, -1, -1, -1);
    private static final ColumnType FLOAT8 = ColumnType.postgres("float8", -1, 53, -1, -1);
    private static final ColumnType DOUBLE = ColumnType.mariaDb("double", "double", -1, 22, -1, -1);
    private static final ColumnType FLOAT = ColumnType.mariaDb("float", "float", -1, 12, -1, -1);

    private static ReshardTable table(String name, List<String> cols, List<ColumnType> types) {
        return new ReshardTable(name, cols, List.of("tenant_id", "fleet_id", "id"), types);
    }

    @Test
    void matchesTablesAndPutsTheTargetsColumnsInTheSourcesOrder() {
        ReshardTable src = table("t", List.of("tenant_id", "fleet_id", "id", "speed"), List.of(TEXT, TEXT, TEXT,
                FLOAT8));
        ReshardTable tgt = table("t", List.of("speed", "tenant_id", "fleet_id", "id"), List.of(DOUBLE, VARCHAR,
                VARCHAR, VARCHAR));
        CrossEngineTables x = CrossEngineTables.match(List.of(src), List.of(tgt), "pg-1", "maria-1");
        assertThat(x.refusals()).isEmpty();
        assertThat(x.onTarget(src).columns()).isEqualTo(src.columns());
        assertThat(x.onTarget(src).types()).containsExactly(VARCHAR, VARCHAR, VARCHAR, DOUBLE);
    }

    @Test
    void namesEveryTableAndColumnThatCannotMove() {
        ReshardTable src = table("t", List.of("tenant_id", "fleet_id", "id", "speed"), List.of(TEXT, TEXT, TEXT,
                FLOAT8));
        ReshardTable narrower = table("t", List.of("tenant_id", "fleet_id", "id", "speed"), List.of(VARCHAR, VARCHAR,
                VARCHAR, FLOAT));
        ReshardTable other = table("u", List.of("tenant_id", "fleet_id", "id"), List.of(TEXT, TEXT, TEXT));
        ReshardTable renamed = table("u", List.of("tenant_id", "fleet_id", "id", "extra"), List.of(VARCHAR, VARCHAR,
                VARCHAR, VARCHAR));
        assertThat(CrossEngineTables.match(List.of(src, other), List.of(narrower, renamed), "pg-1", "maria-1")
                .refusals()).containsExactly(
                "table t column speed: float8 on pg-1, float on maria-1: a 8-byte float only goes to a float of the"
                        + " same width (its text and checksum would differ otherwise)",
                "table u: the columns differ by name, [extra] only on maria-1");
        assertThat(CrossEngineTables.match(List.of(other), List.of(), "pg-1", "maria-1").refusals())
                .containsExactly("table u exists on pg-1 but not on maria-1 (create it there first)");
    }

    @Test
    void refusesAFloatInThePrimaryKey() {
        ReshardTable src = new ReshardTable("p", List.of("tenant_id", "fleet_id", "x"), List.of("tenant_id",
                "fleet_id", "x"), List.of(TEXT, TEXT, FLOAT8));
        ReshardTable tgt = new ReshardTable("p", List.of("tenant_id", "fleet_id", "x"), List.of("tenant_id",
                "fleet_id", "x"), List.of(VARCHAR, VARCHAR, DOUBLE));
        assertThat(CrossEngineTables.match(List.of(src), List.of(tgt), "pg-1", "maria-1").refusals())
                .containsExactly("table p column x: float8 on pg-1, double on maria-1: a float in the primary key"
                        + " cannot be compared exactly across engines");
    }
}
