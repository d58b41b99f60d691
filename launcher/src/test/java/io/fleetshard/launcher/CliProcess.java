package io.fleetshard.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@code fleetshard} command run the way {@code ./fleetshard} runs it: a JVM of its own on the launcher's classes
 * and its runtime classpath file ({@code target/classpath.txt}, ADR 0003), not the test's class path. A dependency
 * that only the tests have (a test-scoped jar) then fails here as it fails for a user, which an in-process call of
 * the command cannot show (the offload's {@code NoClassDefFoundError}).
 */
final class CliProcess {
    private static final Path CLASSES = Path.of("target", "classes");
    private static final Path CLASSPATH_FILE = Path.of("target", "classpath.txt");

    record Result(int exit, String out, String err) {
    }

    private CliProcess() {
    }

    static Result run(List<String> args) throws IOException, InterruptedException {
        if (!Files.isRegularFile(CLASSPATH_FILE)) {
            throw new IllegalStateException(CLASSPATH_FILE.toAbsolutePath() + " is missing: it is written in the"
                    + " launcher's prepare-package phase, before integration tests run");
        }
        String runtime = Files.readString(CLASSPATH_FILE, StandardCharsets.UTF_8).strip();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", CLASSES.toAbsolutePath() + File.pathSeparator + runtime,
                FleetShardCommand.class.getName()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        String out = drain(p.getInputStream());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("fleetshard " + args + " did not end within 120 s");
        }
        return new Result(p.exitValue(), out, err.join());
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
