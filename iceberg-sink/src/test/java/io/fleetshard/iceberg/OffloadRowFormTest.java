package io.fleetshard.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.iceberg.OffloadRowForm.Dialect;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;

class OffloadRowFormTest {
    private static final Schema TELEMETRY = new Schema(List.of(
            Types.NestedField.required(1, "tenant_id", Types.StringType.get()),
            Types.NestedField.required(2, "ts", Types.TimestampType.withZone()),
            Types.NestedField.optional(3, "speed_kph", Types.DoubleType.get()),
            Types.NestedField.optional(4, "odometer", Types.LongType.get())), Set.of(1, 2));

    private static final Dialect PG = Dialect.POSTGRES;
    private static final Dialect MARIA = Dialect.MARIADB;

    @Test
    void printsDoublesAsPostgresRoundsFloat8ToNumeric() {
        assertThat(OffloadRowForm.doubleText(PG, 52.5)).isEqualTo("52.500000000");
        assertThat(OffloadRowForm.doubleText(PG, 80 + 1 / 7.0)).isEqualTo("80.142857143");
        assertThat(OffloadRowForm.doubleText(PG, -0.0)).isEqualTo("0.000000000");
        assertThat(OffloadRowForm.doubleText(PG, 0.1 + 0.2)).isEqualTo("0.300000000");
        assertThat(OffloadRowForm.doubleText(PG, 1e-12)).isEqualTo("0.000000000");
        assertThat(OffloadRowForm.doubleText(PG, 123456789.1234567891)).as("15 significant digits first")
                .isEqualTo("123456789.123457000");
    }

    /** What MariaDB 11.4 printed for {@code CAST(x AS DECIMAL(65, 9))} of these doubles. */
    @Test
    void printsDoublesAsMariaDbCastsThemToDecimal() {
        assertThat(OffloadRowForm.doubleText(MARIA, 52.520008)).isEqualTo("52.520008000");
        assertThat(OffloadRowForm.doubleText(MARIA, 80 + 1 / 7.0)).isEqualTo("80.142857143");
        assertThat(OffloadRowForm.doubleText(MARIA, -0.0)).isEqualTo("0.000000000");
        assertThat(OffloadRowForm.doubleText(MARIA, 5e-10)).isEqualTo("0.000000001");
        assertThat(OffloadRowForm.doubleText(MARIA, 1.5e-9)).as("from the shortest decimal, not the exact binary value")
                .isEqualTo("0.000000002");
        assertThat(OffloadRowForm.doubleText(MARIA, 123456789.1234567891)).isEqualTo("123456789.123456790");
    }

    @Test
    void dialectComesFromTheJdbcUrl() {
        assertThat(Dialect.of("jdbc:postgresql://h/db")).contains(PG);
        assertThat(Dialect.of("jdbc:mariadb://h/db")).contains(MARIA);
        assertThat(Dialect.of("jdbc:mysql://h/db")).contains(MARIA);
        assertThat(Dialect.of("jdbc:sqlserver://h")).isEmpty();
    }

    @Test
    void canonicalTextHasEveryColumnInSchemaOrderWithTimestampsAtUtcMicros() {
        GenericRecord r = GenericRecord.create(TELEMETRY);
        r.setField("tenant_id", "t1");
        r.setField("ts", OffsetDateTime.parse("2026-08-23T02:53:20.123456+02:00"));
        r.setField("speed_kph", 12.0);
        assertThat(new OffloadRowForm(TELEMETRY).text(PG, r)).isEqualTo("t1|2026-08-23T00:53:20.123456|12.000000000|\\N");
        assertThat(new OffloadRowForm(TELEMETRY).text(MARIA, r)).isEqualTo("t1|2026-08-23T00:53:20.123456|12.000000000|\\N");
        assertThat(OffloadRowForm.keyText(Types.TimestampType.withZone(), r.getField("ts")))
                .isEqualTo("2026-08-23T00:53:20.123456Z");
    }

    @Test
    void sqlFormMatchesTheJavaForm() {
        assertThat(new OffloadRowForm(TELEMETRY).sqlRowText(PG, "t")).isEqualTo("concat_ws('|', coalesce(t.\"tenant_id\"::text,"
                + " '\\N'), coalesce(to_char(t.\"ts\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '\\N'),"
                + " coalesce(round(t.\"speed_kph\"::numeric, 9)::text, '\\N'), coalesce(t.\"odometer\"::text, '\\N'))");
        assertThat(new OffloadRowForm(TELEMETRY).sqlRowText(MARIA, "t")).isEqualTo("CONCAT_WS('|',"
                + " COALESCE(t.`tenant_id`, CHAR(92, 78 USING utf8mb4)),"
                + " COALESCE(DATE_FORMAT(t.`ts`, '%Y-%m-%dT%H:%i:%s.%f'), CHAR(92, 78 USING utf8mb4)),"
                + " COALESCE(CAST(CAST(t.`speed_kph` AS DECIMAL(65, 9)) AS CHAR), CHAR(92, 78 USING utf8mb4)),"
                + " COALESCE(CAST(t.`odometer` AS CHAR), CHAR(92, 78 USING utf8mb4)))");
    }

    @Test
    void refusesColumnTypesItCannotCompare() {
        Schema s = new Schema(List.of(Types.NestedField.required(1, "id", Types.StringType.get()),
                Types.NestedField.optional(2, "amount", Types.DecimalType.of(10, 2))), Set.of(1));
        assertThatThrownBy(() -> new OffloadRowForm(s)).hasMessageContaining("amount (decimal(10, 2))");
    }

    @Test
    void checksumTermIsTheSignedFirst64BitsOfTheHash() {
        String h = OffloadRowForm.md5("x");
        assertThat(h).isEqualTo("9dd4e461268c8034f5c8564e155c67a6");
        assertThat(OffloadRowForm.term(h)).isEqualTo(0x9dd4e461268c8034L);
    }
}
