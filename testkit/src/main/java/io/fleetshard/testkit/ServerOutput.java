package io.fleetshard.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains a MySQL-family child process's output on a daemon thread, logging it at debug level
 * (logger {@code <owner>.output}) and keeping the last lines for error messages.
 */
final class ServerOutput {

    private static final int TAIL_LINES = 40;

    private final Deque<String> lines = new ArrayDeque<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean sawReady;

    private ServerOutput() {
    }

    static ServerOutput follow(Process process, String name, Class<?> owner) {
        ServerOutput tail = new ServerOutput();
        Logger log = LoggerFactory.getLogger(owner.getName() + ".output");
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    log.debug("[{}] {}", name, line);
                    tail.add(line);
                }
            } catch (IOException e) {
                log.debug("output of {} ended: {}", name, e.toString());
            } finally {
                tail.ended.countDown();
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
        return tail;
    }

    private synchronized void add(String line) {
        if (line.contains("ready for connections")) {
            sawReady = true;
        }
        lines.addLast(line);
        if (lines.size() > TAIL_LINES) {
            lines.removeFirst();
        }
    }

    /** True once the server logged "ready for connections" (MariaDB and MySQL both do). */
    boolean sawReadyForConnections() {
        return sawReady;
    }

    synchronized String lastLines() {
        return String.join("\n", lines);
    }

    void awaitEnd(Duration timeout) {
        try {
            ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
