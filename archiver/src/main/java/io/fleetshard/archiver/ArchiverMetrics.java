package io.fleetshard.archiver;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Per-shard meters of the archiver; names are documented in the module README. */
final class ArchiverMetrics {
    private final MeterRegistry registry;
    private final String shardId;
    private final Timer rpo;
    private final Counter events;
    private final Counter segments;
    private final Counter bytes;
    private final AtomicLong lagRecords = new AtomicLong(-1);
    private final AtomicLong pendingRecords = new AtomicLong();

    ArchiverMetrics(MeterRegistry registry, String shardId) {
        this.registry = registry;
        this.shardId = shardId;
        Tags tags = Tags.of("shard", shardId);
        this.rpo = Timer.builder("fleetshard.archive.rpo").description("source commit to durable in a manifest")
                .tags(tags).publishPercentiles(0.5, 0.99).register(registry);
        this.events = Counter.builder("fleetshard.archive.events").description("change events in stored manifests")
                .tags(tags).register(registry);
        this.segments = Counter.builder("fleetshard.archive.segments").tags(tags).register(registry);
        this.bytes = Counter.builder("fleetshard.archive.bytes").description("compressed segment bytes stored")
                .tags(tags).register(registry);
        registry.gauge("fleetshard.archive.lag.records", tags, lagRecords, AtomicLong::doubleValue);
        registry.gauge("fleetshard.archive.pending.records", tags, pendingRecords, AtomicLong::doubleValue);
    }

    void archived(long[] commitTsMs, int count, long durableAtMs, long segmentBytes) {
        for (int i = 0; i < count; i++) {
            rpo.record(Duration.ofMillis(Math.max(0, durableAtMs - commitTsMs[i])));
        }
        events.increment(count);
        segments.increment();
        bytes.increment(segmentBytes);
    }

    void error(String kind) {
        Counter.builder("fleetshard.archive.errors").tag("shard", shardId).tag("kind", kind).register(registry).increment();
    }

    void lagRecords(long lag) {
        lagRecords.set(lag);
    }

    void pendingRecords(int pending) {
        pendingRecords.set(pending);
    }

    /** Unregisters this shard's gauges when the shard moves to another archiver (so it is not reported twice). */
    void remove() {
        registry.find("fleetshard.archive.lag.records").tag("shard", shardId).meters().forEach(registry::remove);
        registry.find("fleetshard.archive.pending.records").tag("shard", shardId).meters().forEach(registry::remove);
    }
}
