package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The type families of a cross-engine move (ADR 0047) and which column may go where. */
class ColumnTypeTest {
    private static ColumnType pg(String udt) {
        return ColumnType.postgres(udt, -1, -1, -1, udt.startsWith("timestamp") ? 6 : -1);
    }

    private static ColumnType maria(String dataType, String columnType) {
        return ColumnType.mariaDb(dataType, columnType, -1, -1, -1, dataType.equals("datetime") ? 6 : -1);
    }

    @Test
    void mapsEachEnginesTypesToOneFamily() {
        assertThat(pg("text").family()).isEqualTo(ColumnType.Family.TEXT);
        assertThat(pg("uuid").family()).isEqualTo(ColumnType.Family.TEXT);
        assertThat(pg("int8").intBytes()).isEqualTo(8);
        assertThat(pg("bool").family()).isEqualTo(ColumnType.Family.BOOLEAN);
        assertThat(pg("timestamptz").fractionDigits()).isEqualTo(6);
        assertThat(pg("jsonb").family()).isEqualTo(ColumnType.Family.OTHER);
        assertThat(maria("tinyint", "tinyint(1)").family()).isEqualTo(ColumnType.Family.BOOLEAN);
        assertThat(maria("tinyint", "tinyint(4)").family()).isEqualTo(ColumnType.Family.INTEGER);
        assertThat(maria("int", "int(10) unsigned").unsigned()).isTrue();
        assertThat(maria("double", "double").intBytes()).isEqualTo(8);
        assertThat(maria("float", "float").intBytes()).isEqualTo(4);
        assertThat(maria("datetime", "datetime(6)").display()).isEqualTo("datetime(6)");
        assertThat(ColumnType.mariaDb("varchar", "varchar(64)", 64, -1, -1, -1).display()).isEqualTo("varchar(64)");
        assertThat(maria("longblob", "longblob").family()).isEqualTo(ColumnType.Family.BINARY);
        assertThat(maria("geometry", "geometry").family()).isEqualTo(ColumnType.Family.OTHER);
    }

    @Test
    void letsTheDemoSchemaMoveBothWays() {
        List<ColumnType> pgSide = List.of(pg("text"), pg("timestamptz"), pg("float8"));
        List<ColumnType> mariaSide = List.of(ColumnType.mariaDb("varchar", "varchar(64)", 64, -1, -1, -1),
                maria("datetime", "datetime(6)"), maria("double", "double"));
        for (int i = 0; i < pgSide.size(); i++) {
            assertThat(pgSide.get(i).refusalTo(mariaSide.get(i))).as("%s", pgSide.get(i)).isNull();
            assertThat(mariaSide.get(i).refusalTo(pgSide.get(i))).as("%s", mariaSide.get(i)).isNull();
        }
        // a text longer than the target's VARCHAR fails the copy on that row, not the plan
        assertThat(pgSide.get(0).mayExceed(mariaSide.get(0))).isTrue();
        assertThat(mariaSide.get(0).mayExceed(pgSide.get(0))).isFalse();
    }

    @Test
    void refusesWhatWouldLoseOrChangeValues() {
        assertThat(pg("int8").refusalTo(maria("int", "int(11)"))).isEqualTo("a 8-byte integer may not fit a 4-byte one");
        assertThat(pg("int4").refusalTo(maria("int", "int(10) unsigned")))
                .isEqualTo("a signed integer may be negative, the target is unsigned");
        assertThat(maria("int", "int(10) unsigned").refusalTo(pg("int8"))).isNull();
        assertThat(maria("bigint", "bigint(20) unsigned").refusalTo(pg("int8")))
                .isEqualTo("an unsigned 8-byte integer may not fit a signed 8-byte one");
        assertThat(pg("float8").refusalTo(maria("float", "float")))
                .startsWith("a 8-byte float only goes to a float of the same width");
        assertThat(pg("numeric").refusalTo(ColumnType.mariaDb("decimal", "decimal(10,2)", -1, 10, 2, -1)))
                .isEqualTo("the source's decimal is unbounded, the target's is decimal(10,2)");
        assertThat(ColumnType.postgres("numeric", -1, 12, 4, -1).refusalTo(
                ColumnType.mariaDb("decimal", "decimal(16,6)", -1, 16, 6, -1))).isNull();
        assertThat(ColumnType.postgres("numeric", -1, 12, 4, -1).refusalTo(
                ColumnType.mariaDb("decimal", "decimal(12,2)", -1, 12, 2, -1)))
                .isEqualTo("the target's decimal(12,2) holds fewer digits than the source's numeric(12,4)");
        assertThat(pg("timestamptz").refusalTo(ColumnType.mariaDb("datetime", "datetime", -1, -1, -1, 0)))
                .isEqualTo("the target keeps 0 fraction digits of a second, the source 6: values would be rounded");
        assertThat(pg("jsonb").refusalTo(maria("longtext", "longtext"))).startsWith("only text, integer, decimal");
        assertThat(pg("text").refusalTo(maria("int", "int(11)"))).isEqualTo("a text cannot become integer");
        assertThat(pg("bool").refusalTo(maria("tinyint", "tinyint(1)"))).isNull();
        assertThat(maria("tinyint", "tinyint(1)").refusalTo(pg("bool"))).isNull();
    }
}
