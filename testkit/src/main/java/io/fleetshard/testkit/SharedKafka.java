package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One {@link EmbeddedKafka} per test JVM, started on first use in a fresh temp directory and
 * stopped (directory deleted) by a shutdown hook.
 *
 * <p>Tests sharing it must use their own topic names and consumer group ids. A test that stops
 * the shared broker gets it restarted by the next {@link #get()}; closing it is not allowed.
 */
public final class SharedKafka {

    private static EmbeddedKafka broker;

    private SharedKafka() {
    }

    /** The shared broker, started (or restarted) if needed. */
    public static synchronized EmbeddedKafka get() {
        if (broker == null) {
            broker = startShared();
        } else if (!broker.isRunning()) {
            broker.restart();
        }
        return broker;
    }

    private static EmbeddedKafka startShared() {
        Path dir;
        try {
            dir = Files.createTempDirectory(LocalHost.ensureJavaTmpDir(), "shared-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temp dir for the shared Kafka broker", e);
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(dir);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            FileTrees.deleteRecursively(dir);
        }, "shared-kafka-shutdown"));
        return kafka;
    }
}
