package io.fleetshard.router;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Writes timestamps as ISO-8601 text into a caller's {@code char[]}, character for character what
 * {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} and {@link DateTimeFormatter#ISO_LOCAL_DATE_TIME} print, without their
 * per-call objects (a timestamp column is on the hot path of {@code /v1/query}, issue 10):
 * <ul>
 *   <li>the year has at least four digits, zero-padded; a year below zero is signed {@code -}, one above 9999 is
 *       signed {@code +} ({@code 0000}, {@code -0044}, {@code +10000});</li>
 *   <li>seconds are always written; the fraction of a second only when it is not zero, with its trailing zeros
 *       dropped ({@code 12:00:00}, {@code 12:00:00.5}, {@code 12:00:00.000001});</li>
 *   <li>the offset is {@code Z} when zero, else {@code +HH:MM}, with {@code :SS} when it has seconds.</li>
 * </ul>
 */
final class Iso8601Text {
    /** The longest text any method writes: a ten-character year, nanoseconds and an offset with seconds. */
    static final int MAX_CHARS = 44;

    private Iso8601Text() {
    }

    /** Writes {@code t} at {@code b[pos]} as {@code ISO_OFFSET_DATE_TIME} prints it; returns the position after it. */
    static int write(OffsetDateTime t, char[] b, int pos) {
        int p = write(t.toLocalDateTime(), b, pos);
        int offset = t.getOffset().getTotalSeconds();
        if (offset == 0) {
            b[p] = 'Z';
            return p + 1;
        }
        b[p++] = offset < 0 ? '-' : '+';
        int abs = Math.abs(offset);
        p = twoDigits(abs / 3600, b, p);
        b[p++] = ':';
        p = twoDigits(abs / 60 % 60, b, p);
        if (abs % 60 != 0) {
            b[p++] = ':';
            p = twoDigits(abs % 60, b, p);
        }
        return p;
    }

    /**
     * Writes {@code t}, a wall-clock time in UTC, at {@code b[pos]} as {@code ISO_OFFSET_DATE_TIME} prints
     * {@code t.atOffset(ZoneOffset.UTC)} (a {@code Z} after the local time), without making that object; returns the
     * position after it.
     */
    static int writeUtc(LocalDateTime t, char[] b, int pos) {
        int p = write(t, b, pos);
        b[p] = 'Z';
        return p + 1;
    }

    /** Writes {@code t} at {@code b[pos]} as {@code ISO_LOCAL_DATE_TIME} prints it; returns the position after it. */
    static int write(LocalDateTime t, char[] b, int pos) {
        int p = pos;
        int year = t.getYear();
        int absYear = Math.abs(year); // the year is within +-999,999,999
        if (year < 0) {
            b[p++] = '-';
        } else if (year > 9999) {
            b[p++] = '+';
        }
        if (absYear < 10000) {
            p = twoDigits(absYear / 100, b, p);
            p = twoDigits(absYear % 100, b, p);
        } else {
            p = digits(absYear, decimalLength(absYear), b, p);
        }
        b[p++] = '-';
        p = twoDigits(t.getMonthValue(), b, p);
        b[p++] = '-';
        p = twoDigits(t.getDayOfMonth(), b, p);
        b[p++] = 'T';
        p = twoDigits(t.getHour(), b, p);
        b[p++] = ':';
        p = twoDigits(t.getMinute(), b, p);
        b[p++] = ':';
        p = twoDigits(t.getSecond(), b, p);
        int nano = t.getNano();
        if (nano != 0) {
            b[p++] = '.';
            int width = 9;
            while (nano % 10 == 0) {
                nano /= 10;
                width--;
            }
            p = digits(nano, width, b, p);
        }
        return p;
    }

    private static int twoDigits(int v, char[] b, int p) {
        b[p] = (char) ('0' + v / 10);
        b[p + 1] = (char) ('0' + v % 10);
        return p + 2;
    }

    /** Writes {@code v >= 0} as exactly {@code width} digits, zero-padded on the left. */
    private static int digits(int v, int width, char[] b, int p) {
        for (int i = p + width - 1; i >= p; i--) {
            b[i] = (char) ('0' + v % 10);
            v /= 10;
        }
        return p + width;
    }

    private static int decimalLength(int v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }
}
