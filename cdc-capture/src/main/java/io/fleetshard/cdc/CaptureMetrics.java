package io.fleetshard.cdc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Per-shard meters. Names are documented in the module README. */
final class CaptureMetrics {
    private final MeterRegistry registry;
    private final String shardId;
    private final Timer commitLag;
    private final Counter deadLetters;
    private final AtomicLong sourceLagBytes = new AtomicLong(-1);

    CaptureMetrics(MeterRegistry registry, String shardId) {
        this.registry = registry;
        this.shardId = shardId;
        this.commitLag = Timer.builder("fleetshard.cdc.commit.lag")
                .description("source commit to committed in the change topic").tag("shard", shardId)
                .publishPercentiles(0.5, 0.99).register(registry);
        this.deadLetters = Counter.builder("fleetshard.cdc.dead.letters").tag("shard", shardId).register(registry);
        registry.gauge("fleetshard.cdc.source.lag.bytes", io.micrometer.core.instrument.Tags.of("shard", shardId),
                sourceLagBytes, AtomicLong::doubleValue);
    }

    void published(String table, int count) {
        Counter.builder("fleetshard.cdc.events").description("change events committed to change topics")
                .tag("shard", shardId).tag("table", table).register(registry).increment(count);
    }

    /** Changes of resharder transactions (ADR 0013): in the shard log only. */
    void resharderEvents(int count) {
        Counter.builder("fleetshard.cdc.resharder.events")
                .description("changes of resharder transactions, written to the shard log only")
                .tag("shard", shardId).register(registry).increment(count);
    }

    /** Transactions capture published that the shard's new primary lacks, and the retractions published (ADR 0029). */
    void lostTransactions(int transactions, int retractions) {
        Counter.builder("fleetshard.cdc.lost.transactions")
                .description("transactions published by capture that the shard's current primary does not hold")
                .tag("shard", shardId).register(registry).increment(transactions);
        Counter.builder("fleetshard.cdc.retractions")
                .description("retraction events published for changes of lost transactions")
                .tag("shard", shardId).register(registry).increment(retractions);
    }

    void commitLag(long lagMs) {
        commitLag.record(Duration.ofMillis(Math.max(0, lagMs)));
    }

    void deadLetter() {
        deadLetters.increment();
    }

    void error(String kind) {
        Counter.builder("fleetshard.cdc.errors").tag("shard", shardId).tag("kind", kind).register(registry).increment();
    }

    void sourceLagBytes(long bytes) {
        sourceLagBytes.set(bytes);
    }
}
