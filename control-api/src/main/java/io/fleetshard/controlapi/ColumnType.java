package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

/**
 * A sharded table's column type as a cross-engine move sees it (ADR 0047): its family, the engine's own name for it,
 * and the bounds that decide whether every value of one column fits another column of the other engine.
 *
 * @param sqlType the engine's type name as its catalog says it ({@code timestamptz}, {@code varchar}, {@code datetime})
 * @param maxLength characters of a bounded text column, bytes of a bounded binary one; -1 when unbounded
 * @param intBytes bytes of an integer column (1, 2, 3, 4, 8); 0 for other families
 * @param unsigned an unsigned integer or decimal (MariaDB)
 * @param precision digits of a decimal column; -1 when unbounded (PostgreSQL {@code numeric})
 * @param scale digits after the point of a decimal column; -1 when unbounded
 * @param fractionDigits digits of a second's fraction a timestamp keeps (PostgreSQL 6, MariaDB {@code DATETIME(n)})
 */
record ColumnType(Family family, String sqlType, long maxLength, int intBytes, boolean unsigned, int precision,
        int scale, int fractionDigits) {

    /** What a value is, whatever engine holds it; each has one canonical text both engines compute (ADR 0047). */
    enum Family {
        TEXT, INTEGER, DECIMAL, FLOAT, BOOLEAN, TIMESTAMP, DATE, BINARY,
        /** Anything else (json, arrays, intervals, enums, geometry, ...): never converted across engines. */
        OTHER
    }

    ColumnType {
        if (family == null || sqlType == null) {
            throw new IllegalArgumentException("a column type needs a family and a type name");
        }
    }

    /**
     * A type as PostgreSQL's {@code information_schema.columns} describes it: {@code udt_name} and the lengths.
     * Null lengths are passed as -1.
     */
    static ColumnType postgres(String udtName, long charLength, int numericPrecision, int numericScale,
            int datetimePrecision) {
        String t = udtName.toLowerCase(Locale.ROOT);
        return switch (t) {
            case "text", "varchar", "bpchar", "uuid", "citext" -> new ColumnType(Family.TEXT, t, charLength, 0, false,
                    -1, -1, 0);
            case "int2" -> integer(t, 2, false);
            case "int4" -> integer(t, 4, false);
            case "int8" -> integer(t, 8, false);
            case "numeric" -> new ColumnType(Family.DECIMAL, t, -1, 0, false, numericPrecision, numericScale, 0);
            case "float4" -> new ColumnType(Family.FLOAT, t, -1, 4, false, -1, -1, 0);
            case "float8" -> new ColumnType(Family.FLOAT, t, -1, 8, false, -1, -1, 0);
            case "bool" -> new ColumnType(Family.BOOLEAN, t, -1, 0, false, -1, -1, 0);
            case "timestamptz", "timestamp" -> new ColumnType(Family.TIMESTAMP, t, -1, 0, false, -1, -1,
                    datetimePrecision < 0 ? 6 : datetimePrecision);
            case "date" -> new ColumnType(Family.DATE, t, -1, 0, false, -1, -1, 0);
            case "bytea" -> new ColumnType(Family.BINARY, t, -1, 0, false, -1, -1, 0);
            default -> new ColumnType(Family.OTHER, t, -1, 0, false, -1, -1, 0);
        };
    }

    /**
     * A type as MariaDB's {@code information_schema.columns} describes it: {@code data_type}, {@code column_type}
     * (for {@code tinyint(1)} and {@code unsigned}) and the lengths. Null lengths are passed as -1.
     */
    static ColumnType mariaDb(String dataType, String columnType, long charLength, int numericPrecision,
            int numericScale, int datetimePrecision) {
        String t = dataType.toLowerCase(Locale.ROOT);
        String full = columnType == null ? t : columnType.toLowerCase(Locale.ROOT);
        boolean unsigned = full.contains("unsigned");
        return switch (t) {
            case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "uuid" -> new ColumnType(Family.TEXT,
                    t, t.equals("longtext") || t.equals("uuid") ? -1 : charLength, 0, false, -1, -1, 0);
            case "tinyint" -> full.startsWith("tinyint(1)") && !unsigned
                    ? new ColumnType(Family.BOOLEAN, "tinyint(1)", -1, 1, false, -1, -1, 0)
                    : integer(t, 1, unsigned);
            case "smallint" -> integer(t, 2, unsigned);
            case "mediumint" -> integer(t, 3, unsigned);
            case "int", "integer" -> integer(t, 4, unsigned);
            case "bigint" -> integer(t, 8, unsigned);
            case "decimal", "numeric" -> new ColumnType(Family.DECIMAL, t, -1, 0, unsigned, numericPrecision,
                    numericScale, 0);
            case "float" -> new ColumnType(Family.FLOAT, t, -1, 4, false, -1, -1, 0);
            case "double", "real" -> new ColumnType(Family.FLOAT, t, -1, 8, false, -1, -1, 0);
            case "boolean", "bool" -> new ColumnType(Family.BOOLEAN, t, -1, 1, false, -1, -1, 0);
            case "datetime", "timestamp" -> new ColumnType(Family.TIMESTAMP, t, -1, 0, false, -1, -1,
                    Math.max(0, datetimePrecision));
            case "date" -> new ColumnType(Family.DATE, t, -1, 0, false, -1, -1, 0);
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> new ColumnType(Family.BINARY, t,
                    t.endsWith("blob") && !t.equals("tinyblob") ? -1 : charLength, 0, false, -1, -1, 0);
            default -> new ColumnType(Family.OTHER, t, -1, 0, false, -1, -1, 0);
        };
    }

    private static ColumnType integer(String name, int bytes, boolean unsigned) {
        return new ColumnType(Family.INTEGER, name + (unsigned ? " unsigned" : ""), -1, bytes, unsigned, -1, -1, 0);
    }

    /** The type as a user would write it, for messages: {@code varchar(64)}, {@code numeric(10,2)}, {@code datetime(6)}. */
    String display() {
        return switch (family) {
            case TEXT, BINARY -> maxLength >= 0 && !sqlType.endsWith("text") && !sqlType.endsWith("blob")
                    ? sqlType + "(" + maxLength + ")" : sqlType;
            case DECIMAL -> precision >= 0 ? sqlType + "(" + precision + "," + Math.max(0, scale) + ")" : sqlType;
            case TIMESTAMP -> sqlType + "(" + fractionDigits + ")";
            default -> sqlType;
        };
    }

    /**
     * Null when every value of a column of this type can be written to a column of {@code target}'s type and reads
     * back the same (a text longer than a bounded target is the one exception: the copy checks each value and fails
     * the job naming the row); else why not, for a 422.
     */
    String refusalTo(ColumnType target) {
        if (family == Family.OTHER || target.family == Family.OTHER) {
            return "only text, integer, decimal, float, boolean, timestamp, date and binary columns are converted"
                    + " between engines";
        }
        return switch (family) {
            case TEXT -> target.family == Family.TEXT ? null : "a text cannot become " + target.family.name()
                    .toLowerCase(Locale.ROOT);
            case BINARY -> target.family == Family.BINARY ? null : "binary data only goes to a binary column";
            case DATE -> target.family == Family.DATE ? null : "a date only goes to a date column";
            case BOOLEAN -> target.family == Family.BOOLEAN || target.family == Family.INTEGER ? null
                    : "a boolean only goes to a boolean or integer column";
            case FLOAT -> target.family == Family.FLOAT && target.intBytes == intBytes ? null
                    : "a " + intBytes + "-byte float only goes to a float of the same width (its text and checksum"
                            + " would differ otherwise)";
            case TIMESTAMP -> target.family != Family.TIMESTAMP ? "a timestamp only goes to a timestamp column"
                    : target.fractionDigits < fractionDigits ? "the target keeps " + target.fractionDigits
                            + " fraction digits of a second, the source " + fractionDigits + ": values would be rounded"
                    : null;
            case INTEGER -> integerRefusal(target);
            case DECIMAL -> decimalRefusal(target);
            case OTHER -> "not converted";
        };
    }

    private String integerRefusal(ColumnType target) {
        int digits = integerDigits();
        if (target.family == Family.DECIMAL) {
            return target.precision < 0 || target.precision - target.scale >= digits ? null
                    : "the target's decimal holds fewer than the " + digits + " integer digits of the source";
        }
        if (target.family != Family.INTEGER) {
            return "an integer only goes to an integer or decimal column";
        }
        if (unsigned && !target.unsigned) {
            return target.intBytes > intBytes ? null : "an unsigned " + intBytes + "-byte integer may not fit a signed "
                    + target.intBytes + "-byte one";
        }
        if (!unsigned && target.unsigned) {
            return "a signed integer may be negative, the target is unsigned";
        }
        return target.intBytes >= intBytes ? null : "a " + intBytes + "-byte integer may not fit a " + target.intBytes
                + "-byte one";
    }

    private int integerDigits() {
        return switch (intBytes) {
            case 1 -> 3;
            case 2 -> 5;
            case 3 -> 8;
            case 4 -> 10;
            default -> unsigned ? 20 : 19;
        };
    }

    private String decimalRefusal(ColumnType target) {
        if (target.family != Family.DECIMAL) {
            return "a decimal only goes to a decimal column (exact values)";
        }
        if (target.precision < 0) {
            return null;
        }
        if (precision < 0) {
            return "the source's decimal is unbounded, the target's is " + target.display();
        }
        if (unsigned != target.unsigned && target.unsigned) {
            return "a signed decimal may be negative, the target is unsigned";
        }
        return target.scale >= scale && target.precision - target.scale >= precision - scale ? null
                : "the target's " + target.display() + " holds fewer digits than the source's " + display();
    }

    /** Whether a value of this type may be too long for {@code target}'s bounded length: the copy checks each. */
    boolean mayExceed(ColumnType target) {
        return (family == Family.TEXT || family == Family.BINARY) && target.maxLength >= 0
                && (maxLength < 0 || maxLength > target.maxLength);
    }

    /**
     * The type of the catalog row at {@code rs} ({@link ReshardSql#columnTypesSql}), from its column {@code first}:
     * type name, MariaDB's column type, character length, numeric precision, numeric scale, datetime precision.
     */
    static ColumnType of(Engine engine, ResultSet rs, int first) throws SQLException {
        if (engine == Engine.POSTGRES) {
            return postgres(rs.getString(first), orMinusOne(rs, first + 2), (int) orMinusOne(rs, first + 3),
                    (int) orMinusOne(rs, first + 4), (int) orMinusOne(rs, first + 5));
        }
        return mariaDb(rs.getString(first), rs.getString(first + 1), orMinusOne(rs, first + 2),
                (int) orMinusOne(rs, first + 3), (int) orMinusOne(rs, first + 4), (int) orMinusOne(rs, first + 5));
    }

    private static long orMinusOne(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? -1 : v;
    }
}
