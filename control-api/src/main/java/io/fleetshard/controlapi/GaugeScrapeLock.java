package io.fleetshard.controlapi;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Makes every {@code /metrics} scrape see the node gauges of one probe round, whole.
 *
 * <p>A round re-registers the rows of each node {@code MultiGauge}: Micrometer removes a row's meter and adds it again,
 * and the Prometheus registry drops a metric's collector when its last meter goes and creates a new one when a meter
 * of that name comes back. A scrape walks the registry's collectors without a snapshot, so one running meanwhile could
 * collect the old and the new collector of a name (the same labels twice: {@code DuplicateLabelsException}, a 500) or
 * a row set half replaced (a node missing, or a removed node still there). Publishing a round's rows holds the write
 * lock, a scrape the read lock: scrapes still run side by side, and wait only for the few microseconds a publication
 * takes. Two rounds (the scheduled one and a test's) never register the same gauge at once either.
 */
final class GaugeScrapeLock {
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    /** Runs a round's gauge registrations with no scrape under way. */
    void publish(Runnable registrations) {
        Lock write = lock.writeLock();
        write.lock();
        try {
            registrations.run();
        } finally {
            write.unlock();
        }
    }

    /** The registry's exposition text, taken between publications. */
    String scrape(PrometheusMeterRegistry registry) {
        Lock read = lock.readLock();
        read.lock();
        try {
            return registry.scrape();
        } finally {
            read.unlock();
        }
    }
}
