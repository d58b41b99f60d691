package io.fleetshard.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a server process when this JVM dies, however it dies ({@code kill -9} and the OOM killer included), so that
 * no PostgreSQL or MariaDB outlives the JVM that started it and blocks the next start on the same data directory.
 *
 * <p>How: a tiny {@code sh} child blocks reading its stdin, a pipe whose only writer is this JVM. When the JVM exits
 * the kernel closes the pipe, the read returns, and the shell sends the server its shutdown signal — but only if the
 * pid still is that server (its command line holds a given word, e.g. the data directory), so a recycled pid is never
 * hit. A clean stop first {@link #dismiss() dismisses} the watchdog: it exits without signalling. Linux's
 * {@code PR_SET_PDEATHSIG} would do this without a process, but Java cannot call {@code prctl}, and a PostgreSQL
 * started through {@code pg_ctl} is not our child anyway. The shell runs in its own session ({@code setsid}, when
 * installed) and ignores SIGINT, so a Ctrl-C in the terminal reaches only the JVM, which stops its servers in order.
 */
final class ExitWatchdog {
    private static final Logger LOG = LoggerFactory.getLogger(ExitWatchdog.class);

    /** $1 server pid, $2 word its command line must hold, $3 signal. /proc when there is one, else ps. */
    private static final String SCRIPT = """
            trap '' INT HUP
            read -r word
            [ "$word" = dismiss ] && exit 0
            if [ -r "/proc/$1/cmdline" ]; then
              tr '\\000' '\\n' < "/proc/$1/cmdline" | grep -qxF -- "$2" || exit 0
            else
              ps -p "$1" -o args= 2>/dev/null | grep -qF -- "$2" || exit 0
            fi
            kill -s "$3" "$1" 2>/dev/null
            """;

    private final Process shell;
    private final String what;

    private ExitWatchdog(Process shell, String what) {
        this.shell = shell;
        this.what = what;
    }

    /**
     * Watches this JVM for {@code serverPid}: when the JVM dies, the server gets {@code signal} (e.g. {@code INT} for
     * PostgreSQL's fast shutdown, {@code TERM} for MariaDB's clean one) if its command line still holds an argument
     * equal to {@code commandLineWord}. Returns null (after logging why) when no shell can be started: the server then
     * merely does not die with the JVM, as before.
     */
    static ExitWatchdog watch(long serverPid, String commandLineWord, String signal, String what) {
        List<String> command = new ArrayList<>(inOwnSession());
        command.addAll(List.of("sh", "-c", SCRIPT, "fleetshard-exit-watchdog", Long.toString(serverPid),
                commandLineWord, signal));
        try {
            Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            return new ExitWatchdog(p, what);
        } catch (IOException e) {
            LOG.warn("cannot start the exit watchdog of {} ({}); it will outlive this JVM if the JVM is killed", what,
                    e.toString());
            return null;
        }
    }

    /** {@code setsid} when installed: a child in its own session gets no terminal signals. */
    static List<String> inOwnSession() {
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/local/bin"}) {
            Path setsid = Path.of(dir, "setsid");
            if (Files.isExecutable(setsid)) {
                return List.of(setsid.toString());
            }
        }
        return List.of();
    }

    /** The server is being stopped on purpose: the watchdog exits without signalling it. */
    void dismiss() {
        try (OutputStream in = shell.getOutputStream()) {
            in.write("dismiss\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the shell is gone already (killed with the terminal's session, say): nothing to dismiss
        }
        try {
            if (!shell.waitFor(5, TimeUnit.SECONDS)) {
                LOG.debug("exit watchdog of {} did not end after being dismissed; killing it", what);
                shell.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shell.destroyForcibly();
        }
    }

    /** The watchdog shell's pid (tests). */
    long pid() {
        return shell.pid();
    }
}
