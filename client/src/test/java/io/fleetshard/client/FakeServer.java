package io.fleetshard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A tiny scripted HTTP server (the JDK's) standing in for a router or a control API: answers each path from a queue
 * of scripted responses (the last one repeats), and records every request.
 */
final class FakeServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A scripted answer; {@code hangs} makes the server hold the exchange until the server closes. */
    record Answer(int status, String body, Map<String, String> headers, boolean hangs) {
        static Answer json(int status, String body) {
            return new Answer(status, body, Map.of("Content-Type", "application/json"), false);
        }

        static Answer problem(int status, String slug, String title, String detail) {
            return new Answer(status, problemBody(status, slug, title, detail),
                    Map.of("Content-Type", "application/problem+json"), false);
        }

        static Answer hanging() {
            return new Answer(0, "", Map.of(), true);
        }

        /** The connection is closed after the request was read, without an answer. */
        static Answer dropped() {
            return new Answer(-1, "", Map.of(), false);
        }

        Answer header(String name, String value) {
            Map<String, String> h = new HashMap<>(headers);
            h.put(name, value);
            return new Answer(status, body, h, hangs);
        }

        Answer retryAfter(String value) {
            Map<String, String> h = new HashMap<>(headers);
            h.put("Retry-After", value);
            return new Answer(status, body, h, hangs);
        }
    }

    /** A recorded request. */
    record Request(String method, String path, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static String problemBody(int status, String slug, String title, String detail) {
        return JSON.createObjectNode().put("type", "https://fleetshard.io/problems/" + slug).put("title", title)
                .put("status", status).put("detail", detail).toString();
    }

    private final HttpServer server;
    private final Map<String, Deque<Answer>> scripts = new HashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, CountDownLatch> holds = new java.util.concurrent.ConcurrentHashMap<>();

    FakeServer() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Answers requests to {@code path} with {@code answers} in turn; the last one repeats. */
    synchronized FakeServer on(String path, Answer... answers) {
        scripts.put(path, new ArrayDeque<>(List.of(answers)));
        return this;
    }

    /**
     * Holds every request to {@code path} (after recording it) until the returned latch is counted down, or the
     * server closes.
     */
    CountDownLatch hold(String path) {
        CountDownLatch release = new CountDownLatch(1);
        holds.put(path, release);
        return release;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    private Answer next(String path) {
        synchronized (this) {
            Deque<Answer> q = scripts.get(path);
            if (q == null || q.isEmpty()) {
                return Answer.problem(404, "not-found", "Not found", "no route for " + path);
            }
            return q.size() > 1 ? q.poll() : q.peek();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = ex.getRequestURI().getRawPath();
        requests.add(new Request(ex.getRequestMethod(), path, body));
        CountDownLatch held = holds.get(path);
        if (held != null) {
            try {
                held.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Answer a = next(path);
        if (a.hangs()) {
            try {
                closing.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
            return;
        }
        if (a.status() < 0) {
            ex.close(); // no answer sent: the connection is closed

            return;
        }
        byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
        a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        holds.values().forEach(CountDownLatch::countDown);
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
