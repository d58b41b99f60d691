package io.fleetshard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link QueryCoalescer} (ADR 0034) over a fake single path and batch path: which queries travel together, and that
 * each caller gets its own answer.
 */
class QueryCoalescerTest {
    private static final Duration LONG_WAIT = Duration.ofSeconds(5);

    private final ExecutorService callers = Executors.newCachedThreadPool();
    /** Requests sent alone, in order; a request whose id is in {@link #holdAlone} waits for its latch. */
    private final List<String> sentAlone = new CopyOnWriteArrayList<>();
    private final Map<String, CountDownLatch> holdAlone = new ConcurrentHashMap<>();
    private final List<List<String>> sentBatched = new CopyOnWriteArrayList<>();
    /** How the fake router answers an item: by request id; default a result naming the id. */
    private final Map<String, FleetShardException> itemFailures = new ConcurrentHashMap<>();
    private final Map<String, FleetShardException> aloneFailures = new ConcurrentHashMap<>();
    private volatile FleetShardException wholeBatchFailure;

    @AfterEach
    void stop() {
        holdAlone.values().forEach(CountDownLatch::countDown);
        callers.shutdownNow();
    }

    private static QueryRequest read(String tenant, String id) {
        return QueryRequest.builder(tenant, "trucks", "SELECT vin FROM vehicles WHERE vehicle_id = ?").params(id)
                .build();
    }

    private static String id(QueryRequest r) {
        return (String) r.params().get(0);
    }

    private static QueryResult resultOf(String id) {
        return new QueryResult("s1", "s1-p", "primary", List.of("vin"), List.of("text"),
                List.of(new Row(List.of("vin"), Map.of("vin", 0), List.of(id))), java.util.OptionalLong.empty(),
                java.util.Optional.empty());
    }

    private QueryCoalescer coalescer(int maxItems, Duration maxWait, int maxInFlight) {
        return new QueryCoalescer(new FleetShardClient.AutoBatch(maxItems, maxWait, maxInFlight), r -> {
            String id = id(r);
            sentAlone.add(id);
            CountDownLatch hold = holdAlone.get(id);
            if (hold != null) {
                try {
                    hold.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            FleetShardException f = aloneFailures.get(id);
            if (f != null) {
                throw f;
            }
            return resultOf(id);
        }, rs -> {
            List<String> ids = rs.stream().map(QueryCoalescerTest::id).toList();
            sentBatched.add(ids);
            if (wholeBatchFailure != null) {
                throw wholeBatchFailure;
            }
            List<BatchResult.Item> items = new ArrayList<>();
            for (String id : ids) {
                FleetShardException f = itemFailures.get(id);
                items.add(f == null ? new BatchResult.Item(resultOf(id), null) : new BatchResult.Item(null, f));
            }
            return new BatchResult(items);
        });
    }

    /** Reads acme's v1..vN one after another while a query is in flight, each waiting before the next is made. */
    private void queueReads(QueryCoalescer c, List<CompletableFuture<QueryResult>> calls, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            calls.add(call(c, read("acme", "v" + i)));
            int queued = i;
            await(queued + " queries wait", () -> c.waiting() == queued);
        }
    }

    private CompletableFuture<QueryResult> call(QueryCoalescer c, QueryRequest r) {
        return CompletableFuture.supplyAsync(() -> c.query(r), callers);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static String vin(CompletableFuture<QueryResult> f) throws Exception {
        return (String) f.get(10, TimeUnit.SECONDS).rowValues().get(0).get(0);
    }

    private static Throwable failureOf(CompletableFuture<QueryResult> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got " + f.get());
    }

    /** Starts a query of {@code id} that the fake holds in flight until the returned latch is released. */
    private CountDownLatch inFlight(QueryCoalescer c, String tenant, String id,
            List<CompletableFuture<QueryResult>> out) {
        CountDownLatch release = new CountDownLatch(1);
        holdAlone.put(id, release);
        out.add(call(c, read(tenant, id)));
        await(id + " is in flight", () -> sentAlone.contains(id));
        return release;
    }

    @Test
    void aQueryWithNothingInFlightGoesAloneAtOnce() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        assertThat(vin(call(c, read("acme", "v1")))).isEqualTo("v1");
        assertThat(vin(call(c, read("acme", "v2")))).isEqualTo("v2");
        assertThat(sentAlone).containsExactly("v1", "v2");
        assertThat(sentBatched).isEmpty();
    }

    @Test
    void queriesMadeWhileOneIsInFlightGoTogetherAndEachCallerGetsItsOwnResult() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        queueReads(c, calls, 3);
        assertThat(sentBatched).as("nothing more is sent while the first is in flight").isEmpty();
        release.countDown();
        for (int i = 0; i <= 3; i++) {
            assertThat(vin(calls.get(i))).isEqualTo("v" + i);
        }
        assertThat(sentAlone).containsExactly("v0");
        assertThat(sentBatched).containsExactly(List.of("v1", "v2", "v3"));
    }

