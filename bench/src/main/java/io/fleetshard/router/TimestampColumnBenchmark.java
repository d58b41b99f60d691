package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A {@code timestamptz} value written into a {@code /v1/query} answer (issue 10): the JDK's
 * {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} then {@code writeString(String)} (before), against
 * {@link ColumnKind#writeValue} with the router's {@link Iso8601Text} (after). And a MariaDB {@code DATETIME} (ADR
 * 0050): written as a local date-time without offset (before) against as the UTC instant, with a {@code Z}
 * ({@link ColumnKind#writeUtcTimestamp}, after). In the router's package to reach its package-private classes. Run:
 * {@code java -cp <bench classpath> org.openjdk.jmh.Main TimestampColumnBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx1g", "-XX:+UseSerialGC"})
@State(Scope.Thread)
public class TimestampColumnBenchmark {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    private JsonGenerator g;
    private OffsetDateTime[] values;
    private LocalDateTime[] wallClock;
    private int next;

    @Setup
    public void setUp() throws IOException {
        g = QueryEndpoints.JSON.createGenerator(out);
        values = new OffsetDateTime[1024];
        java.util.SplittableRandom random = new java.util.SplittableRandom(10);
        for (int i = 0; i < values.length; i++) {
            // what pgjdbc hands out for a timestamptz: UTC, microseconds
            values[i] = OffsetDateTime.of(2026, 1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24),
                    random.nextInt(60), random.nextInt(60), random.nextInt(1_000_000) * 1000, ZoneOffset.UTC);
        }
        // what MariaDB Connector/J hands out for a DATETIME(6): the same values, without their offset
        wallClock = new LocalDateTime[values.length];
        for (int i = 0; i < values.length; i++) {
            wallClock[i] = values[i].toLocalDateTime();
        }
    }

    private OffsetDateTime nextValue() throws IOException {
        if (out.size() > 1 << 16) {
            g.flush();
            out.reset();
        }
        return values[next++ & (values.length - 1)];
    }

    private LocalDateTime nextWallClock() throws IOException {
        if (out.size() > 1 << 16) {
            g.flush();
            out.reset();
        }
        return wallClock[next++ & (wallClock.length - 1)];
    }

    @Benchmark
    public void jdkFormatter() throws IOException {
        g.writeString(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(nextValue()));
    }

    @Benchmark
    public void iso8601Text() throws IOException {
        ColumnKind.writeValue(g, nextValue());
    }

    @Benchmark
    public void mariaDbDateTimeWithoutOffset() throws IOException {
        ColumnKind.writeValue(g, nextWallClock());
    }

    @Benchmark
    public void mariaDbDateTimeAsUtcInstant() throws IOException {
        ColumnKind.writeUtcTimestamp(g, nextWallClock());
    }
}
