package io.fleetshard.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and stops a database server left running on a data directory by a JVM that died without stopping it (a
 * {@code kill -9} before {@link ExitWatchdog} existed, or the watchdog killed with it), so that a new start on the
 * same directory works instead of timing out on the orphan's lock. A process counts as the orphan only when it is
 * alive, really is that server, and serves that directory: its command line holds the data directory as an argument.
 * It is stopped as cleanly as the server allows (PostgreSQL: fast shutdown; MariaDB/MySQL: SIGTERM, a clean InnoDB
 * shutdown), and killed only if it does not exit in time.
 */
final class OrphanServers {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanServers.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private OrphanServers() {
    }

    /**
     * Stops the PostgreSQL postmaster named by {@code dataDir/postmaster.pid} if it still runs on that directory.
     * A stale file (no such process, or a recycled pid) is left to PostgreSQL, which replaces it itself.
     *
     * @return true if an orphan was stopped
     */
    static boolean stopPostgres(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long pid;
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return false;
            }
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot read {} ({}); PostgreSQL decides itself whether a server still runs there", pidFile,
                    e.toString());
            return false;
        }
        Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> hasArgument(p, dataDir.toString()));
        if (server.isEmpty()) {
            return false;
        }
        stop(server.get(), "PostgreSQL", dataDir, "INT");
        return true;
    }

    /**
     * Stops a {@code daemon} ({@code mariadbd}, {@code mysqld}) process whose command line holds
     * {@code --datadir=<dataDir>}.
     *
     * @return true if an orphan was stopped
     */
    static boolean stopMySqlFamily(String product, String daemon, Path dataDir) {
        String argument = "--datadir=" + dataDir;
        List<ProcessHandle> found = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().command().map(c -> c.endsWith("/" + daemon) || c.equals(daemon)).orElse(false))
                .filter(p -> hasArgument(p, argument))
                .toList();
        for (ProcessHandle p : found) {
            stop(p, product, dataDir, "TERM");
        }
        return !found.isEmpty();
    }

    private static boolean hasArgument(ProcessHandle p, String argument) {
        return p.info().arguments().map(args -> List.of(args).contains(argument)).orElse(false);
    }

    private static void stop(ProcessHandle server, String product, Path dataDir, String signal) {
        long startNs = System.nanoTime();
        List<ProcessHandle> children = server.descendants().toList();
        LOG.warn("{} (pid {}) from an earlier run that did not stop it still serves {}; stopping it (SIG{}) before"
                + " starting a new one", product, server.pid(), dataDir, signal);
        signal(server.pid(), signal);
        if (!awaitExit(server, STOP_TIMEOUT)) {
            LOG.warn("{} (pid {}) did not stop within {}; killing it", product, server.pid(), STOP_TIMEOUT);
            server.destroyForcibly();
            awaitExit(server, KILL_TIMEOUT);
        }
        // PostgreSQL's backends leave on their own once the postmaster is gone; the new server needs their
        // shared memory released, so wait for them too
        for (ProcessHandle child : children) {
            if (!awaitExit(child, KILL_TIMEOUT)) {
                child.destroyForcibly();
            }
        }
        if (server.isAlive()) {
            throw new IllegalStateException(product + " (pid " + server.pid() + ") from an earlier run still serves "
                    + dataDir + " and could not be stopped; stop it by hand (kill " + server.pid() + ") and retry");
        }
        LOG.info("stopped the leftover {} of {} in {} ms", product, dataDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    /** Java can send only SIGTERM and SIGKILL; PostgreSQL's fast shutdown is SIGINT. */
    private static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("sh", "-c", "kill -s \"$0\" \"$1\"", signal, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.debug("kill -s {} {} failed ({}); sending SIGTERM instead", signal, pid, e.toString());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean awaitExit(ProcessHandle p, Duration timeout) {
        try {
            p.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !p.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !p.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }
}