    @Test
    void aBatchHoldsAtMostMaxItemsAndTheRestFollowsWhenASlotFrees() throws Exception {
        QueryCoalescer c = coalescer(2, LONG_WAIT, 1);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        queueReads(c, calls, 3);
        release.countDown();
        for (int i = 0; i <= 3; i++) {
            assertThat(vin(calls.get(i))).isEqualTo("v" + i);
        }
        assertThat(sentBatched).containsExactly(List.of("v1", "v2"));
        assertThat(sentAlone).containsExactly("v0", "v3");
    }

    @Test
    void aQueryWaitsAtMostMaxWaitForASlot() throws Exception {
        QueryCoalescer c = coalescer(8, Duration.ofMillis(20), 1);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        // v0 stays in flight: v1 goes on its own once it has waited 20 ms
        assertThat(vin(call(c, read("acme", "v1")))).isEqualTo("v1");
        assertThat(calls.get(0)).isNotDone();
        release.countDown();
        assertThat(vin(calls.get(0))).isEqualTo("v0");
        assertThat(sentBatched).isEmpty();
    }

    @Test
    void maxInFlightRequestsGoAtOnceBeforeAnyQueryWaits() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 2);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch first = inFlight(c, "acme", "v0", calls);
        CountDownLatch second = inFlight(c, "acme", "v1", calls);
        calls.add(call(c, read("acme", "v2")));
        await("v2 waits", () -> c.waiting() == 1);
        second.countDown();
        assertThat(vin(calls.get(2))).isEqualTo("v2");
        first.countDown();
        assertThat(vin(calls.get(0))).isEqualTo("v0");
        assertThat(sentAlone).containsExactly("v0", "v1", "v2");
    }

    @Test
    void queriesOfAnotherTenantDoNotWaitForThisTenantsRequest() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "a0", calls);
        assertThat(vin(call(c, read("globex", "g1")))).isEqualTo("g1");
        release.countDown();
        assertThat(vin(calls.get(0))).isEqualTo("a0");
        assertThat(sentBatched).isEmpty();
    }

    @Test
    void eachCallerGetsItsOwnTypedFailureAndA503ThatALoneReadWouldRetryIsSentAgainAlone() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        itemFailures.put("bad", new Problem(422, "https://fleetshard.io/problems/unprocessable", "Unprocessable",
                "column nope does not exist", null, null).toException("item 1", false));
        itemFailures.put("busy", new Problem(503, "https://fleetshard.io/problems/unavailable", "Unavailable",
                "pool timeout", null, Duration.ofSeconds(1)).toException("item 2", false));
        itemFailures.put("gone", new Problem(503, "https://fleetshard.io/problems/unavailable", "Unavailable",
                "connection broke", null, null).toException("item 3", true));
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        for (String id : List.of("bad", "busy", "gone", "v4")) {
            calls.add(call(c, read("acme", id)));
            int queued = calls.size() - 1;
            await(queued + " queries wait", () -> c.waiting() == queued);
        }
        release.countDown();
        assertThat(failureOf(calls.get(1))).isInstanceOf(QueryRejectedException.class)
                .hasMessageContaining("column nope does not exist");
        assertThat(vin(calls.get(2))).as("the 503 item, sent again alone").isEqualTo("busy");
        assertThat(failureOf(calls.get(3))).isInstanceOf(UnavailableException.class)
                .hasMessageContaining("connection broke");
        assertThat(vin(calls.get(4))).isEqualTo("v4");
        assertThat(sentBatched).containsExactly(List.of("bad", "busy", "gone", "v4"));
        assertThat(sentAlone).containsExactly("v0", "busy");
    }

    @Test
    void aBatchTheRouterRefusesAsAWholeIsSentQueryByQuery() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        wholeBatchFailure = new Problem(422, "https://fleetshard.io/problems/too-many-statements",
                "Too many statements", "a batch may hold at most 2 queries", null, null).toException("batch", false);
        aloneFailures.put("v2", new Problem(404, "https://fleetshard.io/problems/not-found", "Not found",
                "fleet acme/trucks is not in the shard map", null, null).toException("v2", false));
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        queueReads(c, calls, 3);
        release.countDown();
        assertThat(vin(calls.get(1))).isEqualTo("v1");
        assertThat(failureOf(calls.get(2))).isInstanceOf(NotFoundException.class);
        assertThat(vin(calls.get(3))).isEqualTo("v3");
        assertThat(sentAlone).containsExactly("v0", "v1", "v2", "v3");
    }

    @Test
    void aBatchThatGetsNoAnswerFailsEveryCallerInIt() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        wholeBatchFailure = new TransportException("POST /v1/query/batch: no answer within the request timeout",
                false, null);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        queueReads(c, calls, 2);
        release.countDown();
        assertThat(vin(calls.get(0))).isEqualTo("v0");
        assertThat(failureOf(calls.get(1))).isInstanceOf(TransportException.class)
                .hasMessageContaining("no answer within the request timeout");
        assertThat(failureOf(calls.get(2))).isInstanceOf(TransportException.class);
        // the lane is free again
        assertThat(vin(call(c, read("acme", "v9")))).isEqualTo("v9");
    }

    @Test
    void aCallerInterruptedWhileWaitingIsNotSent() throws Exception {
        QueryCoalescer c = coalescer(8, LONG_WAIT, 1);
        List<CompletableFuture<QueryResult>> calls = new ArrayList<>();
        CountDownLatch release = inFlight(c, "acme", "v0", calls);
        CompletableFuture<Throwable> interrupted = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                c.query(read("acme", "v1"));
                interrupted.complete(null);
            } catch (RuntimeException e) {
                interrupted.complete(Thread.currentThread().isInterrupted() ? e : new AssertionError("flag lost", e));
            }
        });
        waiter.start();
        await("v1 waits", () -> c.waiting() == 1);
        waiter.interrupt();
        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isInstanceOf(TransportException.class)
                .hasMessageContaining("interrupted while waiting to be sent in a batch; not sent");
        assertThat(c.waiting()).isZero();
        release.countDown();
        assertThat(vin(calls.get(0))).isEqualTo("v0");
        assertThat(sentAlone).containsExactly("v0");
        assertThat(sentBatched).isEmpty();
    }

    @Test
    void limitsAreCheckedWithEveryProblemNamed() {
        assertThatThrownBy(() -> new FleetShardClient.AutoBatch(1, Duration.ZERO, 0))
                .isInstanceOf(InvalidClientConfigException.class)
                .hasMessageContaining("autoBatch maxItems must be between 2 and 1000")
                .hasMessageContaining("autoBatch maxWait must be positive and at most 10000 ms, got PT0S")
                .hasMessageContaining("autoBatch maxInFlight must be between 1 and 256, got 0");
        assertThat(FleetShardClient.builder().router("http://127.0.0.1:1").autoBatch().config().autoBatch())
                .isEqualTo(FleetShardClient.AutoBatch.DEFAULTS);
        assertThat(FleetShardClient.builder().router("http://127.0.0.1:1").config().autoBatch()).isNull();
        assertThatThrownBy(() -> FleetShardClient.builder().router("http://127.0.0.1:1")
                .autoBatch(5000, Duration.ofMillis(1), 1).maxAttempts(0).config())
                .isInstanceOf(InvalidClientConfigException.class).hasMessageContaining("2 problems");
    }
}
