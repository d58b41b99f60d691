package io.debezium.time;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAdjuster;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * FleetShard's replacement for Debezium 3.5.0's class of the same name (ADR 0057), which this module shadows on the
 * class path. Debezium's connectors call it for every timestamp-with-time-zone value they capture (PostgreSQL
 * {@code timestamptz}, MariaDB/MySQL {@code TIMESTAMP}), in the event's key and again in its value. Debezium's version
 * builds three {@link DateTimeFormatter}s per call when the column has a fractional width and then formats through
 * them; a profile of the PostgreSQL capture put that at 11 % of the connector's single streaming thread. This version
 * writes the same text with a {@link StringBuilder}: ISO-8601 date and time, the fraction of a second as exactly the
 * column's width of digits (truncated) when a width of 1 to 9 is given for a {@link ZonedDateTime}, otherwise as
 * {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} prints it (no fraction when zero, trailing zeros dropped), then the
 * offset ({@code Z} when zero). Values of the types that are not on the capture path ({@link OffsetTime},
 * {@link java.sql.Date}, {@link java.sql.Time}) go through {@link #FORMATTER} as before. It keeps Debezium's public
 * API; {@code DebeziumShadowsTest} compares both classes' text over random values.
 */
public class ZonedTimestamp {
    /** What {@code DebeziumShadows} looks for to tell that this class, not Debezium's, is loaded. */
    static final String FLEETSHARD_ZONED_TIMESTAMP = "fleetshard";

    /** The ISO-8601 date, time and offset format, such as {@code 2011-12-03T10:15:30.030431+01:00}. */
    public static final DateTimeFormatter FORMATTER = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    /** The logical name of the Kafka Connect string schema these values travel in. */
    public static final String SCHEMA_NAME = "io.debezium.time.ZonedTimestamp";

    /** Powers of ten that truncate a nano-of-second to {@code width} digits: {@code nano / DIVISORS[width]}. */
    private static final int[] DIVISORS = {1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000,
        100, 10, 1};

    private ZonedTimestamp() {
    }

    /** A string schema builder named {@link #SCHEMA_NAME}, version 1. */
    public static SchemaBuilder builder() {
        return SchemaBuilder.string().name(SCHEMA_NAME).version(1);
    }

    /** The string schema named {@link #SCHEMA_NAME}, version 1. */
    public static Schema schema() {
        return builder().build();
    }

    /**
     * The ISO-8601 text of a timestamp value of any supported type: a {@code String} is returned as it is; an
     * {@link OffsetDateTime} ignores {@code fractionalWidth}; a {@link ZonedDateTime} honours it (1 to 9 digits, else
     * as many as needed); a {@link java.util.Date} (or JDBC subtype) is placed in {@code defaultZone}.
     *
     * @throws IllegalArgumentException for any other type
     */
    public static String toIsoString(Object value, ZoneId defaultZone, TemporalAdjuster adjuster,
            Integer fractionalWidth) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof OffsetDateTime t) {
            return toIsoString(t, adjuster);
        }
        if (value instanceof ZonedDateTime t) {
            return toIsoString(t, adjuster, fractionalWidth);
        }
        if (value instanceof OffsetTime t) {
            return toIsoString(t, adjuster);
        }
        if (value instanceof java.util.Date d) {
            return toIsoString(d, defaultZone, adjuster);
        }
        throw new IllegalArgumentException("Unable to convert to OffsetDateTime from unexpected value '" + value
                + "' of type " + value.getClass().getName());
    }

    /** The ISO-8601 text of {@code timestamp}, adjusted first when {@code adjuster} is not null. */
    public static String toIsoString(OffsetDateTime timestamp, TemporalAdjuster adjuster) {
        OffsetDateTime t = adjuster == null ? timestamp : timestamp.with(adjuster);
        return text(t.toLocalDateTime(), t.getOffset(), -1);
    }

    /**
     * The ISO-8601 text of {@code timestamp} (its offset, not its zone id), adjusted first when {@code adjuster} is
     * not null, with exactly {@code fractionalWidth} digits of fraction when that is 1 to 9.
     */
    public static String toIsoString(ZonedDateTime timestamp, TemporalAdjuster adjuster, Integer fractionalWidth) {
        ZonedDateTime t = adjuster == null ? timestamp : timestamp.with(adjuster);
        int width = fractionalWidth == null || fractionalWidth <= 0 || fractionalWidth > 9 ? -1 : fractionalWidth;
        return text(t.toLocalDateTime(), t.getOffset(), width);
    }

    /** The ISO-8601 text of a time with offset, adjusted first when {@code adjuster} is not null. */
    public static String toIsoString(OffsetTime timestamp, TemporalAdjuster adjuster) {
        return (adjuster == null ? timestamp : timestamp.with(adjuster)).format(FORMATTER);
    }

    /** The ISO-8601 text of a {@link java.util.Date} or JDBC subtype, placed in {@code zoneId}. */
    public static String toIsoString(java.util.Date timestamp, ZoneId zoneId, TemporalAdjuster adjuster) {
        if (timestamp instanceof java.sql.Timestamp t) {
            return toIsoString(t, zoneId, adjuster);
        }
        if (timestamp instanceof java.sql.Date d) {
            return toIsoString(d, zoneId, adjuster);
        }
        if (timestamp instanceof java.sql.Time t) {
            return toIsoString(t, zoneId, adjuster);
        }
        return toIsoString(timestamp.toInstant().atZone(zoneId), null, null);
    }

    /** The ISO-8601 text of a JDBC timestamp's instant in {@code zoneId}. */
    public static String toIsoString(java.sql.Timestamp timestamp, ZoneId zoneId, TemporalAdjuster adjuster) {
        Instant instant = timestamp.toInstant();
        return toIsoString((adjuster == null ? instant : instant.with(adjuster)).atZone(zoneId), null, null);
    }

    /** The ISO-8601 text of a JDBC date at midnight in {@code zoneId}. */
    public static String toIsoString(java.sql.Date date, ZoneId zoneId, TemporalAdjuster adjuster) {
        LocalDate day = adjuster == null ? date.toLocalDate() : date.toLocalDate().with(adjuster);
        return ZonedDateTime.of(day, LocalTime.MIDNIGHT, zoneId).format(FORMATTER);
    }

    /** The ISO-8601 text of a JDBC time on the epoch day in {@code zoneId}. */
    public static String toIsoString(java.sql.Time time, ZoneId zoneId, TemporalAdjuster adjuster) {
        LocalTime local = adjuster == null ? time.toLocalTime() : time.toLocalTime().with(adjuster);
        return ZonedDateTime.of(Conversions.EPOCH, local, zoneId).format(FORMATTER);
    }

    /**
     * {@code t} and {@code offset} as ISO-8601 text: the year with at least four digits ({@code -} below zero,
     * {@code +} above 9999), seconds always, the fraction as exactly {@code width} digits or, for {@code width < 0},
     * only when not zero and without trailing zeros, then {@code Z} or {@code +HH:MM[:SS]}.
     */
    private static String text(LocalDateTime t, ZoneOffset offset, int width) {
        StringBuilder b = new StringBuilder(36);
        int year = t.getYear();
        int absYear = Math.abs(year);
        if (year < 0) {
            b.append('-');
        } else if (year > 9999) {
            b.append('+');
        }
        if (absYear < 10000) {
            digits(b, absYear, 4);
        } else {
            b.append(absYear);
        }
        b.append('-');
        digits(b, t.getMonthValue(), 2);
        b.append('-');
        digits(b, t.getDayOfMonth(), 2);
        b.append('T');
        digits(b, t.getHour(), 2);
        b.append(':');
        digits(b, t.getMinute(), 2);
        b.append(':');
        digits(b, t.getSecond(), 2);
        int nano = t.getNano();
        if (width > 0) {
            b.append('.');
            digits(b, nano / DIVISORS[width], width);
        } else if (nano != 0) {
            int w = 9;
            while (nano % 10 == 0) {
                nano /= 10;
                w--;
            }
            b.append('.');
            digits(b, nano, w);
        }
        int seconds = offset.getTotalSeconds();
        if (seconds == 0) {
            return b.append('Z').toString();
        }
        b.append(seconds < 0 ? '-' : '+');
        int abs = Math.abs(seconds);
        digits(b, abs / 3600, 2);
        b.append(':');
        digits(b, abs / 60 % 60, 2);
        if (abs % 60 != 0) {
            b.append(':');
            digits(b, abs % 60, 2);
        }
        return b.toString();
    }

    /** Appends {@code v >= 0} as exactly {@code width} digits, zero-padded on the left. */
    private static void digits(StringBuilder b, int v, int width) {
        int at = b.length();
        b.setLength(at + width);
        for (int i = at + width - 1; i >= at; i--) {
            b.setCharAt(i, (char) ('0' + v % 10));
            v /= 10;
        }
    }
}
