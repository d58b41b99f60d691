package io.fleetshard.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Opt-in auto-batching of one {@link Session}'s concurrent {@code query} calls (ADR 0034): while
 * {@link FleetShardClient.AutoBatch#maxInFlight()} requests of a tenant are on their way, the session's further
 * queries of that tenant wait in a queue; the first request to come back sends what has queued (at most
 * {@link FleetShardClient.AutoBatch#maxItems()}) as one {@code POST /v1/query/batch}. A query never waits for a slot
 * longer than {@link FleetShardClient.AutoBatch#maxWait()}: then it goes at once, with whatever queued behind it. A
 * query that finds a free slot and an empty queue goes alone at once, so a lone caller pays nothing.
 *
 * <p>Each caller gets exactly what {@link Session#query(QueryRequest)} would have given it alone: its result, or its
 * own typed exception. Items are sent through {@link Session#batch} (read-your-writes inside and across batches,
 * refused tokens answered by a strong read alone); an item's failure that a lone query would have retried (a 503 of a
 * read, or one that says nothing was written) is sent again alone, through the retry rules of {@link RetryingSender}; a
 * batch the router refuses as a whole for its shape (400, 413, 422: too many items or bytes for this router) is sent
 * again query by query. Queries of different tenants, or with different timeouts, never share a request.
 *
 * <p>No thread of its own: the thread of the first query of a batch sends it and hands each waiting caller its answer.
 */
final class QueryCoalescer {
    /** A session's single-request path: {@link Session#query(QueryRequest)} without coalescing. */
    interface Alone {
        QueryResult query(QueryRequest request);
    }

    /** A session's batch path: {@link Session#batch(List)}. */
    interface Batched {
        BatchResult batch(List<QueryRequest> requests);
    }

    private record LaneKey(String tenantId, Duration timeout) {
    }

    private final FleetShardClient.AutoBatch limits;
    private final Alone alone;
    private final Batched batched;
    private final Map<LaneKey, Lane> lanes = new ConcurrentHashMap<>();

    QueryCoalescer(FleetShardClient.AutoBatch limits, Alone alone, Batched batched) {
        this.limits = limits;
        this.alone = alone;
        this.batched = batched;
    }

    QueryResult query(QueryRequest request) {
        return lanes.computeIfAbsent(new LaneKey(request.tenantId(), request.timeout()), k -> new Lane())
                .query(request);
    }

    /** Tests: how many queries wait in a queue, of every tenant. */
    int waiting() {
        int n = 0;
        for (Lane lane : lanes.values()) {
            lane.lock.lock();
            try {
                n += lane.queue.size();
            } finally {
                lane.lock.unlock();
            }
        }
        return n;
    }

    /** One caller's query, its batch when it is the one that sends it, and its answer once there is one. */
    private static final class Pending {
        final QueryRequest request;
        List<Pending> toSend; // set when this caller's thread is to send a batch (it is its first item)
        QueryResult result;
        RuntimeException failure;
        boolean done;

        Pending(QueryRequest request) {
            this.request = request;
        }

        void complete(QueryResult r, RuntimeException f) {
            result = r;
            failure = f;
            done = true;
        }
    }

    /** The queue and the requests in flight of one tenant and timeout. */
    private final class Lane {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        private int inFlight;

        QueryResult query(QueryRequest request) {
            Pending p = new Pending(request);
            boolean interrupted = false;
            List<Pending> mine = null;
            lock.lock();
            try {
                if (inFlight < limits.maxInFlight() && queue.isEmpty()) {
                    inFlight++;
                    mine = List.of(p);
                } else {
                    queue.addLast(p);
                    long deadline = System.nanoTime() + limits.maxWait().toNanos();
                    while (!p.done && p.toSend == null) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0 && queue.contains(p)) {
                            // waited long enough for a free slot: go now, with whatever queued behind
                            p.toSend = take(p);
                            inFlight++;
                            break;
                        }
                        try {
                            if (left > 0) {
                                changed.awaitNanos(left);
                            } else {
                                changed.await(); // taken into another caller's batch: its answer comes with it
                            }
                        } catch (InterruptedException e) {
                            if (queue.remove(p)) {
                                Thread.currentThread().interrupt();
                                throw new TransportException("query for fleet " + request.tenantId() + "/"
                                        + request.fleetId() + ": interrupted while waiting to be sent in a batch;"
                                        + " not sent", false, e);
                            }
                            interrupted = true; // already in a batch on its way: wait for the answer
                        }
                    }
                    if (p.toSend != null) {
                        mine = p.toSend;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (mine != null) {
                send(mine);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (p.failure != null) {
                throw p.failure;
            }
            return p.result;
        }

        /** {@code first} and up to {@code maxItems - 1} of the queue's oldest, out of the queue. Under the lock. */
        private List<Pending> take(Pending first) {
            queue.remove(first);
            List<Pending> batch = new ArrayList<>(Math.min(limits.maxItems(), queue.size() + 1));
            batch.add(first);
            while (batch.size() < limits.maxItems() && !queue.isEmpty()) {
                batch.add(queue.pollFirst());
            }
            return batch;
        }

        /** Sends {@code batch}, answers every caller in it, and hands the freed slot to the queue's oldest. */
        private void send(List<Pending> batch) {
            List<QueryResult> results = new ArrayList<>(batch.size());
            List<RuntimeException> failures = new ArrayList<>(batch.size());
            try {
                answer(batch, results, failures);
            } catch (RuntimeException | Error e) {
                while (results.size() < batch.size()) { // never leave a caller waiting
                    results.add(null);
                    failures.add(e instanceof RuntimeException r ? r : new IllegalStateException(
                            "the batch carrying this query failed", e));
                }
                if (e instanceof Error err) {
                    finish(batch, results, failures);
                    throw err;
                }
            }
            finish(batch, results, failures);
        }

        private void finish(List<Pending> batch, List<QueryResult> results, List<RuntimeException> failures) {
            lock.lock();
            try {
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).complete(results.get(i), failures.get(i));
                }
                inFlight--;
                if (!queue.isEmpty() && inFlight < limits.maxInFlight()) {
                    Pending next = queue.peekFirst();
                    next.toSend = take(next);
                    inFlight++;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Fills {@code results}/{@code failures} with one entry per item of {@code batch}, in order. */
        private void answer(List<Pending> batch, List<QueryResult> results, List<RuntimeException> failures) {
            if (batch.size() == 1) {
                one(batch.get(0).request, results, failures);
                return;
            }
            List<QueryRequest> requests = new ArrayList<>(batch.size());
            for (Pending p : batch) {
                requests.add(p.request);
            }
            BatchResult answers;
            try {
                answers = batched.batch(requests);
            } catch (InvalidQueryException | QueryRejectedException refused) {
                // the router refused the batch's shape (items, bytes): each query alone gets its own answer
                for (QueryRequest r : requests) {
                    one(r, results, failures);
                }
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                BatchResult.Item item = answers.items().get(i);
                FleetShardException f = item.failure();
                if (f instanceof UnavailableException && !f.mayHaveExecuted()) {
                    one(requests.get(i), results, failures); // what a lone query would retry: retried alone
                } else {
                    results.add(item.result());
                    failures.add(f);
                }
            }
        }

        private void one(QueryRequest r, List<QueryResult> results, List<RuntimeException> failures) {
            try {
                QueryResult result = alone.query(r);
                results.add(result);
                failures.add(null);
            } catch (RuntimeException e) {
                results.add(null);
                failures.add(e);
            }
        }
    }
}
