package io.fleetshard.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Meters of one delta sync job, tagged {@code job}; removed from the registry when the job stops. */
final class DeltaSyncMetrics {
    static final String APPLIED = "fleetshard.reshard.delta.events.applied";
    static final String LAG = "fleetshard.reshard.delta.lag";
    static final String BATCH = "fleetshard.reshard.delta.apply.batch";
    static final String ERRORS = "fleetshard.reshard.delta.errors";

    private final MeterRegistry registry;
    private final Counter applied;
    private final Timer batch;
    private final Counter errors;
    private final Gauge lag;

    DeltaSyncMetrics(MeterRegistry registry, String jobId, Supplier<Number> lagRecords) {
        this.registry = registry;
        this.applied = Counter.builder(APPLIED).tag("job", jobId)
                .description("Shard-log changes applied to the target shard").register(registry);
        this.batch = Timer.builder(BATCH).tag("job", jobId).publishPercentiles(0.5, 0.99)
                .description("One target transaction: marker, changes, progress row").register(registry);
        this.errors = Counter.builder(ERRORS).tag("job", jobId)
                .description("Failures of the job's stream thread (target transaction, envelope, Kafka)").register(registry);
        this.lag = Gauge.builder(LAG, lagRecords).tag("job", jobId)
                .description("Shard-log records not yet read by the job (-1: unknown)").register(registry);
    }

    void batch(long nanos, int changesApplied) {
        batch.record(nanos, TimeUnit.NANOSECONDS);
        applied.increment(changesApplied);
    }

    void error() {
        errors.increment();
    }

    void remove() {
        for (Meter m : List.<Meter>of(applied, batch, errors, lag)) {
            registry.remove(m);
        }
    }
}
