package io.fleetshard.controlapi;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The engine-neutral canonical texts of column values that a cross-engine move's checksum hashes and its key ranges
 * carry (ADR 0047), in Java: the reference the SQL of both engines ({@link ReshardSql#canonical}) must agree with, and
 * the way back from a key's canonical text to a literal.
 */
final class CanonicalValues {
    private static final DateTimeFormatter UTC_MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private CanonicalValues() {
    }

    /** A double as sign, significant digits, {@code e} and the exponent of {@code 0.digits}: 0.015 is {@code 15e-1}. */
    static String ofDouble(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(d + " has no canonical text (the other engine cannot hold it)");
        }
        if (d == 0) {
            return "0";
        }
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        return (d < 0 ? "-" : "") + digits + "e" + (digits.length() - b.scale());
    }

    /** A decimal without trailing zeros after the point: 1.50 is {@code 1.5}, 100 stays {@code 100}. */
    static String ofDecimal(BigDecimal d) {
        if (d.scale() <= 0) {
            return d.setScale(0).toPlainString();
        }
        BigDecimal stripped = d.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0).toPlainString() : stripped.toPlainString();
    }

    /** An instant as UTC epoch microseconds. */
    static String ofInstant(Instant t) {
        return Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, t));
    }

    /** A text column's value: its length in characters (code points), {@code :}, itself. */
    static String ofText(String s) {
        return s.codePointCount(0, s.length()) + ":" + s;
    }

    /** Epoch microseconds (a timestamp key's canonical text) as {@code yyyy-MM-dd HH:mm:ss.ffffff} in UTC. */
    static String timestampText(String epochMicros) {
        if (!epochMicros.matches("-?[0-9]{1,19}")) {
            throw new IllegalArgumentException("'" + epochMicros + "' is not a count of epoch microseconds");
        }
        long micros = Long.parseLong(epochMicros);
        Instant t = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
        return UTC_MICROS.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
    }

    /** A date's canonical text, checked. */
    static String date(String text) {
        if (!text.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
            throw new IllegalArgumentException("'" + text + "' is not a date YYYY-MM-DD");
        }
        return text;
    }

    /** Lowercase hex, checked. */
    static String hex(String text) {
        if (!text.matches("([0-9a-f]{2})*")) {
            throw new IllegalArgumentException("'" + text + "' is not lowercase hex");
        }
        return text;
    }
}
