package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.Await;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The order and all-or-nothing rules of overlapped commits (ADR 0049), on Kafka's in-memory producer. */
class AlternatingTransactionsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<String> steps = new CopyOnWriteArrayList<>();

    @Test
    void producersTakeTurnsAndABatchIsAcknowledgedOnlyAfterItsCommitInTheNextBatchsTurn() throws Exception {
        GatedProducer a = new GatedProducer("a");
        GatedProducer b = new GatedProducer("b");
        try (AlternatingTransactions tx = new AlternatingTransactions(List.of(a, b), "commit-test", Clock.systemUTC())) {
            assertThat(tx.begin()).isSameAs(a);
            a.send(record("1"));
            tx.commit(new Step("batch1"));
            assertThat(a.flushed()).as("batch 1's sends acknowledged before its commit is handed over").isTrue();
            Await.condition("batch 1's commit started", WAIT, () -> steps.contains("a.commit-start"));

            assertThat(tx.begin()).as("batch 2 on the other producer, batch 1 still committing").isSameAs(b);
            b.send(record("2"));
            Thread next = new Thread(() -> {
                try {
                    tx.commit(new Step("batch2"));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            next.start();
            Await.condition("batch 2's sends acknowledged", WAIT, () -> steps.contains("b.flush"));
            assertThat(steps).as("neither batch 2's commit nor batch 1's acknowledgement before batch 1 committed")
                    .doesNotContain("b.commit-start", "batch1.acknowledged");
            a.gate.countDown();
            next.join(WAIT.toMillis());
            b.gate.countDown();
            assertThat(tx.awaitInFlight(WAIT.toMillis())).isNull();
            assertThat(steps).containsSubsequence("a.commit-start", "a.commit-end", "batch1.committed",
                    "batch1.acknowledged", "b.commit-start", "b.commit-end", "batch2.committed");
            assertThat(steps).as("the engine stopped: batch 2 is committed but never acknowledged")
                    .doesNotContain("batch2.acknowledged");
            assertThat(a.transactionCommitted()).isTrue();
            assertThat(b.transactionCommitted()).isTrue();
        }
    }

    @Test
    void whenABatchsCommitFailsTheNextIsAbortedAndNeitherIsAcknowledged() throws Exception {
        GatedProducer a = new GatedProducer("a");
        GatedProducer b = new GatedProducer("b");
        a.commitTransactionException = new KafkaException("broker gone");
        a.gate.countDown();
        b.gate.countDown();
        try (AlternatingTransactions tx = new AlternatingTransactions(List.of(a, b), "commit-test", Clock.systemUTC())) {
            tx.begin().send(record("1"));
            tx.commit(new Step("batch1"));
            tx.begin().send(record("2"));
            assertThatThrownBy(() -> tx.commit(new Step("batch2"))).isInstanceOf(KafkaException.class)
                    .hasMessageContaining("broker gone");
            assertThat(a.transactionAborted()).as("the failed commit's transaction aborted").isTrue();
            assertThat(b.transactionAborted()).as("the next batch's transaction aborted").isTrue();
            assertThat(b.transactionCommitted()).isFalse();
            assertThat(steps).doesNotContain("b.commit-start", "batch1.committed", "batch1.acknowledged",
                    "batch2.committed");
            assertThat(tx.awaitInFlight(WAIT.toMillis())).as("nothing left in flight").isNull();
        }
    }

    @Test
    void theCommitInFlightWhenTheEngineStopsFinishesAndItsFailureIsReturned() throws Exception {
        GatedProducer a = new GatedProducer("a");
        a.commitTransactionException = new KafkaException("timed out");
        a.gate.countDown();
        try (AlternatingTransactions tx = new AlternatingTransactions(List.of(a, new GatedProducer("b")), "commit-test",
                Clock.systemUTC())) {
            tx.begin().send(record("1"));
            tx.commit(new Step("batch1"));
            assertThat(tx.awaitInFlight(WAIT.toMillis())).hasMessageContaining("timed out");
            assertThat(steps).doesNotContain("batch1.committed", "batch1.acknowledged");
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String value) {
        return new ProducerRecord<>("log", 0, null, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private final class Step implements AlternatingTransactions.Committed {
        private final String name;

        Step(String name) {
            this.name = name;
        }

        @Override
        public void committed(AlternatingTransactions.Timing timing) {
            assertThat(timing.committedMs()).isGreaterThanOrEqualTo(timing.previousCommittedMs());
            steps.add(name + ".committed");
        }

        @Override
        public void acknowledge() {
            steps.add(name + ".acknowledged");
        }
    }

    /** Kafka's in-memory producer whose commit waits for the test to open its gate, logging each step. */
    private final class GatedProducer extends MockProducer<byte[], byte[]> {
        final CountDownLatch gate = new CountDownLatch(1);
        private final String name;

        GatedProducer(String name) {
            super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
            this.name = name;
            initTransactions();
        }

        @Override
        public synchronized void flush() {
            super.flush();
            steps.add(name + ".flush");
        }

        @Override
        public void commitTransaction() {
            steps.add(name + ".commit-start");
            try {
                if (!gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new KafkaException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException(e);
            }
            super.commitTransaction();
            steps.add(name + ".commit-end");
        }
    }
}
