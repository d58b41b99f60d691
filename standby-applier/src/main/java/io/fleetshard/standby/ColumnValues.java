package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Column values between the change-event encoding (docs/spec/change-events.md, "Column values") and JDBC. PostgreSQL
 * parameters are strings cast in SQL to the column's type; MySQL/MariaDB gets datetimes converted here (UTC session).
 */
final class ColumnValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final DateTimeFormatter MARIADB_DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");
    private static final Pattern SHORT_OFFSET = Pattern.compile(".*[+-]\\d{2}$");

    private ColumnValues() {
    }

    /** The placeholder of a parameter for {@code column}: PostgreSQL casts to the column's type. */
    static String placeholder(Dialect dialect, TableShape.Column column) {
        if (dialect == Dialect.MARIADB) {
            return "?";
        }
        return castFromText(column, "?");
    }

    /** PostgreSQL: the SQL turning {@code text}, a value as {@link #text} gives it, into {@code column}'s type. */
    static String castFromText(TableShape.Column column, String text) {
        if (column.kind() == TableShape.ValueKind.BINARY) {
            return "decode(" + text + ", 'base64')";
        }
        return text + "::" + column.castType();
    }

    /** True for a value the image does not hold or holds as JSON null: bound as SQL NULL. */
    static boolean isAbsent(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }

    static void bind(Dialect dialect, PreparedStatement ps, int index, TableShape.Column column, JsonNode value)
            throws SQLException {
        if (isAbsent(value)) {
            ps.setNull(index, dialect == Dialect.MARIADB && column.kind() == TableShape.ValueKind.BINARY
                    ? Types.VARBINARY : Types.VARCHAR);
            return;
        }
        if (dialect == Dialect.POSTGRES) {
            ps.setString(index, text(value));
            return;
        }
        switch (column.kind()) {
            case BINARY -> ps.setBytes(index, Base64.getDecoder().decode(value.asText()));
            case TIMESTAMP -> ps.setString(index, MARIADB_DATETIME.format(LocalDateTime.ofInstant(instant(value.asText()),
                    ZoneOffset.UTC)));
            default -> ps.setString(index, value.isBoolean() ? (value.booleanValue() ? "1" : "0") : text(value));
        }
    }

    /** The JSON encoding of a column read from a result set, as change events encode it. */
    static JsonNode read(Dialect dialect, ResultSet rs, int index, TableShape.Column column) throws SQLException {
        switch (column.kind()) {
            case BINARY -> {
                byte[] b = rs.getBytes(index);
                return b == null ? NODES.nullNode() : NODES.textNode(Base64.getEncoder().encodeToString(b));
            }
            case BOOLEAN -> {
                boolean b = rs.getBoolean(index);
                return rs.wasNull() ? NODES.nullNode() : NODES.booleanNode(b);
            }
            case TIMESTAMP -> {
                LocalDateTime t = rs.getObject(index, LocalDateTime.class);
                return t == null ? NODES.nullNode() : NODES.textNode(t.toInstant(ZoneOffset.UTC).toString());
            }
            default -> {
                String s = rs.getString(index);
                if (s == null) {
                    return NODES.nullNode();
                }
                if (column.kind() == TableShape.ValueKind.INTEGER) {
                    try {
                        return NODES.numberNode(Long.parseLong(s));
                    } catch (NumberFormatException big) {
                        return NODES.numberNode(new BigInteger(s));
                    }
                }
                if (column.kind() == TableShape.ValueKind.FLOAT) {
                    double d = Double.parseDouble(s);
                    return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(s);
                }
                return NODES.textNode(s);
            }
        }
    }

    static String text(JsonNode value) {
        if (value.isTextual()) {
            return value.textValue();
        }
        if (value.isContainerNode()) {
            return value.toString();
        }
        return value.asText();
    }

    /** An ISO-8601 instant, with offset or {@code Z}, as PostgreSQL or Debezium print it; no offset means UTC. */
    static Instant instant(String text) {
        String s = text.trim().replace(' ', 'T');
        if (SHORT_OFFSET.matcher(s).matches() && s.indexOf('T') > 0 && s.lastIndexOf(':') > s.indexOf('T')) {
            s = s + ":00";
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                throw new StandbyException("'" + text + "' is not an ISO-8601 timestamp (expected e.g. 2026-01-01T00:00:00Z)");
            }
        }
    }
}
