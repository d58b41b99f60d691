package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;

/**
 * How a result column is read from JDBC and written as JSON: numbers as JSON numbers, booleans as booleans,
 * timestamps as ISO-8601 strings, binary as base64, everything else as the database's text form.
 */
enum ColumnKind {
    BOOLEAN, INT, LONG, DOUBLE, DECIMAL, TIMESTAMPTZ, TIMESTAMP, DATE, BYTES, STRING;

    static ColumnKind[] of(ResultSetMetaData md) throws SQLException {
        ColumnKind[] kinds = new ColumnKind[md.getColumnCount()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = of(md.getColumnType(i + 1), md.getColumnTypeName(i + 1), md.getPrecision(i + 1));
        }
        return kinds;
    }

    static ColumnKind of(int jdbcType, String typeName, int precision) {
        String name = typeName == null ? "" : typeName;
        return switch (jdbcType) {
            case Types.BOOLEAN -> BOOLEAN;
            case Types.BIT -> name.equalsIgnoreCase("bool") || name.equalsIgnoreCase("boolean") || precision <= 1
                    ? BOOLEAN : STRING;
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER -> name.toUpperCase().contains("UNSIGNED") ? LONG : INT;
            case Types.BIGINT -> name.toUpperCase().contains("UNSIGNED") ? DECIMAL : LONG;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> DOUBLE;
            case Types.NUMERIC, Types.DECIMAL -> DECIMAL;
            case Types.TIMESTAMP_WITH_TIMEZONE -> TIMESTAMPTZ;
            case Types.TIMESTAMP -> name.equalsIgnoreCase("timestamptz") ? TIMESTAMPTZ : TIMESTAMP;
            case Types.DATE -> DATE;
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> BYTES;
            default -> STRING;
        };
    }

    /** Writes column {@code col} (1-based) of the current row straight from the result set. */
    void write(JsonGenerator g, ResultSet rs, int col) throws SQLException, IOException {
        switch (this) {
            case BOOLEAN -> {
                boolean v = rs.getBoolean(col);
                if (rs.wasNull()) {
                    g.writeNull();
                } else {
                    g.writeBoolean(v);
                }
            }
            case INT -> {
                int v = rs.getInt(col);
                if (rs.wasNull()) {
                    g.writeNull();
                } else {
                    g.writeNumber(v);
                }
            }
            case LONG -> {
                long v = rs.getLong(col);
                if (rs.wasNull()) {
                    g.writeNull();
                } else {
                    g.writeNumber(v);
                }
            }
            case TIMESTAMPTZ -> writeTimestamp(g, rs.getObject(col, OffsetDateTime.class));
            case TIMESTAMP -> writeTimestamp(g, rs.getObject(col, LocalDateTime.class));
            default -> writeValue(g, read(rs, col));
        }
    }

    /** {@code t} as its ISO-8601 string ({@link Iso8601Text}), {@code infinity}, {@code -infinity} or null. */
    private static void writeTimestamp(JsonGenerator g, OffsetDateTime t) throws IOException {
        if (t == null) {
            g.writeNull();
        } else if (t.equals(OffsetDateTime.MAX)) {
            g.writeString("infinity");
        } else if (t.equals(OffsetDateTime.MIN)) {
            g.writeString("-infinity");
        } else {
            char[] text = new char[Iso8601Text.MAX_CHARS];
            g.writeString(text, 0, Iso8601Text.write(t, text, 0));
        }
    }

    private static void writeTimestamp(JsonGenerator g, LocalDateTime t) throws IOException {
        if (t == null) {
            g.writeNull();
        } else if (t.equals(LocalDateTime.MAX)) {
            g.writeString("infinity");
        } else if (t.equals(LocalDateTime.MIN)) {
            g.writeString("-infinity");
        } else {
            char[] text = new char[Iso8601Text.MAX_CHARS];
            g.writeString(text, 0, Iso8601Text.write(t, text, 0));
        }
    }

    /** Reads column {@code col} (1-based) as a Java value that {@link #writeValue} and the scatter merge understand. */
    Object read(ResultSet rs, int col) throws SQLException {
        Object v = switch (this) {
            case BOOLEAN -> rs.getBoolean(col);
            case INT, LONG -> rs.getLong(col);
            case DOUBLE -> rs.getDouble(col);
            case DECIMAL -> rs.getBigDecimal(col);
            case TIMESTAMPTZ -> rs.getObject(col, OffsetDateTime.class);
            case TIMESTAMP -> rs.getObject(col, LocalDateTime.class);
            case DATE -> rs.getObject(col, LocalDate.class);
            case BYTES -> rs.getBytes(col);
            case STRING -> rs.getString(col);
        };
        return rs.wasNull() ? null : v;
    }

    static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof Double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                g.writeString(d.toString());
            } else {
                g.writeNumber(d);
            }
        } else if (v instanceof OffsetDateTime t) {
            writeTimestamp(g, t);
        } else if (v instanceof LocalDateTime t) {
            writeTimestamp(g, t);
        } else if (v instanceof LocalDate d) {
            g.writeString(d.toString());
        } else if (v instanceof byte[] b) {
            g.writeBinary(b);
        } else {
            g.writeString(v.toString());
        }
    }
}
