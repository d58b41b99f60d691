package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.connector.postgresql.connection.DateTimeFormat;
import io.debezium.time.ZonedTimestamp;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjuster;
import java.time.temporal.TemporalAdjusters;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The time classes this module shadows (ADR 0057) against Debezium 3.5.0's own, loaded from Debezium's jars beside
 * them: the same text for every value, the same value or the same failure for every text.
 */
class DebeziumTimeShadowsTest {
    private static final int VALUES = 50_000;
    private final Random random = new Random(20261207);

    @Test
    void theModulesTimeClassesShadowDebeziumsOnTheClassPath() {
        assertThat(DebeziumShadows.cheapTimeTextLoaded()).isTrue();
    }

    @Test
    void zonedTimestampWritesDebeziumsTextForEveryValue() throws Exception {
        Class<?> original = OriginalClasses.of(ZonedTimestamp.class, "io.debezium.time.Conversions")
                .loadClass(ZonedTimestamp.class.getName());
        Method zoned = original.getMethod("toIsoString", ZonedDateTime.class, TemporalAdjuster.class, Integer.class);
        Method offset = original.getMethod("toIsoString", OffsetDateTime.class, TemporalAdjuster.class);
        Method any = original.getMethod("toIsoString", Object.class, ZoneId.class, TemporalAdjuster.class,
                Integer.class);
        List<Integer> widths = Arrays.asList(null, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        for (int i = 0; i < VALUES; i++) {
            ZonedDateTime t = randomDateTime().atZone(randomZone());
            Integer width = widths.get(random.nextInt(widths.size()));
            TemporalAdjuster adjuster = random.nextInt(10) == 0 ? TemporalAdjusters.firstDayOfMonth() : null;
            assertThat(ZonedTimestamp.toIsoString(t, adjuster, width)).as("%s width %s", t, width)
                    .isEqualTo(invoke(zoned, t, adjuster, width));
            OffsetDateTime o = t.toOffsetDateTime();
            assertThat(ZonedTimestamp.toIsoString(o, adjuster)).as("%s", o).isEqualTo(invoke(offset, o, adjuster));
            Object value = switch (random.nextInt(4)) {
                case 0 -> java.sql.Timestamp.from(t.toInstant());
                case 1 -> java.util.Date.from(t.toInstant());
                case 2 -> OffsetTime.from(o);
                default -> java.sql.Date.valueOf(t.toLocalDate());
            };
            ZoneId zone = randomZone();
            // an OffsetTime has no date for the formatter to print: both classes fail alike
            assertSame(value + " in " + zone, () -> ZonedTimestamp.toIsoString(value, zone, adjuster, width),
                    () -> invoke(any, value, zone, adjuster, width));
        }
    }

    @Test
    void dateTimeFormatReadsEveryTextAsDebeziumDoes() throws Exception {
        Class<?> original = OriginalClasses
                .of(DateTimeFormat.class, DateTimeFormat.class.getName() + "$ISODateTimeFormat")
                .loadClass(DateTimeFormat.class.getName());
        Object theirs = original.getMethod("get").invoke(null);
        DateTimeFormat ours = DateTimeFormat.get();
        Method tz = original.getMethod("timestampWithTimeZoneToOffsetDateTime", String.class);
        Method plain = original.getMethod("timestampToInstant", String.class);
        Method date = original.getMethod("date", String.class);
        for (int i = 0; i < VALUES; i++) {
            LocalDateTime t = randomDateTime();
            String local = postgresText(t);
            String era = local.endsWith(" BC") ? " BC" : "";
            String withOffset = local.replace(" BC", "") + offsetText(randomOffset()) + era;
            boolean mangle = random.nextInt(25) == 0;
            String tzText = mangle ? mangle(withOffset) : withOffset;
            String plainText = mangle ? mangle(local) : local;
            String dateText = random.nextInt(50) == 0 ? List.of("infinity", "-infinity").get(random.nextInt(2))
                    : mangle ? mangle(local.substring(0, local.indexOf(' '))) : local.substring(0, local.indexOf(' '));
            assertSame(tzText, () -> ours.timestampWithTimeZoneToOffsetDateTime(tzText),
                    () -> invoke(tz, theirs, tzText));
            assertSame(plainText, () -> ours.timestampToInstant(plainText), () -> invoke(plain, theirs, plainText));
            assertSame(dateText, () -> ours.date(dateText), () -> invoke(date, theirs, dateText));
        }
    }

    /** Both give equal values, or both fail with the same exception class. */
    private static void assertSame(String input, Supplier<Object> ours, Supplier<Object> theirs) {
        assertThat(outcome(ours)).as("'%s'", input).isEqualTo(outcome(theirs));
    }

    private static Object outcome(Supplier<Object> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    /** Years 1-9999 mostly, in PostgreSQL's ISO style; now and then a far year or BC, fractions of 0-9 digits. */
    private LocalDateTime randomDateTime() {
        int year = switch (random.nextInt(20)) {
            case 0 -> -random.nextInt(300_000);
            case 1 -> 10_000 + random.nextInt(290_000);
            default -> 1 + random.nextInt(9999);
        };
        LocalDateTime t = LocalDateTime.of(year, 1, 1, 0, 0)
                .plusSeconds(random.nextInt(366 * 86_400));
        int digits = random.nextInt(10);
        int nano = digits == 0 ? 0 : random.nextInt(1_000_000_000);
        return t.withNano(random.nextInt(5) == 0 ? nano / 1000 * 1000 : nano);
    }

    /** How PostgreSQL prints a timestamp: a space before the time, trailing zeros of the fraction dropped, BC. */
    private static String postgresText(LocalDateTime t) {
        boolean bc = t.getYear() <= 0;
        int yearOfEra = bc ? 1 - t.getYear() : t.getYear();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d", yearOfEra,
                t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
        if (t.getNano() != 0) {
            b.append(String.format(Locale.ROOT, ".%09d", t.getNano()).replaceAll("0+$", ""));
        }
        return bc ? b.append(" BC").toString() : b.toString();
    }

    private ZoneOffset randomOffset() {
        return switch (random.nextInt(4)) {
            case 0 -> ZoneOffset.UTC;
            case 1 -> ZoneOffset.ofTotalSeconds((random.nextInt(37) - 18) * 3600);
            case 2 -> ZoneOffset.ofTotalSeconds((random.nextInt(145) - 72) * 900);
            default -> ZoneOffset.ofTotalSeconds(random.nextInt(2 * 64_800 + 1) - 64_800);
        };
    }

    private ZoneId randomZone() {
        return random.nextBoolean() ? randomOffset() : ZoneId.of(List.of("Europe/Berlin", "America/Sao_Paulo",
                "Asia/Kolkata", "Australia/Lord_Howe", "UTC").get(random.nextInt(5)));
    }

    /** {@code +HH}, {@code +HH:MM} or {@code +HH:MM:SS} as PostgreSQL prints an offset. */
    private static String offsetText(ZoneOffset offset) {
        int total = offset.getTotalSeconds();
        int abs = Math.abs(total);
        String text = String.format(Locale.ROOT, "%s%02d", total < 0 ? "-" : "+", abs / 3600);
        if (abs % 3600 != 0) {
            text += String.format(Locale.ROOT, ":%02d", abs / 60 % 60);
            if (abs % 60 != 0) {
                text += String.format(Locale.ROOT, ":%02d", abs % 60);
            }
        }
        return text;
    }

    /** One character replaced, dropped or doubled. */
    private String mangle(String s) {
        int at = random.nextInt(s.length());
        char c = "0123456789:-+. Z9".charAt(random.nextInt(17));
        return switch (random.nextInt(3)) {
            case 0 -> s.substring(0, at) + c + s.substring(at + 1);
            case 1 -> s.substring(0, at) + s.substring(at + 1);
            default -> s.substring(0, at) + s.charAt(at) + s.substring(at);
        };
    }

    private static Object invoke(Method m, Object... args) {
        try {
            return Objects.requireNonNull(m.invoke(null, args));
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object invoke(Method m, Object target, String text) {
        try {
            return m.invoke(target, text);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Loads the named classes from the Debezium jar that the shadowed class's neighbours come from (not from this
     * module, which is first on the class path), everything else from the test's class path.
     */
    static final class OriginalClasses extends ClassLoader {
        private final URL jar;
        private final Set<String> names;

        private OriginalClasses(URL jar, Set<String> names) {
            super(OriginalClasses.class.getClassLoader());
            this.jar = jar;
            this.names = names;
        }

        /** The jar is found through a class of the shadowed class's package that this module does not shadow. */
        static OriginalClasses of(Class<?> shadowed, String... alsoFromTheJar) throws Exception {
            String neighbour = shadowed == ZonedTimestamp.class ? "io.debezium.time.MicroTimestamp"
                    : "io.debezium.connector.postgresql.connection.AbstractColumnValue";
            URL jar = Class.forName(neighbour).getProtectionDomain().getCodeSource().getLocation();
            assertThat(jar.getPath()).as("Debezium's jar").endsWith(".jar");
            return new OriginalClasses(jar, Set.of(Stream.concat(
                    Stream.of(shadowed.getName()), Arrays.stream(alsoFromTheJar))
                    .toArray(String[]::new)));
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!names.contains(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    URI entry = URI.create("jar:" + jar + "!/" + name.replace('.', '/') + ".class");
                    try (InputStream in = entry.toURL().openStream()) {
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return c;
            }
        }
    }
}
