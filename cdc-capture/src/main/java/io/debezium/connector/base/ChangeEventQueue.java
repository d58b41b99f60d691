package io.debezium.connector.base;

import io.debezium.config.ConfigurationDefaults;
import io.debezium.pipeline.Sizeable;
import io.debezium.util.LoggingContext.PreviousContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * FleetShard's replacement for Debezium 3.5.0's class of the same name (ADR 0054), which this module shadows on the
 * class path: the hand-over between a connector's log reader (the producer, which enqueues change events) and the
 * engine's poll loop (which takes them in batches, one Kafka transaction each in FleetShard's capture).
 *
 * <p>Debezium's version times its wait in whole milliseconds and treats "0 ms left" as "not expired yet", so the last
 * millisecond of every {@code poll.interval.ms} window is a busy loop: about 3 % of a core per connector with the
 * 20 ms interval capture uses, idle or not. It also always waits out the whole window from the start of each poll,
 * even for events that already waited through the previous batch's Kafka commit. This version waits on
 * {@link System#nanoTime()} deadlines and counts the window from the moment the oldest queued event arrived (as a
 * producer's {@code linger.ms} does): a poll returns at once with events that have waited a window already, waits for
 * the rest of the window otherwise, and returns early with a full batch ({@code max.batch.size} events or
 * {@code max.queue.size.in.bytes}). The producer blocks while the queue is full, as before.
 *
 * <p>The public API is Debezium 3.5.0's (the builder, {@code enqueue}, {@code flushBuffer}, buffering, the producer's
 * exception and the queue metrics); the connectors and the embedded engine call nothing else. {@code CaptureWorker}
 * warns at start when Debezium's class is loaded instead. Remove it once Debezium is upgraded past 3.5 with a poll
 * that does not spin (ADR 0054).
 */
public class ChangeEventQueue<T extends Sizeable> implements ChangeEventQueueMetrics {
    /** What {@code CaptureWorker} looks for to tell that this queue, not Debezium's, is loaded. */
    static final String FLEETSHARD_QUEUE = "fleetshard";
    /** Longest a producer sleeps on a full queue before it looks again, should no poll wake it. */
    private static final long MIN_FULL_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final long lingerNanos;
    private final int maxBatchSize;
    private final int maxQueueSize;
    private final long maxQueueSizeInBytes;
    private final QueueProvider<T> queue;
    private final Supplier<PreviousContext> loggingContextSupplier;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a batch is ready: {@code max.batch.size} events or the byte limit queued. */
    private final Condition batchReady = lock.newCondition();
    /** Signalled when a poll took events, so a producer blocked on a full queue may go on. */
    private final Condition spaceFreed = lock.newCondition();
    /** Sizes of the queued events, oldest first; kept only with a byte limit. Guarded by {@link #lock}. */
    private final ArrayDeque<Long> queuedSizes;
    /** Guarded by {@link #lock}. */
    private long queuedBytes;
    /** When the oldest event still queued arrived ({@link System#nanoTime()}); valid while the queue is not empty. */
    private long oldestQueuedNanos;

    /** The producer's single-event buffer (see {@link #flushBuffer}): set by the producer thread only. */
    private volatile boolean buffering;
    private final AtomicReference<T> bufferedEvent = new AtomicReference<>();
    private volatile RuntimeException producerException;

    private ChangeEventQueue(Builder<T> b) {
        Duration window = b.pollInterval.compareTo(ConfigurationDefaults.RETURN_CONTROL_INTERVAL) < 0 ? b.pollInterval
                : ConfigurationDefaults.RETURN_CONTROL_INTERVAL;
        this.lingerNanos = Math.max(0, window.toNanos());
        this.maxBatchSize = b.maxBatchSize;
        this.maxQueueSize = b.maxQueueSize;
        this.maxQueueSizeInBytes = b.maxQueueSizeInBytes;
        this.queue = b.queueProvider != null ? b.queueProvider : new DefaultQueueProvider<>(b.maxQueueSize);
        this.loggingContextSupplier = b.loggingContextSupplier;
        this.queuedSizes = new ArrayDeque<>(b.maxQueueSizeInBytes > 0 ? b.maxQueueSize : 0);
        this.buffering = b.buffering;
    }

    /** Debezium 3.5.0's builder API. */
    public static class Builder<T extends Sizeable> {
        private Duration pollInterval;
        private int maxQueueSize;
        private int maxBatchSize;
        private Supplier<PreviousContext> loggingContextSupplier;
        private long maxQueueSizeInBytes;
        private boolean buffering;
        private QueueProvider<T> queueProvider;

        public Builder<T> pollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
            return this;
        }

        public Builder<T> maxQueueSize(int maxQueueSize) {
            this.maxQueueSize = maxQueueSize;
            return this;
        }

        public Builder<T> maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        public Builder<T> loggingContextSupplier(Supplier<PreviousContext> loggingContextSupplier) {
            this.loggingContextSupplier = loggingContextSupplier;
            return this;
        }

        public Builder<T> maxQueueSizeInBytes(long maxQueueSizeInBytes) {
            this.maxQueueSizeInBytes = maxQueueSizeInBytes;
            return this;
        }

