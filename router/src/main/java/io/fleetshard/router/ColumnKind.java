package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetshard.shardmap.Engine;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * How a result column is read from JDBC and written as JSON: numbers as JSON numbers, booleans as booleans,
 * timestamps as ISO-8601 strings, binary as base64, everything else as the database's text form. The same value
 * answers the same JSON on either engine (ADR 0050): a MariaDB {@code DATETIME} or {@code TIMESTAMP} is the UTC instant
 * it stands for ({@link #UTC_DATETIME}, written like PostgreSQL's {@code timestamptz}), and {@link #typeName} names a
 * MariaDB column by the PostgreSQL type of the same meaning.
 */
enum ColumnKind {
    BOOLEAN, INT, LONG, DOUBLE, DECIMAL, TIMESTAMPTZ, TIMESTAMP,
    /** A MariaDB {@code DATETIME} or {@code TIMESTAMP}: its wall-clock value read as UTC (sessions run in UTC). */
    UTC_DATETIME,
    DATE, BYTES, STRING;

    /** The kinds of {@code md}'s columns, as read from a shard of {@code engine}. */
    static ColumnKind[] of(ResultSetMetaData md, Engine engine) throws SQLException {
        ColumnKind[] kinds = new ColumnKind[md.getColumnCount()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = of(md.getColumnType(i + 1), md.getColumnTypeName(i + 1), md.getPrecision(i + 1), engine);
        }
        return kinds;
    }

    static ColumnKind of(int jdbcType, String typeName, int precision, Engine engine) {
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
            case Types.TIMESTAMP -> engine != Engine.POSTGRES ? UTC_DATETIME
                    : name.equalsIgnoreCase("timestamptz") ? TIMESTAMPTZ : TIMESTAMP;
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
            case UTC_DATETIME -> writeUtcTimestamp(g, rs.getObject(col, LocalDateTime.class));
            default -> writeValue(g, read(rs, col));
        }
    }

    /**
     * The name {@code columnTypes} gives a column of this kind whose driver calls its type {@code typeName}, on a shard
     * of {@code engine}: PostgreSQL's own name on PostgreSQL; on MariaDB the name PostgreSQL (pgjdbc) gives the type of
     * the same meaning ({@code VARCHAR} is {@code text}, {@code DATETIME} {@code timestamptz}, {@code DOUBLE}
     * {@code float8}, {@code BIGINT} {@code int8}, ...), or MariaDB's name for a type PostgreSQL has no match for
     * ({@code ENUM}, {@code SET}, {@code YEAR}, {@code GEOMETRY}, {@code BIT}).
     */
    String typeName(Engine engine, String typeName) {
        if (engine == Engine.POSTGRES || typeName == null) {
            return typeName;
        }
        return switch (this) {
            case BOOLEAN -> "bool";
            case INT -> switch (typeName) {
                case "TINYINT", "TINYINT UNSIGNED", "SMALLINT" -> "int2";
                case "SMALLINT UNSIGNED", "MEDIUMINT", "MEDIUMINT UNSIGNED", "INTEGER", "INT" -> "int4";
                default -> typeName;
            };
            case LONG -> switch (typeName) {
                case "BIGINT", "INTEGER UNSIGNED", "INT UNSIGNED" -> "int8";
                default -> typeName;
            };
            case DECIMAL -> switch (typeName) {
                case "DECIMAL", "DECIMAL UNSIGNED", "BIGINT UNSIGNED" -> "numeric";
                default -> typeName;
            };
            case DOUBLE -> switch (typeName) {
                case "DOUBLE", "DOUBLE UNSIGNED" -> "float8";
                case "FLOAT", "FLOAT UNSIGNED" -> "float4";
                default -> typeName;
            };
            case UTC_DATETIME, TIMESTAMPTZ -> "timestamptz";
            case TIMESTAMP -> "timestamp";
            case DATE -> "DATE".equals(typeName) ? "date" : typeName;
            case BYTES -> "bytea";
            case STRING -> switch (typeName) {
                case "VARCHAR", "CHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "NULL" -> "text";
                case "TIME" -> "time";
                case "JSON" -> "json";
                default -> typeName;
            };
        };
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

    /** {@code t}, a UTC wall-clock time, written as the instant it stands for ({@code ...Z}), or null. */
    static void writeUtcTimestamp(JsonGenerator g, LocalDateTime t) throws IOException {
        if (t == null) {
            g.writeNull();
        } else {
            char[] text = new char[Iso8601Text.MAX_CHARS];
            g.writeString(text, 0, Iso8601Text.writeUtc(t, text, 0));
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
            case UTC_DATETIME -> {
                LocalDateTime t = rs.getObject(col, LocalDateTime.class);
                // the instant, so that the scatter merge sorts and groups it with PostgreSQL's timestamptz
                yield t == null ? null : t.atOffset(ZoneOffset.UTC);
            }
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
