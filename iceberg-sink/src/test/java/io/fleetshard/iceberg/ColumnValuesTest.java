package io.fleetshard.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;

class ColumnValuesTest {
    private static final JsonNodeFactory N = JsonNodeFactory.instance;
    private static final OffsetDateTime AT = OffsetDateTime.of(2026, 12, 5, 10, 15, 30, 123_456_000, ZoneOffset.UTC);

    private static Object convert(org.apache.iceberg.types.Type type, JsonNode node) {
        return ColumnValues.convert(type, node);
    }

    @Test
    void readsEveryTimestampFormOfTheSpecAsTheSameUtcInstant() {
        Types.TimestampType tz = Types.TimestampType.withZone();
        assertThat(convert(tz, N.textNode("2026-12-05T10:15:30.123456Z"))).isEqualTo(AT);
        assertThat(convert(tz, N.textNode("2026-12-05T11:15:30.123456+01:00"))).isEqualTo(AT);
        assertThat(convert(tz, N.textNode("2026-12-05 10:15:30.123456+00"))).isEqualTo(AT);
        assertThat(convert(tz, N.textNode("2026-12-05 10:15:30.123456"))).isEqualTo(AT);
        assertThat(convert(tz, N.textNode("2026-12-05T10:15:30.123456789Z"))).as("micros, as Iceberg stores").isEqualTo(AT);
        assertThat(convert(Types.TimestampType.withoutZone(), N.textNode("2026-12-05T10:15:30.123456Z")))
                .isEqualTo(AT.toLocalDateTime());
    }

    @Test
    void mapsNumbersStringsAndTheSpecsTextForms() {
        assertThat(convert(Types.LongType.get(), N.numberNode(42))).isEqualTo(42L);
        assertThat(convert(Types.DoubleType.get(), N.numberNode(5))).isEqualTo(5.0);
        assertThat(convert(Types.IntegerType.get(), N.numberNode(7L))).isEqualTo(7);
        assertThat(convert(Types.StringType.get(), N.numberNode(7))).isEqualTo("7");
        assertThat(convert(Types.DecimalType.of(10, 2), N.textNode("12.50"))).isEqualTo(new BigDecimal("12.50"));
        assertThat(convert(Types.DateType.get(), N.textNode("2026-12-05"))).isEqualTo(LocalDate.of(2026, 12, 5));
        assertThat(convert(Types.BinaryType.get(), N.textNode("AQI="))).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2}));
        assertThat(convert(Types.BooleanType.get(), N.booleanNode(true))).isEqualTo(true);
        assertThat(convert(Types.StringType.get(), N.nullNode())).isNull();
        assertThat(convert(Types.StringType.get(), null)).isNull();
    }

    @Test
    void aValueThatDoesNotFitSaysWhichTypeAndValue() {
        assertThatThrownBy(() -> convert(Types.LongType.get(), N.textNode("fast")))
                .hasMessageStartingWith("value \"fast\" does not fit a column of type long");
    }

    @Test
    void infersTheTypeOfANewColumnFromItsJsonValue() {
        assertThat(ColumnValues.inferType(N.numberNode(3))).isEqualTo(Types.LongType.get());
        assertThat(ColumnValues.inferType(N.numberNode(3.5))).isEqualTo(Types.DoubleType.get());
        assertThat(ColumnValues.inferType(N.booleanNode(false))).isEqualTo(Types.BooleanType.get());
        assertThat(ColumnValues.inferType(N.textNode("2026-12-05T10:15:30Z"))).isEqualTo(Types.StringType.get());
        assertThat(ColumnValues.inferType(N.nullNode())).isNull();
    }
}