        /** The store behind the queue; null for an in-memory one sized {@code maxQueueSize}. */
        public Builder<T> queueProvider(QueueProvider<T> queueProvider) {
            this.queueProvider = queueProvider;
            return this;
        }

        public Builder<T> buffering() {
            this.buffering = true;
            return this;
        }

        public ChangeEventQueue<T> build() {
            if (pollInterval == null || maxQueueSize <= 0 || maxBatchSize <= 0) {
                throw new IllegalStateException("a change event queue needs a poll interval and positive max queue and"
                        + " batch sizes");
            }
            return new ChangeEventQueue<>(this);
        }
    }

    /**
     * Adds an event for {@link #poll()}, blocking while the queue is full. With buffering on, the event waits in a
     * one-event buffer and the one buffered before it is queued instead (see {@link #flushBuffer}).
     */
    public void enqueue(T record) throws InterruptedException {
        if (record == null) {
            return;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        T toQueue = buffering ? bufferedEvent.getAndSet(record) : record;
        if (toQueue != null) {
            doEnqueue(toQueue);
        }
    }

    /**
     * Queues the buffered event, if any, after applying {@code recordModifier} to it (a connector marks the last
     * event of a snapshot that way once it knows no other follows).
     */
    public void flushBuffer(Function<T, T> recordModifier) throws InterruptedException {
        T record = bufferedEvent.getAndSet(null);
        if (record != null) {
            doEnqueue(recordModifier.apply(record));
        }
    }

    /** Stops buffering; the buffer must have been flushed. */
    public void disableBuffering() {
        buffering = false;
    }

    public void enableBuffering() {
        buffering = true;
    }

    public boolean isBuffered() {
        return buffering;
    }

    protected void doEnqueue(T record) throws InterruptedException {
        lock.lock();
        try {
            while (queue.size() >= maxQueueSize || byteLimitReached()) {
                batchReady.signalAll();
                spaceFreed.await(Math.max(lingerNanos, MIN_FULL_WAIT_NANOS), TimeUnit.NANOSECONDS);
            }
            if (queue.size() == 0) {
                oldestQueuedNanos = System.nanoTime();
            }
            queue.enqueue(record);
            if (maxQueueSizeInBytes > 0) {
                long size = record.objectSize();
                queuedSizes.add(size);
                queuedBytes += size;
            }
            if (queue.size() >= maxBatchSize || byteLimitReached()) {
                batchReady.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next batch: at most {@code max.batch.size} events, returned once the oldest of them has waited a poll
     * interval, or at once when the batch is full (in events, or in bytes with a byte limit); empty when no event arrived within a poll
     * interval. Throws the producer's exception, if it reported one.
     */
    public List<T> poll() throws InterruptedException {
        PreviousContext previousContext = loggingContextSupplier == null ? null : loggingContextSupplier.get();
        try {
            lock.lock();
            try {
                throwProducerExceptionIfPresent();
                long start = System.nanoTime();
                long windowStart = queue.size() > 0 && oldestQueuedNanos - start < 0 ? oldestQueuedNanos : start;
                long deadline = windowStart + lingerNanos;
                List<T> records = new ArrayList<>(Math.min(maxBatchSize, Math.max(16, queue.size())));
                long batchBytes = 0;
                while (true) {
                    batchBytes += drainInto(records);
                    boolean bytesFull = maxQueueSizeInBytes > 0 && batchBytes >= maxQueueSizeInBytes;
                    if (records.size() >= maxBatchSize || bytesFull) {
                        break;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    spaceFreed.signalAll();
                    batchReady.awaitNanos(left);
                    throwProducerExceptionIfPresent();
                }
                spaceFreed.signalAll();
                return records;
            } finally {
                lock.unlock();
            }
        } finally {
            if (previousContext != null) {
                previousContext.restore();
            }
        }
    }

    /** Moves queued events into {@code records}, up to a batch; returns their bytes (0 without a byte limit). */
    private long drainInto(List<T> records) throws InterruptedException {
        int n = Math.min(queue.size(), maxBatchSize - records.size());
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            records.add(queue.poll());
            if (maxQueueSizeInBytes > 0) {
                Long size = queuedSizes.poll();
                bytes += size == null ? 0 : size;
            }
        }
        queuedBytes -= bytes;
        return bytes;
    }

    private boolean byteLimitReached() {
        return maxQueueSizeInBytes > 0 && queuedBytes >= maxQueueSizeInBytes;
    }

    /** Called by the producer before it stops on a failure: the next {@link #poll()} throws it. */
    public void producerException(RuntimeException producerException) {
        this.producerException = producerException;
    }

    private void throwProducerExceptionIfPresent() {
        RuntimeException e = producerException;
        if (e != null) {
            throw e;
        }
    }

    @Override
    public int totalCapacity() {
        return maxQueueSize;
    }

    @Override
    public int remainingCapacity() {
        return maxQueueSize - queue.size();
    }

    @Override
    public long maxQueueSizeInBytes() {
        return maxQueueSizeInBytes;
    }

    @Override
    public long currentQueueSizeInBytes() {
        return queuedBytes;
    }
}
