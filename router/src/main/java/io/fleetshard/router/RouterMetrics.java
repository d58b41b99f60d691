package io.fleetshard.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The router's meters, looked up once and cached so the request path does no registry lookups:
 * <ul>
 *   <li>{@code fleetshard_router_query_seconds{shard,kind}}: latency of single-shard statements per shard and
 *       read/write, with p50/p95/p99; its count's rate is the per-shard QPS.</li>
 *   <li>{@code fleetshard_router_scatter_seconds}: latency of scatter queries.</li>
 *   <li>{@code fleetshard_router_responses_total{endpoint,status}}: every response by status (errors included).</li>
 *   <li>{@code fleetshard_router_held_writes_total{outcome}}: writes held by a shard's reshard fence (ADR 0013),
 *       {@code retried} on the fleet's new shard or {@code timed-out} (503); and
 *       {@code fleetshard_router_held_writes_waiting}: how many are held right now.</li>
 *   <li>{@code fleetshard_router_replica_lag_ms{shard,node}}: registered by the prober.</li>
 * </ul>
 */
final class RouterMetrics {
    static final String QUERY = "query";
    static final String SCATTER = "scatter";
    static final String BATCH = "batch";
    static final String HELD_RETRIED = "retried";
    static final String HELD_TIMED_OUT = "timed-out";

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer[]> queryTimers = new ConcurrentHashMap<>();
    private final Timer scatterTimer;
    private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> responses = new ConcurrentHashMap<>();
    private final Counter heldRetried;
    private final Counter heldTimedOut;
    private final AtomicInteger heldNow = new AtomicInteger();

    RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.scatterTimer = Timer.builder("fleetshard.router.scatter")
                .description("Latency of scatter queries, all shards merged")
                .publishPercentiles(0.5, 0.95, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1))
                .register(registry);
        this.heldRetried = heldWrites(HELD_RETRIED);
        this.heldTimedOut = heldWrites(HELD_TIMED_OUT);
        Gauge.builder("fleetshard.router.held.writes.waiting", heldNow, AtomicInteger::get)
                .description("Writes held right now because the shard fenced their fleet for a move (ADR 0013)")
                .register(registry);
    }

    /** A write starts (+1) or stops (-1) waiting in a hold. */
    void heldWritesWaiting(int delta) {
        heldNow.addAndGet(delta);
    }

    private Counter heldWrites(String outcome) {
        return Counter.builder("fleetshard.router.held.writes")
                .description("Writes held because the shard fenced their fleet for a move (ADR 0013), by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** A held write ended: {@link #HELD_RETRIED} or {@link #HELD_TIMED_OUT}. */
    void recordHeldWrite(String outcome) {
        (HELD_RETRIED.equals(outcome) ? heldRetried : heldTimedOut).increment();
    }

    void recordQuery(String shardId, StatementKind kind, long nanos) {
        Timer[] t = queryTimers.get(shardId);
        if (t == null) {
            t = queryTimers.computeIfAbsent(shardId, id -> new Timer[] {queryTimer(id, "read"), queryTimer(id, "write")});
        }
        t[kind.isRead() ? 0 : 1].record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer queryTimer(String shardId, String kind) {
        return Timer.builder("fleetshard.router.query")
                .description("Latency of single-shard statements, from request to response body")
                .tag("shard", shardId).tag("kind", kind)
                .publishPercentiles(0.5, 0.95, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1))
                .register(registry);
    }

    void recordScatter(long nanos) {
        scatterTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    void recordResponse(String endpoint, int status) {
        int s = status < 100 || status > 599 ? 599 : status;
        AtomicReferenceArray<Counter> byStatus = responses.computeIfAbsent(endpoint,
                e -> new AtomicReferenceArray<>(600));
        Counter c = byStatus.get(s);
        if (c == null) {
            c = Counter.builder("fleetshard.router.responses")
                    .description("Responses by endpoint and HTTP status; non-2xx are errors")
                    .tag("endpoint", endpoint).tag("status", Integer.toString(s))
                    .register(registry);
            byStatus.set(s, c);
        }
        c.increment();
    }
}
