package io.fleetshard.testkit;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running MySQL-family server process ({@link MariaDbNode}, {@link MySqlNode}): readiness, root's JDBC URLs,
 * databases and users, and a clean stop. The nodes own what differs: installation and the server's flags.
 */
final class MySqlFamilyServer {
    private static final Logger LOG = LoggerFactory.getLogger(MySqlFamilyServer.class);
    static final String ROOT_USER = "root";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final String product;
    private final int port;
    private final Path runDir;
    private final Process process;
    private final ServerOutput output;
    private final Thread killOnExit;
    private final ExitWatchdog watchdog;
    private boolean stopped;

    private MySqlFamilyServer(String product, String processName, int port, Path runDir, Process process,
                              ServerOutput output, ExitWatchdog watchdog) {
        this.product = product;
        this.port = port;
        this.runDir = runDir;
        this.process = process;
        this.output = output;
        this.watchdog = watchdog;
        // Without a watchdog, a hook stops the server at JVM exit. With one, no hook: it would stop the server while
        // the JVM's other hooks (its owner's orderly shutdown) still use it; the watchdog does it once the JVM is gone.
        this.killOnExit = watchdog == null ? new Thread(this::terminateProcess, processName + "-" + port + "-shutdown")
                : null;
        if (killOnExit != null) {
            Runtime.getRuntime().addShutdownHook(killOnExit);
        }
    }

    /**
     * Runs {@code command} in {@code dataDir} and waits until root can connect on {@code port}; a process that fails
     * to get there is killed before the failure is thrown. A server that an earlier process left running on
     * {@code dataDir} is stopped first. The server runs in its own session (a terminal's Ctrl-C reaches only this
     * JVM, which stops it in order) and an {@link ExitWatchdog} stops it if this JVM dies without doing so.
     *
     * @param command the server's command line; it must hold {@code --datadir=<dataDir>}
     */
    static MySqlFamilyServer launch(String product, String processName, String daemon, Class<?> logAs,
                                    List<String> command, Path dataDir, int port, Path runDir) throws IOException {
        stopOrphan(product, daemon, dataDir);
        List<String> inOwnSession = new java.util.ArrayList<>(ExitWatchdog.inOwnSession());
        inOwnSession.addAll(command);
        Process process = new ProcessBuilder(inOwnSession).directory(dataDir.toFile()).redirectErrorStream(true)
                .start();
        try {
            ServerOutput output = ServerOutput.follow(process, processName + "-" + port, logAs);
            awaitReady(product, daemon, process, output, port);
            ExitWatchdog watchdog = ExitWatchdog.watch(process.pid(), "--datadir=" + dataDir, "TERM",
                    product + " on port " + port);
            return new MySqlFamilyServer(product, processName, port, runDir, process, output, watchdog);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** See {@link OrphanServers#stopMySqlFamily}. */
    static boolean stopOrphan(String product, String daemon, Path dataDir) {
        return OrphanServers.stopMySqlFamily(product, daemon, dataDir.toAbsolutePath());
    }

    private static void awaitReady(String product, String daemon, Process process, ServerOutput output, int port) {
        Await.until(product + " on port " + port + " to accept connections", STARTUP_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new Await.Hopeless(daemon + " exited with " + process.exitValue() + "; last output:\n"
                        + output.lastLines());
            }
            if (!output.sawReadyForConnections()) {
                return false;
            }
            try (Connection connection = DriverManager.getConnection(
                    "jdbc:mariadb://" + LocalHost.LOOPBACK + ":" + port + "/?user=" + ROOT_USER + "&connectTimeout=2000");
                 Statement statement = connection.createStatement()) {
                return statement.execute("SELECT 1");
            }
        });
    }

    int port() {
        return port;
    }

    /** JDBC URL (MariaDB driver) for {@code database} as {@code root} (no password). */
    String jdbcUrl(String database) {
        return "jdbc:mariadb://" + LocalHost.LOOPBACK + ":" + port + "/" + database + "?user=" + ROOT_USER;
    }

    /** JDBC URL for {@code database} as {@code user}; the password goes separately, never in the URL. */
    String jdbcUrl(String database, String user) {
        return "jdbc:mariadb://" + LocalHost.LOOPBACK + ":" + port + "/" + database
                + "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
    }

    void createDatabase(String name) {
        requireName("database", name);
        executeAsRoot("CREATE DATABASE IF NOT EXISTS `" + name + "`");
    }

    /**
     * Creates {@code user} (from any host) with all privileges on {@code database} only; {@code identifiedBy} is the
     * clause before the password literal ({@code IDENTIFIED BY}, or one naming an authentication plugin).
     */
    void createUser(String user, String password, String database, String identifiedBy) {
        requireName("user", user);
        requireName("database", database);
        String account = "'" + user + "'@'%'";
        executeAsRoot("CREATE USER IF NOT EXISTS " + account + " " + identifiedBy + " '" + escapeLiteral(password) + "'");
        executeAsRoot("GRANT ALL PRIVILEGES ON `" + database + "`.* TO " + account);
    }

    /** SIGTERM (a clean InnoDB shutdown), wait, then remove the run dir; the data dir stays. */
    synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long startNs = System.nanoTime();
        if (watchdog != null) {
            watchdog.dismiss();
        }
        terminateProcess();
        cleanUpAfterExit();
        LOG.info("{} on port {} stopped in {} ms (exit code {})", product, port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), process.exitValue());
    }

    /** SIGKILL, as a crash; waits until the process is gone and removes the run dir. The data dir stays. */
    synchronized void kill() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (watchdog != null) {
            watchdog.dismiss();
        }
        long pid = process.pid();
        try {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cleanUpAfterExit();
        LOG.info("{} on port {} killed (SIGKILL to {})", product, port, pid);
    }

    /** Once the process is gone (stopped or killed): drains its output, removes the run dir and the exit hook. */
    private void cleanUpAfterExit() {
        output.awaitEnd(Duration.ofSeconds(5));
        FileTrees.deleteRecursively(runDir);
        try {
            if (killOnExit != null) {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            }
        } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting and runs the hook itself.
        }
    }

    private void terminateProcess() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} on port {} did not stop within {}; killing it", product, port, STOP_TIMEOUT);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void executeAsRoot(String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(""));
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("'" + sql.replaceAll("BY '.*'", "BY '***'") + "' failed on " + product
                    + " port " + port + ": " + e.getMessage(), e);
        }
    }

    private static void requireName(String kind, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(kind + " name '" + name + "' must match " + NAME.pattern());
        }
    }

    private static String escapeLiteral(String value) {
        return value.replace("\\", "\\\\").replace("'", "''");
    }
}
