package io.debezium.connector.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.pipeline.Sizeable;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** cdc-capture's replacement of Debezium 3.5.0's change event queue (ADR 0054). */
class ChangeEventQueueTest {

    record Event(int n, long size) implements Sizeable {
        Event(int n) {
            this(n, 100);
        }

        @Override
        public long objectSize() {
            return size;
        }
    }

    private static ChangeEventQueue.Builder<Event> queue(Duration pollInterval, int maxBatch, int maxQueue) {
        return new ChangeEventQueue.Builder<Event>().pollInterval(pollInterval).maxBatchSize(maxBatch)
                .maxQueueSize(maxQueue).loggingContextSupplier(() -> null);
    }

    @Test
    void anEmptyQueuesPollWaitsWithoutSpinning() throws Exception {
        // Debezium 3.5.0's poll spins through the last millisecond of each interval: with a 1 ms interval its polling
        // thread used 20-35 % of a core here, this queue's 3-4 %
        ChangeEventQueue<Event> q = queue(Duration.ofMillis(1), 16, 64).build();
        pollFor(q, TimeUnit.MILLISECONDS.toNanos(200)); // warm-up
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long wallStart = System.nanoTime();
        int polls = pollFor(q, TimeUnit.MILLISECONDS.toNanos(600));
        long wall = System.nanoTime() - wallStart;
        long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
        assertThat(polls).as("each empty poll waits about its interval").isBetween(50, 1200);
        assertThat((double) cpu / wall).as("CPU share of a thread polling an empty queue").isLessThan(0.12);
    }

    private static int pollFor(ChangeEventQueue<Event> q, long nanos) throws InterruptedException {
        long start = System.nanoTime();
        int polls = 0;
        while (System.nanoTime() - start < nanos) {
            assertThat(q.poll()).isEmpty();
            polls++;
        }
        return polls;
    }

    @Test
    void eventsThatWaitedAWindowAlreadyAreReturnedAtOnce() throws Exception {
        ChangeEventQueue<Event> q = queue(Duration.ofSeconds(2), 2, 64).build();
        for (int i = 0; i < 3; i++) {
            q.enqueue(new Event(i));
        }
        assertThat(q.poll()).extracting(Event::n).containsExactly(0, 1); // a full batch does not wait
        // the batch's Kafka transaction takes a while; the third event waits through it
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
        long start = System.nanoTime();
        assertThat(q.poll()).extracting(Event::n).containsExactly(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no second window for an event that waited one")
                .isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aPollCollectsEventsForOneWindowFromTheFirst() throws Exception {
        ChangeEventQueue<Event> q = queue(Duration.ofMillis(300), 100, 1000).build();
        long start = System.nanoTime();
        CompletableFuture<List<Event>> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return q.poll();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        q.enqueue(new Event(1));
        q.enqueue(new Event(2));
        assertThat(polled.get(10, TimeUnit.SECONDS)).extracting(Event::n).containsExactly(1, 2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    }

    @Test
    void aProducerBlocksOnAFullQueueAndEveryEventArrivesOnceInOrder() throws Exception {
        ChangeEventQueue<Event> q = queue(Duration.ofMillis(5), 3, 4).build();
        int total = 500;
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    q.enqueue(new Event(i));
                    assertThat(q.remainingCapacity()).isBetween(0, 4);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        List<Integer> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.size() < total && System.nanoTime() < deadline) {
            List<Event> batch = q.poll();
            assertThat(batch.size()).isLessThanOrEqualTo(3);
            batch.forEach(e -> seen.add(e.n()));
        }
        producer.get(10, TimeUnit.SECONDS);
        assertThat(seen).hasSize(total);
        for (int i = 0; i < total; i++) {
            assertThat(seen.get(i)).isEqualTo(i);
        }
        assertThat(q.totalCapacity()).isEqualTo(4);
    }

    @Test
    void theByteLimitEndsABatchEarly() throws Exception {
        ChangeEventQueue<Event> q = queue(Duration.ofSeconds(5), 100, 100).maxQueueSizeInBytes(1000).build();
        for (int i = 0; i < 10; i++) {
            q.enqueue(new Event(i, 100));
        }
        assertThat(q.currentQueueSizeInBytes()).isEqualTo(1000);
        long start = System.nanoTime();
        assertThat(q.poll()).hasSize(10);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(q.currentQueueSizeInBytes()).isZero();
        assertThat(q.maxQueueSizeInBytes()).isEqualTo(1000);
    }

    @Test
    void bufferingHoldsTheLatestEventUntilTheNextOrAFlush() throws Exception {
        ChangeEventQueue<Event> q = queue(Duration.ofMillis(1), 10, 10).buffering().build();
        assertThat(q.isBuffered()).isTrue();
        q.enqueue(new Event(1));
        q.enqueue(new Event(2));
        assertThat(q.poll()).extracting(Event::n).containsExactly(1);
        q.flushBuffer(e -> new Event(e.n() + 100));
        q.disableBuffering();
        q.enqueue(new Event(3));
        assertThat(q.poll()).extracting(Event::n).containsExactly(102, 3);
        assertThat(q.isBuffered()).isFalse();
    }

    @Test
    void thePollThrowsTheProducersException() {
        ChangeEventQueue<Event> q = queue(Duration.ofMillis(1), 10, 10).build();
        q.producerException(new IllegalStateException("replication slot dropped"));
        assertThatThrownBy(q::poll).isInstanceOf(IllegalStateException.class).hasMessage("replication slot dropped");
    }
}
