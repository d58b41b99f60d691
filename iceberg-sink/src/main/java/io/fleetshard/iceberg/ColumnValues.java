package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Base64;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Column values of the change envelope (JSON, {@code docs/spec/change-events.md} "Column values") as Iceberg's generic
 * values, and the Iceberg type of a column first seen in an event.
 */
final class ColumnValues {
    /** PostgreSQL's text form, {@code 2026-12-05 20:37:41.123456+00}, next to ISO-8601 with {@code T}. */
    private static final DateTimeFormatter POSTGRES_TIMESTAMPTZ = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH:mm", "+00").toFormatter();
    private static final DateTimeFormatter POSTGRES_TIMESTAMPTZ_SHORT = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH", "+00").toFormatter();

    private ColumnValues() {
    }

    /**
     * The generic value of {@code node} for a column of type {@code type}; null for JSON null or a missing value.
     *
     * @throws IllegalArgumentException naming the type and value when the value does not fit the column
     */
    static Object convert(Type type, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        try {
            return switch (type.typeId()) {
                case STRING -> node.isTextual() ? node.asText() : node.toString();
                case LONG -> node.isIntegralNumber() ? node.longValue() : Long.parseLong(node.asText().trim());
                case INTEGER -> node.isIntegralNumber() ? Math.toIntExact(node.longValue()) : Integer.parseInt(node.asText().trim());
                case DOUBLE -> node.isNumber() ? node.doubleValue() : Double.parseDouble(node.asText().trim());
                case FLOAT -> node.isNumber() ? node.floatValue() : Float.parseFloat(node.asText().trim());
                case BOOLEAN -> node.isBoolean() ? node.booleanValue() : parseBoolean(node.asText());
                case DECIMAL -> new BigDecimal(node.asText().trim())
                        .setScale(((Types.DecimalType) type).scale(), RoundingMode.UNNECESSARY);
                case DATE -> LocalDate.parse(node.asText().trim());
                case TIME -> LocalTime.parse(node.asText().trim());
                case TIMESTAMP -> ((Types.TimestampType) type).shouldAdjustToUTC()
                        ? timestamptz(node)
                        : timestamptz(node).toLocalDateTime();
                case BINARY -> ByteBuffer.wrap(Base64.getDecoder().decode(node.asText()));
                default -> throw new IllegalArgumentException("columns of type " + type + " are not supported");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("value " + node + " does not fit a column of type " + type + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The type a column first seen with {@code node} gets (change events carry no column types): integers are
     * {@code long}, other numbers {@code double}, booleans {@code boolean}, anything else {@code string}; null when
     * the value is null (the column is added once a value shows its type).
     */
    static Type inferType(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return Types.LongType.get();
        }
        if (node.isNumber()) {
            return Types.DoubleType.get();
        }
        if (node.isBoolean()) {
            return Types.BooleanType.get();
        }
        return Types.StringType.get();
    }

    /** An instant in any of the spec's timestamp forms, at UTC (so equal instants are equal keys). */
    static OffsetDateTime timestamptz(JsonNode node) {
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.longValue()).atOffset(ZoneOffset.UTC);
        }
        String text = node.asText().trim();
        OffsetDateTime parsed;
        try {
            parsed = OffsetDateTime.parse(text);
        } catch (DateTimeParseException iso) {
            try {
                parsed = OffsetDateTime.parse(text, POSTGRES_TIMESTAMPTZ);
            } catch (DateTimeParseException pg) {
                try {
                    parsed = OffsetDateTime.parse(text, POSTGRES_TIMESTAMPTZ_SHORT);
                } catch (DateTimeParseException pgShort) {
                    // a timestamp without offset: the spec writes those as UTC
                    parsed = LocalDateTime.parse(text.replace(' ', 'T')).atOffset(ZoneOffset.UTC);
                }
            }
        }
        OffsetDateTime utc = parsed.withOffsetSameInstant(ZoneOffset.UTC);
        // Iceberg stores microseconds: drop finer digits here so a key compares equal to what was stored
        return utc.with(ChronoField.NANO_OF_SECOND, utc.getNano() / 1_000 * 1_000);
    }

    private static boolean parseBoolean(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "t", "1" -> true;
            case "false", "f", "0" -> false;
            default -> throw new IllegalArgumentException("not a boolean");
        };
    }
}
