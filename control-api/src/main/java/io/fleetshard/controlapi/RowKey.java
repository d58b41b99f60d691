package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A row's table and primary key in one canonical text, equal whether the key was read over JDBC (PostgreSQL or
 * MariaDB/MySQL) or from a change event's {@code key} object (docs/spec/change-events.md): numbers in plain decimal
 * without trailing zeros, timestamps as UTC instants ({@code timestamp}/{@code DATETIME} read as UTC, as capture
 * writes them), binary as base64, text as it is.
 */
record RowKey(String table, List<String> values) {
    private static final Pattern TIMESTAMP = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[T ](\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?)(Z|[+-]\\d{2}(?::?\\d{2})?)?");

    RowKey {
        values = List.copyOf(values);
    }

    /** The key of a change event: {@code key}'s fields in their order, which is the primary key's order. */
    static RowKey ofEvent(String table, JsonNode key) {
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = key.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            if (v == null || v.isNull()) {
                out.add(null);
            } else if (v.isNumber()) {
                out.add(number(v.decimalValue()));
            } else {
                out.add(text(v.asText()));
            }
        }
        return new RowKey(table, out);
    }

    /** The key in columns {@code 1..keyColumns} of the current row of {@code rs}. */
    static RowKey ofRow(String table, ResultSet rs, int keyColumns) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> out = new ArrayList<>(keyColumns);
        for (int i = 1; i <= keyColumns; i++) {
            String type = md.getColumnTypeName(i).toLowerCase(Locale.ROOT);
            Object v = rs.getObject(i);
            if (v == null) {
                out.add(null);
            } else if (type.equals("timestamptz")) {
                out.add(rs.getObject(i, OffsetDateTime.class).toInstant().toString());
            } else if (type.equals("timestamp") || type.equals("datetime")) {
                out.add(rs.getObject(i, LocalDateTime.class).toInstant(ZoneOffset.UTC).toString());
            } else if (v instanceof Number n) {
                out.add(number(new BigDecimal(n.toString())));
            } else if (v instanceof byte[] b) {
                out.add(Base64.getEncoder().encodeToString(b));
            } else {
                out.add(text(v.toString()));
            }
        }
        return new RowKey(table, out);
    }

    private static String number(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }

    /** Text as it is, unless it is a timestamp, which becomes its UTC instant (no offset: UTC). */
    static String text(String s) {
        Matcher m = TIMESTAMP.matcher(s);
        if (!m.matches()) {
            return s;
        }
        String time = m.group(2).length() == 5 ? m.group(2) + ":00" : m.group(2);
        String zone = m.group(3);
        if (zone == null || zone.equals("Z")) {
            zone = "+00:00";
        } else if (zone.length() == 3) {
            zone = zone + ":00";
        } else if (zone.length() == 5) {
            zone = zone.substring(0, 3) + ":" + zone.substring(3);
        }
        Instant at = OffsetDateTime.parse(m.group(1) + "T" + time + zone).toInstant();
        return at.toString();
    }

    @Override
    public String toString() {
        return table + " " + values;
    }
}
