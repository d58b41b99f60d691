package io.fleetshard.cdc;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * A shard's Kafka transactions, one per engine batch, on two transactional producers used in turn (ADR 0049): batch
 * N's commit runs on a committer thread while the engine's thread maps and sends batch N+1 on the other producer.
 * What one producer gave, this keeps:
 * <ul>
 *   <li>log order = batch order: N's sends are acknowledged ({@code flush}) before {@link #commit} hands N to the
 *   committer, so N+1's sends, which start after that, land behind N's in every partition;</li>
 *   <li>exactly once: N+1's commit is issued only after N's succeeded; if N's failed, N+1 is aborted and
 *   {@link #commit} throws, and the engine restarts from the last committed offset;</li>
 *   <li>a batch is {@linkplain Committed#acknowledge acknowledged} (its records marked processed, which lets the
 *   source confirm them) only after its commit succeeded, on the engine's thread, in the next batch's turn.</li>
 * </ul>
 * Not thread-safe: {@link #begin}, {@link #commit} and {@link #abortOpen} are called by the engine's one thread.
 */
final class AlternatingTransactions implements AutoCloseable {
    /** A batch whose transaction was handed to the committer. */
    interface Committed {
        /** On the committer thread, as soon as the transaction committed. */
        void committed(Timing timing);

        /** On the engine's thread, in the next batch's turn (never if the engine stops first): mark it processed. */
        void acknowledge() throws InterruptedException;
    }

    /**
     * When a batch's steps ended (epoch ms).
     *
     * @param flushedMs its sends were acknowledged
     * @param previousCommittedMs the previous batch's commit was seen to have succeeded (= flushedMs if it already had)
     * @param committedMs its own commit returned
     */
    record Timing(long flushedMs, long previousCommittedMs, long committedMs) {
    }

    private record Pending(Future<?> commit, Committed batch) {
    }

    private final List<? extends Producer<byte[], byte[]>> producers;
    private final ExecutorService committer;
    private final Clock clock;
    private int turn;
    private Producer<byte[], byte[]> open;
    private Pending pending;

    /**
     * @param producers transactional producers with distinct ids, each already {@code initTransactions()}-ed (which
     *     fences earlier owners and ends their open transactions); closed by {@link #close}
     */
    AlternatingTransactions(List<? extends Producer<byte[], byte[]>> producers, String threadName, Clock clock) {
        if (producers.isEmpty()) {
            throw new IllegalArgumentException("no producer");
        }
        this.producers = List.copyOf(producers);
        this.clock = clock;
        this.committer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Begins the next batch's transaction on the producer whose turn it is, and returns that producer. */
    Producer<byte[], byte[]> begin() {
        if (open != null) {
            throw new IllegalStateException("a batch's transaction is still open");
        }
        Producer<byte[], byte[]> p = producers.get(turn);
        turn = (turn + 1) % producers.size();
        p.beginTransaction();
        open = p;
        return p;
    }

    /**
     * Waits for the open transaction's sends to be acknowledged and for the previous batch's commit; acknowledges the
     * previous batch and hands this one's commit to the committer thread. If the previous commit failed, aborts the
     * open transaction and throws that failure ({@link KafkaException}).
     */
    void commit(Committed batch) throws InterruptedException {
        Producer<byte[], byte[]> p = open;
        if (p == null) {
            throw new IllegalStateException("no open transaction");
        }
        p.flush();
        long flushedMs = clock.millis();
        awaitPrevious();
        long previousMs = clock.millis();
        open = null;
        pending = new Pending(committer.submit(() -> commitOn(p, batch, flushedMs, previousMs)), batch);
    }

    private void commitOn(Producer<byte[], byte[]> p, Committed batch, long flushedMs, long previousMs) {
        try {
            p.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            throw e; // a fenced producer can neither commit nor abort
        } catch (KafkaException e) {
            try {
                p.abortTransaction();
            } catch (RuntimeException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
        batch.committed(new Timing(flushedMs, previousMs, clock.millis()));
    }

    private void awaitPrevious() throws InterruptedException {
        Pending previous = pending;
        if (previous == null) {
            return;
        }
        try {
            previous.commit().get();
        } catch (ExecutionException e) {
            pending = null;
            RuntimeException failure = e.getCause() instanceof RuntimeException r ? r
                    : new KafkaException("the previous batch's commit failed", e.getCause());
            abortOpen(failure);
            throw failure;
        }
        pending = null;
        previous.batch().acknowledge();
    }

    /** Aborts the open transaction if there is one; a failure to abort is added to {@code cause}. */
    void abortOpen(Throwable cause) {
        Producer<byte[], byte[]> p = open;
        open = null;
        if (p == null) {
            return;
        }
        try {
            p.abortTransaction();
        } catch (RuntimeException abortFailure) {
            cause.addSuppressed(abortFailure);
        }
    }

    /**
     * Waits up to {@code timeoutMs} for the commit in flight (its batch is not acknowledged: the engine has stopped;
     * the source resumes from the committed offset); returns its failure, or null if it committed or there was none.
     */
    Throwable awaitInFlight(long timeoutMs) throws InterruptedException {
        Pending previous = pending;
        pending = null;
        if (previous == null) {
            return null;
        }
        try {
            previous.commit().get(timeoutMs, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            previous.commit().cancel(true);
            return e;
        }
    }

    /** Stops the committer thread and closes the producers; an open or unfinished transaction is aborted by Kafka. */
    @Override
    public void close() {
        committer.shutdownNow();
        RuntimeException failure = null;
        for (Producer<byte[], byte[]> p : producers) {
            try {
                p.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
