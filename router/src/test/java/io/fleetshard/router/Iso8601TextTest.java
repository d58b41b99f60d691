package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Iso8601TextTest {

    private static String text(OffsetDateTime t) {
        char[] b = new char[Iso8601Text.MAX_CHARS];
        return new String(b, 0, Iso8601Text.write(t, b, 0));
    }

    private static String text(LocalDateTime t) {
        char[] b = new char[Iso8601Text.MAX_CHARS];
        return new String(b, 0, Iso8601Text.write(t, b, 0));
    }

    private static String utcText(LocalDateTime t) {
        char[] b = new char[Iso8601Text.MAX_CHARS];
        return new String(b, 0, Iso8601Text.writeUtc(t, b, 0));
    }

    private static OffsetDateTime utc(int y, int mo, int d, int h, int mi, int s, int nano) {
        return OffsetDateTime.of(y, mo, d, h, mi, s, nano, ZoneOffset.UTC);
    }

    @Test
    void writesWhatPostgresTimestampsLookLikeInAnswers() {
        assertThat(text(utc(2026, 5, 1, 10, 15, 30, 500_000_000))).isEqualTo("2026-05-01T10:15:30.5Z");
        assertThat(text(utc(2026, 12, 6, 0, 0, 0, 0))).isEqualTo("2026-12-06T00:00:00Z");
        assertThat(text(utc(2026, 12, 6, 23, 59, 59, 123_456_000))).isEqualTo("2026-12-06T23:59:59.123456Z");
        assertThat(text(utc(2026, 12, 6, 23, 59, 59, 1_000))).isEqualTo("2026-12-06T23:59:59.000001Z");
        assertThat(text(utc(2026, 12, 6, 23, 59, 59, 100_000))).isEqualTo("2026-12-06T23:59:59.0001Z");
        assertThat(text(utc(2026, 12, 6, 23, 59, 59, 1))).isEqualTo("2026-12-06T23:59:59.000000001Z");
        assertThat(text(utc(2026, 12, 6, 23, 59, 59, 999_999_999))).isEqualTo("2026-12-06T23:59:59.999999999Z");
    }

    @Test
    void writesYearsBeyondFourDigitsAndBeforeTheCommonEraSigned() {
        // PostgreSQL's timestamptz spans 4713 BC (proleptic year -4712) to 294276 AD
        assertThat(text(utc(294276, 12, 31, 23, 59, 59, 999_999_000))).isEqualTo("+294276-12-31T23:59:59.999999Z");
        assertThat(text(utc(10000, 1, 1, 0, 0, 0, 0))).isEqualTo("+10000-01-01T00:00:00Z");
        assertThat(text(utc(9999, 12, 31, 23, 59, 59, 0))).isEqualTo("9999-12-31T23:59:59Z");
        assertThat(text(utc(1, 1, 1, 0, 0, 0, 0))).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(text(utc(0, 1, 1, 0, 0, 0, 0))).isEqualTo("0000-01-01T00:00:00Z");
        assertThat(text(utc(-44, 3, 15, 12, 0, 0, 0))).isEqualTo("-0044-03-15T12:00:00Z");
        assertThat(text(utc(-4712, 1, 1, 0, 0, 0, 0))).isEqualTo("-4712-01-01T00:00:00Z");
        assertThat(text(utc(-12345, 6, 7, 8, 9, 10, 0))).isEqualTo("-12345-06-07T08:09:10Z");
        assertThat(text(LocalDateTime.of(-999_999_999, 1, 1, 0, 0))).isEqualTo("-999999999-01-01T00:00:00");
        assertThat(text(OffsetDateTime.of(LocalDateTime.of(999_999_999, 12, 31, 23, 59, 59, 999_999_999),
                ZoneOffset.ofHoursMinutesSeconds(-17, -59, -59))))
                .isEqualTo("+999999999-12-31T23:59:59.999999999-17:59:59").hasSize(Iso8601Text.MAX_CHARS);
    }

    @Test
    void writesOffsetsAsZOrSignedHoursMinutesAndSecondsWhenPresent() {
        LocalDateTime t = LocalDateTime.of(2026, 3, 29, 2, 30);
        assertThat(text(OffsetDateTime.of(t, ZoneOffset.ofHoursMinutes(5, 30)))).isEqualTo("2026-03-29T02:30:00+05:30");
        assertThat(text(OffsetDateTime.of(t, ZoneOffset.ofHours(-8)))).isEqualTo("2026-03-29T02:30:00-08:00");
        assertThat(text(OffsetDateTime.of(t, ZoneOffset.ofHoursMinutesSeconds(0, 0, -30))))
                .isEqualTo("2026-03-29T02:30:00-00:00:30");
        assertThat(text(OffsetDateTime.of(t, ZoneOffset.ofHoursMinutesSeconds(0, 17, 30))))
                .isEqualTo("2026-03-29T02:30:00+00:17:30");
        // local mean times before standard time zones had offsets with seconds (Amsterdam's summer time of 1920)
        assertThat(text(OffsetDateTime.of(LocalDateTime.of(1920, 6, 1, 12, 0),
                ZoneOffset.ofHoursMinutesSeconds(1, 19, 32)))).isEqualTo("1920-06-01T12:00:00+01:19:32");
    }

    @Test
    void writesTheLocalTimeAroundDaylightSavingChangesAsGiven() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        // the hour that does not exist (spring forward) and the one that happens twice (fall back)
        assertThat(text(ZonedDateTime.of(LocalDateTime.of(2026, 3, 29, 2, 30), paris).toOffsetDateTime()))
                .isEqualTo("2026-03-29T03:30:00+02:00");
        ZonedDateTime first = ZonedDateTime.of(LocalDateTime.of(2026, 10, 25, 2, 30), paris);
        assertThat(text(first.withEarlierOffsetAtOverlap().toOffsetDateTime())).isEqualTo("2026-10-25T02:30:00+02:00");
        assertThat(text(first.withLaterOffsetAtOverlap().toOffsetDateTime())).isEqualTo("2026-10-25T02:30:00+01:00");
    }

    @Test
    void equalsTheJdkFormattersOnRandomInstantsOffsetsAndLocalTimes() {
        Random random = new Random(20261206);
        for (int i = 0; i < 100_000; i++) {
            long maxSecond = LocalDateTime.MAX.toEpochSecond(ZoneOffset.UTC);
            long minSecond = LocalDateTime.MIN.toEpochSecond(ZoneOffset.UTC);
            long second = switch (i % 4) {
                case 0 -> minSecond + (long) (random.nextDouble() * ((double) maxSecond - minSecond));
                case 1 -> -210_866_803_200L + (long) (random.nextDouble() * 9_498_000_000_000L); // PostgreSQL's range
                default -> random.nextInt(Integer.MAX_VALUE) * 2L; // 1970-2106
            };
            int nano = switch (i % 5) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000_000) * 1_000; // microseconds, as PostgreSQL stores them
                case 2 -> random.nextInt(1000) * 1_000_000;
                default -> random.nextInt(1_000_000_000);
            };
            LocalDateTime local;
            try {
                local = LocalDateTime.ofEpochSecond(second, nano, ZoneOffset.UTC);
            } catch (java.time.DateTimeException e) {
                continue;
            }
            ZoneOffset offset = i % 3 == 0 ? ZoneOffset.UTC
                    : ZoneOffset.ofTotalSeconds(random.nextInt(2 * 18 * 3600 + 1) - 18 * 3600);
            if (i % 7 == 0) {
                offset = ZoneOffset.ofTotalSeconds(offset.getTotalSeconds() / 900 * 900);
            }
            OffsetDateTime t = OffsetDateTime.of(local, offset);
            assertThat(text(t)).as("%s", t).isEqualTo(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t));
            assertThat(text(local)).as("%s", local).isEqualTo(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(local));
            // a MariaDB DATETIME, read as UTC: the text of the UTC instant, as a timestamptz's
            assertThat(utcText(local)).as("%s", local).isEqualTo(text(local.atOffset(ZoneOffset.UTC)));
        }
    }

    @Test
    void writesAUtcWallClockTimeAsTheInstantItStandsFor() {
        assertThat(utcText(LocalDateTime.of(2026, 12, 7, 10, 53, 36, 508_912_000)))
                .isEqualTo("2026-12-07T10:53:36.508912Z");
        assertThat(utcText(LocalDateTime.of(1000, 1, 1, 0, 0))).isEqualTo("1000-01-01T00:00:00Z");
        assertThat(utcText(LocalDateTime.MAX)).isEqualTo("+999999999-12-31T23:59:59.999999999Z")
                .hasSizeLessThanOrEqualTo(Iso8601Text.MAX_CHARS);
    }

    @Test
    void answersCarryTheTextAsAJsonStringAndInfinitiesAsWords() throws Exception {
        StringWriter json = new StringWriter();
        try (JsonGenerator g = QueryEndpoints.JSON.createGenerator(json)) {
            g.writeStartArray();
            ColumnKind.writeValue(g, utc(2026, 5, 1, 10, 15, 30, 500_000_000));
            ColumnKind.writeValue(g, LocalDateTime.of(2026, 5, 1, 10, 15, 30, 120_000_000));
            ColumnKind.writeValue(g, OffsetDateTime.MAX);
            ColumnKind.writeValue(g, OffsetDateTime.MIN);
            ColumnKind.writeValue(g, LocalDateTime.MAX);
            ColumnKind.writeValue(g, LocalDateTime.MIN);
            ColumnKind.writeValue(g, null);
            g.writeEndArray();
        }
        assertThat(json.toString()).isEqualTo("[\"2026-05-01T10:15:30.5Z\",\"2026-05-01T10:15:30.12\",\"infinity\","
                + "\"-infinity\",\"infinity\",\"-infinity\",null]");
    }
}
