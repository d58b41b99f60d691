package io.fleetshard.standby;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/** Per-shard meters (tag {@code shard}); names are documented in the module README. */
final class StandbyMetrics {
    private final MeterRegistry registry;
    private final String shardId;
    private final Counter rows;
    private final Counter manifests;
    private final Timer manifestApply;

    StandbyMetrics(MeterRegistry registry, String shardId, Supplier<StandbyStatus> status, java.time.Clock clock) {
        this.registry = registry;
        this.shardId = shardId;
        this.rows = Counter.builder("fleetshard.standby.rows").description("change events applied to the standby")
                .tag("shard", shardId).register(registry);
        this.manifests = Counter.builder("fleetshard.standby.manifests").description("manifests applied")
                .tag("shard", shardId).register(registry);
        this.manifestApply = Timer.builder("fleetshard.standby.manifest.apply").description("one manifest's transaction")
                .tag("shard", shardId).publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("fleetshard.standby.applied.seq", status, s -> s.get().appliedSeq()).tag("shard", shardId)
                .description("last manifest wholly applied").strongReference(true).register(registry);
        Gauge.builder("fleetshard.standby.archive.seq", status, s -> s.get().archiveSeq()).tag("shard", shardId)
                .description("latest manifest of the archive, as last listed").strongReference(true).register(registry);
        Gauge.builder("fleetshard.standby.lag.manifests", status, s -> s.get().lagManifests()).tag("shard", shardId)
                .strongReference(true).register(registry);
        Gauge.builder("fleetshard.standby.lag.ms", status, s -> s.get().lagMs()).tag("shard", shardId)
                .description("now minus the last applied commit time while behind, else 0").strongReference(true).register(registry);
        Gauge.builder("fleetshard.standby.rpo.ms", status, s -> s.get().rpoMs(clock.millis())).tag("shard", shardId)
                .description("now minus the time before which the standby holds every change of the primary (ADR 0048);"
                        + " NaN while unknown").strongReference(true).register(registry);
    }

    void applied(long events, long nanos) {
        rows.increment(events);
        manifests.increment();
        manifestApply.record(Duration.ofNanos(nanos));
    }

    void error(String kind) {
        Counter.builder("fleetshard.standby.errors").tag("shard", shardId).tag("kind", kind).register(registry).increment();
    }
}
