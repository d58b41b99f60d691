package io.fleetshard.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void printsDoublesAsPostgresRoundsFloat8ToNumeric() {
        assertThat(OffloadRowForm.doubleText(52.5)).isEqualTo("52.500000000");
        assertThat(OffloadRowForm.doubleText(80 + 1 / 7.0)).isEqualTo("80.142857143");
        assertThat(OffloadRowForm.doubleText(-0.0)).isEqualTo("0.000000000");
        assertThat(OffloadRowForm.doubleText(0.1 + 0.2)).isEqualTo("0.300000000");
        assertThat(OffloadRowForm.doubleText(1e-12)).isEqualTo("0.000000000");
    }

    @Test
    void canonicalTextHasEveryColumnInSchemaOrderWithTimestampsAtUtcMicros() {
        GenericRecord r = GenericRecord.create(TELEMETRY);
        r.setField("tenant_id", "t1");
        r.setField("ts", OffsetDateTime.parse("2026-08-23T02:53:20.123456+02:00"));
        r.setField("speed_kph", 12.0);
        assertThat(new OffloadRowForm(TELEMETRY).text(r)).isEqualTo("t1|2026-08-23T00:53:20.123456|12.000000000|\\N");
        assertThat(OffloadRowForm.keyText(Types.TimestampType.withZone(), r.getField("ts")))
                .isEqualTo("2026-08-23T00:53:20.123456Z");
    }

    @Test
    void sqlFormMatchesTheJavaForm() {
        assertThat(new OffloadRowForm(TELEMETRY).sqlRowText("t")).isEqualTo("concat_ws('|', coalesce(t.\"tenant_id\"::text,"
                + " '\\N'), coalesce(to_char(t.\"ts\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '\\N'),"
                + " coalesce(round(t.\"speed_kph\"::numeric, 9)::text, '\\N'), coalesce(t.\"odometer\"::text, '\\N'))");
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
