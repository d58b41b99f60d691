package io.fleetshard.router;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * HikariCP's Micrometer metrics for one node pool, which can be taken off the registry when the pool retires, before
 * it closes.
 *
 * <p>A node whose role or URL changes (a failover makes a replica the primary) gets a new pool under the same name
 * while the old one retires for a request timeout. Micrometer keeps the first registration of a meter id, so the new
 * pool's gauges would be the old pool's; and the old pool's close removes its meters by id, which then takes the
 * new pool's off the registry too, leaving the node without pool metrics. {@link #detach} removes the old pool's
 * meters at retirement instead, before the new pool registers, and makes its later close leave the registry alone.
 */
final class PoolMetrics implements MetricsTrackerFactory {
    private final MicrometerMetricsTrackerFactory micrometer;
    private volatile Tracker tracker;

    PoolMetrics(MeterRegistry registry) {
        this.micrometer = new MicrometerMetricsTrackerFactory(registry);
    }

    @Override
    public IMetricsTracker create(String poolName, PoolStats poolStats) {
        Tracker t = new Tracker(micrometer.create(poolName, poolStats));
        tracker = t;
        return t;
    }

    /** Removes the pool's meters from the registry now; what the pool records afterwards is dropped. */
    void detach() {
        Tracker t = tracker;
        if (t != null) {
            t.detach();
        }
    }

    private static final class Tracker implements IMetricsTracker {
        private final IMetricsTracker delegate;
        private volatile boolean detached;

        Tracker(IMetricsTracker delegate) {
            this.delegate = delegate;
        }

        synchronized void detach() {
            if (!detached) {
                detached = true;
                delegate.close();
            }
        }

        @Override
        public void recordConnectionCreatedMillis(long millis) {
            if (!detached) {
                delegate.recordConnectionCreatedMillis(millis);
            }
        }

        @Override
        public void recordConnectionAcquiredNanos(long nanos) {
            if (!detached) {
                delegate.recordConnectionAcquiredNanos(nanos);
            }
        }

        @Override
        public void recordConnectionUsageMillis(long millis) {
            if (!detached) {
                delegate.recordConnectionUsageMillis(millis);
            }
        }

        @Override
        public void recordConnectionTimeout() {
            if (!detached) {
                delegate.recordConnectionTimeout();
            }
        }

        @Override
        public void close() {
            detach();
        }
    }
}
