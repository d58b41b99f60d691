package io.debezium.connector.postgresql.connection;

import io.debezium.connector.postgresql.PostgresValueConverter;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Year;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.SignStyle;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.function.Supplier;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FleetShard's replacement for Debezium 3.5.0's interface of the same name (ADR 0057), which this module shadows on the
 * class path. The PostgreSQL connector parses the text of every {@code date}, {@code timestamp} and {@code timestamptz}
 * value that {@code pgoutput} sends through it; Debezium's version parses each with a {@link DateTimeFormatter} (and
 * a {@code timestamptz} whose offset has seconds twice), which a profile put at 18 % of the connector's single
 * streaming thread. This version reads the shape PostgreSQL prints with {@code DateStyle} ISO for years 0001-9999 AD
 * ({@code 2026-01-31 23:59:59.123456+05:30}) digit by digit and hands anything else (other years, {@code BC},
 * a missing offset or seconds, out-of-range fields) to formatters with Debezium's grammar, so every text gives the
 * same value or the same error as before. {@code DebeziumShadowsTest} compares both over random values.
 */
public interface DateTimeFormat {
    /** A {@code timestamp} (without time zone) as the instant of that wall-clock time in UTC. */
    Instant timestampToInstant(String s);

    /** A {@code timestamptz} with the offset PostgreSQL printed. */
    OffsetDateTime timestampWithTimeZoneToOffsetDateTime(String s);

    /** A system timestamp, whose offset may be {@code Z}. */
    Instant systemTimestampToInstant(String s);

    /** A {@code date}; {@code infinity} and {@code -infinity} as the connector's sentinels. */
    LocalDate date(String s);

    /** A {@code time} (without time zone). */
    LocalTime time(String s);

    /** A {@code timetz}, moved to UTC. */
    OffsetTime timeWithTimeZone(String s);

    /** The shared, stateless parser. */
    static DateTimeFormat get() {
        return ISODateTimeFormat.INSTANCE;
    }

    /** PostgreSQL's ISO {@code DateStyle}: a fast path for its common shape, Debezium's grammar for the rest. */
    class ISODateTimeFormat implements DateTimeFormat {
        /** What {@code DebeziumShadows} looks for to tell that this class, not Debezium's, is loaded. */
        static final String FLEETSHARD_DATE_TIME_FORMAT = "fleetshard";

        private static final Logger LOG = LoggerFactory.getLogger(ISODateTimeFormat.class);
        private static final ISODateTimeFormat INSTANCE = new ISODateTimeFormat();

        /** Year of era with 4 to 10 digits and no sign (the era, if any, follows the time). */
        private static final DateTimeFormatter DATE = new DateTimeFormatterBuilder()
                .appendValue(ChronoField.YEAR_OF_ERA, 4, 10, SignStyle.NEVER).appendLiteral('-')
                .appendValue(ChronoField.MONTH_OF_YEAR, 2).appendLiteral('-')
                .appendValue(ChronoField.DAY_OF_MONTH, 2).toFormatter();
        private static final DateTimeFormatter TIMESTAMP = dateTime(null, null);
        private static final DateTimeFormatter TIMESTAMP_TZ = dateTime("+HH:mm", "");
        private static final DateTimeFormatter TIMESTAMP_TZ_SECONDS = dateTime("+HH:MM:SS", "");
        private static final DateTimeFormatter SYSTEM_TIMESTAMP = dateTime("+HH:mm", "Z");
        private static final DateTimeFormatter DATE_WITH_ERA = new DateTimeFormatterBuilder().append(DATE)
                .optionalStart().appendLiteral(' ').appendText(ChronoField.ERA, TextStyle.SHORT).optionalEnd()
                .toFormatter();
        private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder().appendPattern("HH:mm:ss")
                .optionalStart().appendFraction(ChronoField.MICRO_OF_SECOND, 0, 6, true).optionalEnd().toFormatter();
        private static final DateTimeFormatter TIME_TZ = new DateTimeFormatterBuilder()
                .append(DateTimeFormatter.ISO_LOCAL_TIME).appendOffset("+HH:mm", "").toFormatter();

        /** Nanoseconds per unit of the fraction's last digit, by the number of digits (1 to 9). */
        private static final int[] NANOS_PER_DIGIT = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000,
            100, 10, 1};

        /** The date, a space and ISO local time, then the offset (unless {@code offsetPattern} is null) and era. */
        private static DateTimeFormatter dateTime(String offsetPattern, String noOffsetText) {
            DateTimeFormatterBuilder b = new DateTimeFormatterBuilder().append(DATE).appendLiteral(' ')
                    .append(DateTimeFormatter.ISO_LOCAL_TIME);
            if (offsetPattern != null) {
                b.appendOffset(offsetPattern, noOffsetText);
            }
            return b.optionalStart().appendLiteral(" ").appendText(ChronoField.ERA, TextStyle.SHORT).optionalEnd()
                    .toFormatter();
        }

        @Override
        public Instant timestampToInstant(String s) {
            LocalDateTime fast = PlainText.localDateTime(s, s.length());
            if (fast != null) {
                return fast.toInstant(ZoneOffset.UTC);
            }
            return parse("y..y-MM-dd HH:mm:ss[.S]", s,
                    () -> LocalDateTime.from(TIMESTAMP.parse(s)).toInstant(ZoneOffset.UTC));
        }

        @Override
        public OffsetDateTime timestampWithTimeZoneToOffsetDateTime(String s) {
            OffsetDateTime fast = PlainText.offsetDateTime(s);
            if (fast != null) {
                return fast;
            }
            return parse("y..y-MM-dd HH:mm:ss[.S]X", s, () -> {
                TemporalAccessor parsed;
                try {
                    parsed = TIMESTAMP_TZ.parse(s);
                } catch (DateTimeParseException e) {
                    // an offset with seconds (far in the past: local mean time) needs the longer offset pattern
                    parsed = TIMESTAMP_TZ_SECONDS.parse(s);
                }
                return OffsetDateTime.from(parsed);
            });
        }

