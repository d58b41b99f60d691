package io.fleetshard.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * The values of a statement's {@code ?} placeholders, checked when the request is built: what the router binds
 * (strings, numbers, booleans, null), plus dates, times and UUIDs sent as their ISO text (cast them in SQL on
 * PostgreSQL: {@code ?::timestamptz}).
 */
final class QueryParams {
    private QueryParams() {
    }

    static List<Object> of(Object... params) {
        if (params == null) {
            return List.of();
        }
        List<Object> out = new ArrayList<>(params.length);
        for (int i = 0; i < params.length; i++) {
            out.add(wire(i, params[i]));
        }
        return Collections.unmodifiableList(out);
    }

    private static Object wire(int i, Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer
                || v instanceof Short || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("params[" + i + "] is " + v + ", which JSON cannot carry; pass"
                        + " null or a finite number");
            }
            return v;
        }
        if (v instanceof java.time.Instant || v instanceof OffsetDateTime || v instanceof ZonedDateTime
                || v instanceof LocalDate || v instanceof LocalDateTime || v instanceof UUID) {
            return v instanceof ZonedDateTime z ? z.toOffsetDateTime().toString() : v.toString();
        }
        String type = v instanceof TemporalAccessor ? "temporal type " : "type ";
        throw new IllegalArgumentException("params[" + i + "] has unsupported " + type + v.getClass().getName()
                + "; pass a String, a number, a Boolean, null, an Instant/OffsetDateTime/LocalDate/UUID, or its text");
    }
}
