package io.fleetshard.standby;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A standby table as its catalog describes it: columns in order, with their types, and the primary key. */
record TableShape(String table, List<Column> columns, List<String> primaryKey) {

    /** How a column's value is carried between change-event JSON and JDBC. */
    enum ValueKind { INTEGER, FLOAT, DECIMAL, BOOLEAN, BINARY, TIMESTAMP, TEXT }

    /**
     * One column: {@code type} is the engine's full type text (snapshot.json), {@code castType} the type a PostgreSQL
     * parameter is cast to (without length or precision, so an over-long value fails instead of being truncated).
     */
    record Column(String name, String type, boolean nullable, String castType, ValueKind kind) {
    }

    TableShape {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
    }

    Map<String, Column> byName() {
        Map<String, Column> m = new LinkedHashMap<>();
        columns.forEach(c -> m.put(c.name(), c));
        return m;
    }

    Column column(String name) {
        for (Column c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    static ValueKind kindOf(Dialect dialect, String baseType) {
        String t = baseType.toLowerCase(Locale.ROOT);
        if (dialect == Dialect.POSTGRES) {
            return switch (t) {
                case "int2", "int4", "int8", "oid" -> ValueKind.INTEGER;
                case "float4", "float8" -> ValueKind.FLOAT;
                case "numeric" -> ValueKind.DECIMAL;
                case "bool" -> ValueKind.BOOLEAN;
                case "bytea" -> ValueKind.BINARY;
                default -> ValueKind.TEXT;
            };
        }
        return switch (t) {
            case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year" -> ValueKind.INTEGER;
            case "float", "double", "real" -> ValueKind.FLOAT;
            case "decimal", "numeric" -> ValueKind.DECIMAL;
            case "datetime", "timestamp" -> ValueKind.TIMESTAMP;
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" -> ValueKind.BINARY;
            default -> ValueKind.TEXT;
        };
    }
}