        @Override
        public Instant systemTimestampToInstant(String s) {
            return parse("y..y-MM-dd HH:mm:ss.SSSSSSX", s,
                    () -> OffsetDateTime.from(SYSTEM_TIMESTAMP.parse(s)).toInstant());
        }

        @Override
        public LocalDate date(String s) {
            LocalDate fast = PlainText.localDate(s);
            if (fast != null) {
                return fast;
            }
            return parse("y..y-MM-dd[ GG]", s, () -> switch (s) {
                case "infinity" -> PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE;
                case "-infinity" -> PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE;
                default -> LocalDate.parse(s, DATE_WITH_ERA);
            });
        }

        @Override
        public LocalTime time(String s) {
            return parse("HH:mm:ss[.S]", s, () -> LocalTime.parse(s, TIME));
        }

        @Override
        public OffsetTime timeWithTimeZone(String s) {
            return parse("HH:mm:ss[.S]X", s, () -> OffsetTime.parse(s, TIME_TZ)).withOffsetSameInstant(ZoneOffset.UTC);
        }

        private static <T> T parse(String expected, String s, Supplier<T> parser) {
            try {
                return parser.get();
            } catch (DateTimeParseException e) {
                LOG.error("Cannot parse time/date value '{}', expected format '{}'", s, expected);
                throw new ConnectException(e);
            }
        }

        /**
         * PostgreSQL's usual text read digit by digit: {@code yyyy-MM-dd}, then for timestamps {@code HH:mm:ss} with
         * an optional fraction of 1 to 9 digits, then for {@code timestamptz} {@code +HH}, {@code +HH:MM} or
         * {@code +HH:MM:SS}. Each method returns null for any other text or a field out of range, which the
         * formatters then parse or refuse as Debezium's class did.
         */
        private static final class PlainText {
            private PlainText() {
            }

            static LocalDate localDate(String s) {
                return s.length() == 10 ? date(s) : null;
            }

            static OffsetDateTime offsetDateTime(String s) {
                // the offset starts at the last sign after the seconds (the date's dashes are before position 10)
                int sign = Math.max(s.lastIndexOf('+'), s.lastIndexOf('-'));
                if (sign < 19) {
                    return null;
                }
                LocalDateTime local = localDateTime(s, sign);
                int offset = offsetSeconds(s, sign);
                if (local == null || offset == Integer.MIN_VALUE) {
                    return null;
                }
                return OffsetDateTime.of(local, ZoneOffset.ofTotalSeconds(offset));
            }

            /** {@code +HH}, {@code +HH:MM} or {@code +HH:MM:SS} from {@code sign} to the end, within 18 hours. */
            private static int offsetSeconds(String s, int sign) {
                int n = s.length() - sign - 1;
                if (n != 2 && n != 5 && n != 8 || n >= 5 && s.charAt(sign + 3) != ':'
                        || n == 8 && s.charAt(sign + 6) != ':') {
                    return Integer.MIN_VALUE;
                }
                int hours = twoDigits(s, sign + 1);
                int minutes = n >= 5 ? twoDigits(s, sign + 4) : 0;
                int seconds = n == 8 ? twoDigits(s, sign + 7) : 0;
                int total = hours * 3600 + minutes * 60 + seconds;
                if (hours < 0 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59 || total > 18 * 3600) {
                    return Integer.MIN_VALUE;
                }
                return s.charAt(sign) == '-' ? -total : total;
            }

            /** {@code yyyy-MM-dd HH:mm:ss[.f{1,9}]} from the start to {@code end}. */
            static LocalDateTime localDateTime(String s, int end) {
                if (end < 19 || end == 20 || end > 29 || s.charAt(10) != ' ' || s.charAt(13) != ':'
                        || s.charAt(16) != ':') {
                    return null;
                }
                LocalDate day = date(s);
                int hour = twoDigits(s, 11);
                int minute = twoDigits(s, 14);
                int second = twoDigits(s, 17);
                if (day == null || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
                    return null;
                }
                int nano = 0;
                if (end > 19) {
                    if (s.charAt(19) != '.') {
                        return null;
                    }
                    int fraction = 0;
                    for (int i = 20; i < end; i++) {
                        int d = s.charAt(i) - '0';
                        if (d < 0 || d > 9) {
                            return null;
                        }
                        fraction = fraction * 10 + d;
                    }
                    nano = fraction * NANOS_PER_DIGIT[end - 20];
                }
                return LocalDateTime.of(day, LocalTime.of(hour, minute, second, nano));
            }

            /** The first ten characters as {@code yyyy-MM-dd} of years 1 to 9999, or null. */
            private static LocalDate date(String s) {
                if (s.charAt(4) != '-' || s.charAt(7) != '-') {
                    return null;
                }
                int hi = twoDigits(s, 0);
                int lo = twoDigits(s, 2);
                int month = twoDigits(s, 5);
                int day = twoDigits(s, 8);
                if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) {
                    return null;
                }
                int year = hi * 100 + lo;
                if (year == 0 || day > Month.of(month).length(Year.isLeap(year))) {
                    return null;
                }
                return LocalDate.of(year, month, day);
            }

            /** Two decimal digits at {@code at} as a number, or -1. */
            private static int twoDigits(String s, int at) {
                int a = s.charAt(at) - '0';
                int b = s.charAt(at + 1) - '0';
                return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
            }
        }
    }
}
