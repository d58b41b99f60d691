package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server from zonky's bundled binaries, bound to 127.0.0.1, with its data in a
 * given directory that survives restarts: a primary, or a streaming physical replica of one.
 *
 * <p>Settings: {@code wal_level=logical} (Debezium's pgoutput), {@code synchronous_commit=on},
 * replication slots and WAL senders, {@code hot_standby=on}, 16 MB shared buffers, 60 connections,
 * trust authentication on 127.0.0.1, unix socket in a short private directory. zonky runs the
 * server with {@code fsync} off: data survives a clean stop, not a machine crash.
 *
 * <p>A replica is built without {@code pg_basebackup} (zonky does not bundle it): a physical slot
 * on the primary, {@code pg_backup_start}, a file copy, {@code pg_backup_stop} written as
 * {@code backup_label}, then {@code standby.signal} with {@code primary_conninfo} and
 * {@code primary_slot_name}.
 */
public final class PostgresNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresNode.class);

    /** The superuser initdb creates; trust authentication, no password. */
    public static final String SUPERUSER = "postgres";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STREAMING_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern APPLICATION_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");

    /** Top-level files of a data dir that belong to the running primary, never to a copy. */
    private static final Set<String> PRIMARY_ONLY_FILES = Set.of(
            "postmaster.pid", "postmaster.opts", "epg-lock", "backup_label", "tablespace_map",
            "backup_manifest", "standby.signal", "recovery.signal", "current_logfiles",
            "postgresql.auto.conf.tmp");
    /** Directories copied empty: WAL comes through the slot, the rest is runtime state. */
    private static final Set<String> COPIED_EMPTY_DIRS = Set.of(
            "pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots",
            "pg_stat_tmp", "pg_subtrans");
    /** Settings a replica must not inherit from its primary's postgresql.auto.conf. */
    private static final Set<String> STANDBY_OWNED_SETTINGS = Set.of(
            "synchronous_standby_names", "synchronized_standby_slots", "primary_conninfo", "primary_slot_name");

    private final Path dataDir;
    private final int port;
    private volatile boolean replica;
    private final Path socketDir;
    private final ExitWatchdog watchdog;
    private EmbeddedPostgres server;

    private PostgresNode(Path dataDir, int port, boolean replica, Path socketDir, EmbeddedPostgres server,
                         ExitWatchdog watchdog) {
        this.dataDir = dataDir;
        this.port = port;
        this.replica = replica;
        this.socketDir = socketDir;
        this.server = server;
        this.watchdog = watchdog;
    }

    /**
     * Stops a PostgreSQL server that an earlier process left running on {@code dataDir} (it died without stopping
     * it), if there is one: the postmaster named in {@code postmaster.pid}, when it is alive and serves that
     * directory. Starting a node does this itself; call it earlier to free the orphan's port before picking ports.
     *
     * @return true if one was stopped
     */
    public static boolean stopOrphan(Path dataDir) {
        return OrphanServers.stopPostgres(dataDir.toAbsolutePath());
    }

    /**
     * Starts a primary on a free port. Runs initdb only when {@code dataDir} holds no cluster yet;
     * an existing cluster is started with its data.
     */
    public static PostgresNode startPrimary(Path dataDir) {
        return startPrimary(dataDir, FreePorts.next());
    }

    /** Like {@link #startPrimary(Path)} on a given port. */
    public static PostgresNode startPrimary(Path dataDir, int port) {
        Path dir = dataDir.toAbsolutePath();
        if (Files.exists(dir.resolve("standby.signal"))) {
            throw new IllegalStateException("data dir " + dir + " holds a replica (standby.signal present); "
                    + "start it with primary.startReplica(...), or promote it first");
        }
        return launch(dir, port, false);
    }

    /**
     * Starts a streaming replica of this primary in {@code replicaDataDir}, on a free port.
     *
     * <p>When the directory already holds a replica (a restart) it is started as it is, with
     * {@code primary_conninfo} pointed at this primary's current port. Otherwise the directory
     * must be missing or empty and is filled with a copy of this primary. Returns once the replica
     * streams from this primary.
     *
     * @param applicationName names the replica in {@code pg_stat_replication} and names its slot
     *     (lower-cased); letters, digits and underscores
     * @param synchronous when true, this primary's {@code synchronous_standby_names} becomes this
     *     replica (replacing any earlier one), and the call returns once the replica is {@code sync};
     *     from then on commits on the primary wait for the replica, also across restarts
     */
    public PostgresNode startReplica(Path replicaDataDir, String applicationName, boolean synchronous) {
        return startReplica(replicaDataDir, applicationName, synchronous, FreePorts.next());
    }

    /**
     * Like {@link #startReplica(Path, String, boolean)} on a given port: a failed primary rebuilt as a replica of its
     * promoted successor keeps the address the shard map knows it by. This node may be a replica that was promoted
     * since it started (asked of the server, not remembered).
     */
    public PostgresNode startReplica(Path replicaDataDir, String applicationName, boolean synchronous, int replicaPort) {
        if (replica && inRecovery()) {
            throw new IllegalStateException("node on port " + port + " is a replica; start replicas from the primary");
        }
        replica = false;
        if (!APPLICATION_NAME.matcher(applicationName).matches()) {
            throw new IllegalArgumentException("application name '" + applicationName
                    + "' must match " + APPLICATION_NAME.pattern() + " (it also names the replication slot)");
        }
        Path dir = replicaDataDir.toAbsolutePath();
        String slot = applicationName.toLowerCase(Locale.ROOT);
        if (Files.exists(dir.resolve("standby.signal"))) {
            LOG.info("Reopening replica '{}' in {}", applicationName, dir);
        } else if (FileTrees.isMissingOrEmpty(dir)) {
            cloneInto(dir, applicationName, slot);
        } else {
            throw new IllegalStateException("replica data dir " + dir + " is neither empty nor a replica "
                    + "(no standby.signal); delete it or pick another directory");
        }
        writeStandbySettings(dir, applicationName, slot);
        PostgresNode standby = launch(dir, replicaPort, true);
        try {
            awaitReplicationState(applicationName, "streaming", null);
            if (synchronous) {
                makeSynchronous(applicationName);
                awaitReplicationState(applicationName, "streaming", "sync");
            }
        } catch (RuntimeException e) {
            standby.close();
            throw e;
        }
        return standby;
    }

    /**
     * Waits until this replica has replayed everything {@code primary} had written when the call
     * began ({@code pg_last_wal_replay_lsn() >= pg_current_wal_lsn()}), so that reads here see it.
     */
    public void waitForReplayOf(PostgresNode primary, Duration timeout) {
        if (!replica) {
            throw new IllegalStateException("node on port " + port + " is not a replica");
        }
        String target = primary.queryForString("SELECT pg_current_wal_lsn()::text");
        try (Connection connection = connect("postgres");
             PreparedStatement replayed = connection.prepareStatement(
                     "SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn, pg_last_wal_replay_lsn()::text")) {
            replayed.setString(1, target);
            Await.until("replica on port " + port + " to replay primary WAL up to " + target, timeout, () -> {
                try (ResultSet rs = replayed.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            });
        } catch (SQLException e) {
            throw new IllegalStateException("could not query replay position on replica port " + port, e);
        }
    }

    /** Static form of {@link #waitForReplayOf}. */
    public static void awaitReplayed(PostgresNode replica, PostgresNode primary, Duration timeout) {
        replica.waitForReplayOf(primary, timeout);
    }

    /** Creates a database; fails when it exists. On a primary with a synchronous replica, the replica must be up. */
    public void createDatabase(String name) {
        execute("postgres", "CREATE DATABASE " + quoteIdentifier(name));
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean isReplica() {
        return replica;
    }

    private boolean inRecovery() {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot ask node on port " + port + " whether it is a replica: "
                    + e.getMessage(), e);
        }
    }

    /** JDBC URL for {@code database} as the superuser {@code postgres}. */
    public String jdbcUrl(String database) {
        return jdbcUrl(database, SUPERUSER);
    }

    /** JDBC URL for {@code database} as {@code user} (trust authentication: no password needed). */
    public String jdbcUrl(String database, String user) {
        return "jdbc:postgresql://" + LocalHost.LOOPBACK + ":" + port + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8)
                + "?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
    }

    /**
     * Kills the server as a crash would: SIGKILL to the postmaster (its backends exit when they notice). The data
     * directory stays, with its stale {@code postmaster.pid}, which a later start replaces. Returns once the
     * postmaster is gone; {@link #stop} is then a no-op.
     */
    public synchronized void kill() {
        if (server == null) {
            return;
        }
        long pid;
        try {
            pid = readPostmasterPid();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the postmaster's pid in " + dataDir + ": " + e, e);
        }
        ProcessHandle postmaster = ProcessHandle.of(pid).orElse(null);
        EmbeddedPostgres killed = server;
        server = null; // zonky's own stop would run pg_ctl against a dead server
        if (watchdog != null) {
            watchdog.dismiss(); // nothing left for it to stop
        }
        if (postmaster != null) {
            postmaster.destroyForcibly(); // SIGKILL
            Await.until("postmaster " + pid + " on port " + port + " to exit", STARTUP_TIMEOUT,
                    () -> !postmaster.isAlive());
        }
        if (killed != null) {
            releaseWithoutStopping(killed); // the data directory can be started again in this JVM
        }
        FileTrees.deleteRecursively(socketDir);
        LOG.info("PostgreSQL {} on port {} killed (SIGKILL to postmaster {})", replica ? "replica" : "primary", port,
                pid);
    }

    /**
     * Stops the server ({@code pg_ctl stop -m fast}); the data directory stays. A server whose postmaster is gone
     * already (killed from outside, e.g. {@code kill -9} on a dev platform's primary) is only marked stopped: its
     * {@code postmaster.pid} stays behind, stale, and PostgreSQL's next start or a rebuild deals with it.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        long startNs = System.nanoTime();
        EmbeddedPostgres running = server;
        server = null;
        if (watchdog != null) {
            watchdog.dismiss();
        }
        long pid = postmasterPid();
        if (pid > 0 && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
            releaseWithoutStopping(running);
            FileTrees.deleteRecursively(socketDir);
            LOG.info("PostgreSQL {} on port {} was not running any more (postmaster {} gone): marked stopped",
                    replica ? "replica" : "primary", port, pid);
            return;
        }
        try {
            running.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop PostgreSQL on port " + port, e);
        } finally {
            Await.until("PostgreSQL on port " + port + " to remove postmaster.pid", STARTUP_TIMEOUT,
                    () -> !Files.exists(dataDir.resolve("postmaster.pid")));
            FileTrees.deleteRecursively(socketDir);
        }
        LOG.info("PostgreSQL {} on port {} stopped in {} ms", replica ? "replica" : "primary", port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Releases zonky's lock on the data directory (held by this JVM until its {@code close}) without the
     * {@code pg_ctl stop} of its {@code close}, which fails against a dead server and logs that as an error; when
     * zonky's fields are not as expected, its own {@code close} does it, error log and all.
     */
    private static void releaseWithoutStopping(EmbeddedPostgres server) {
        try {
            java.lang.reflect.Field closed = EmbeddedPostgres.class.getDeclaredField("closed");
            java.lang.reflect.Field lock = EmbeddedPostgres.class.getDeclaredField("lock");
            java.lang.reflect.Field lockStream = EmbeddedPostgres.class.getDeclaredField("lockStream");
            closed.setAccessible(true);
            lock.setAccessible(true);
            lockStream.setAccessible(true);
            if (((java.util.concurrent.atomic.AtomicBoolean) closed.get(server)).getAndSet(true)) {
                return;
            }
            java.nio.channels.FileLock held = (java.nio.channels.FileLock) lock.get(server);
            if (held != null) {
                held.release();
            }
            ((java.io.OutputStream) lockStream.get(server)).close();
        } catch (ReflectiveOperationException | RuntimeException | IOException e) {
            try {
                server.close();
            } catch (IOException | RuntimeException ignored) {
                // nothing left to stop
            }
        }
    }

    /** The pid in {@code postmaster.pid}, or -1 when there is none to read. */
    private long postmasterPid() {
        try {
            return readPostmasterPid();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The first line of {@code postmaster.pid}: the postmaster's pid. */
    private long readPostmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0)
                .trim());
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    private static PostgresNode launch(Path dir, int port, boolean replica) {
        LocalHost.ensureJavaTmpDir();
        long startNs = System.nanoTime();
        boolean fresh = !Files.exists(dir.resolve("postgresql.conf"));
        OrphanServers.stopPostgres(dir);
        Path socketDir = LocalHost.newPrivateRunDir("fspg");
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setPGStartupWait(STARTUP_TIMEOUT)
                // zonky's hook would stop the server while the JVM's other hooks (the owner's orderly shutdown) still
                // use it; the exit watchdog stops it once the JVM is gone instead
                .setRegisterShutdownHook(false);
        serverSettings(socketDir).forEach(builder::setServerConfig);
        try {
            EmbeddedPostgres server = builder.start();
            LOG.info("PostgreSQL {} on port {} ready in {} ms ({} {})", replica ? "replica" : "primary", port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), fresh ? "initdb" : "reopened", dir);
            return new PostgresNode(dir, port, replica, socketDir, server, watchExit(dir, replica, port));
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteRecursively(socketDir);
            throw new IllegalStateException("PostgreSQL " + (replica ? "replica" : "primary") + " in " + dir
                    + " did not start on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * A watchdog that fast-shuts-down the postmaster (SIGINT) if this JVM dies without stopping it: pg_ctl starts
     * PostgreSQL detached, so nothing else would (zonky's shutdown hook runs only on a clean JVM exit).
     */
    private static ExitWatchdog watchExit(Path dir, boolean replica, int port) {
        String what = "PostgreSQL " + (replica ? "replica" : "primary") + " on port " + port;
        try {
            long pid = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid"), StandardCharsets.UTF_8)
                    .get(0).trim());
            return ExitWatchdog.watch(pid, dir.toString(), "INT", what);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the pid of {} from {}/postmaster.pid ({}); it will outlive this JVM if the JVM is"
                    + " killed", what, dir, e.toString());
            return null;
        }
    }

    /**
     * Settings passed as {@code -c} options. They override postgresql.auto.conf, so
     * {@code synchronous_standby_names} is deliberately absent: ALTER SYSTEM must be able to set it.
     */
    private static Map<String, String> serverSettings(Path socketDir) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", LocalHost.LOOPBACK);
        settings.put("unix_socket_directories", socketDir.toString());
        settings.put("unix_socket_permissions", "0700");
        settings.put("wal_level", "logical");
        settings.put("synchronous_commit", "on");
        settings.put("max_wal_senders", "10");
        settings.put("max_replication_slots", "10");
        settings.put("hot_standby", "on");
        settings.put("hot_standby_feedback", "on");
        // a replica keeps copies of the primary's failover logical slots (change capture's), so that capture goes on
        // from a promoted replica (PostgreSQL 17; needs dbname in primary_conninfo and hot_standby_feedback)
        settings.put("sync_replication_slots", "on");
        settings.put("shared_buffers", "16MB");
        settings.put("max_connections", "60");
        settings.put("work_mem", "4MB");
        settings.put("maintenance_work_mem", "16MB");
        settings.put("min_wal_size", "32MB");
        settings.put("max_wal_size", "128MB");
        settings.put("timezone", "UTC");
        return settings;
    }

    private void cloneInto(Path target, String applicationName, String slot) {
        long startNs = System.nanoTime();
        ensurePhysicalSlot(slot);
        try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_backup_start('fleetshard replica " + applicationName + "', true)");
            copyDataDir(dataDir, target);
            try (ResultSet stop = statement.executeQuery("SELECT labelfile, spcmapfile FROM pg_backup_stop(false)")) {
                stop.next();
                Files.writeString(target.resolve("backup_label"), stop.getString(1), StandardCharsets.UTF_8);
                String tablespaceMap = stop.getString(2);
                if (tablespaceMap != null && !tablespaceMap.isBlank()) {
                    Files.writeString(target.resolve("tablespace_map"), tablespaceMap, StandardCharsets.UTF_8);
                }
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("could not copy primary " + dataDir + " into replica dir " + target
                    + " for '" + applicationName + "': " + e.getMessage(), e);
        }
        LOG.info("Copied primary {} into replica dir {} in {} ms", dataDir, target,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    /** A fresh copy needs WAL from now on: an old inactive slot of the same name is recreated. */
    private void ensurePhysicalSlot(String slot) {
        try (Connection connection = connect("postgres");
             PreparedStatement existing = connection.prepareStatement(
                     "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            existing.setString(1, slot);
            try (ResultSet rs = existing.executeQuery()) {
                if (rs.next()) {
                    if (rs.getBoolean(1)) {
                        throw new IllegalStateException("replication slot '" + slot + "' on port " + port
                                + " is in use by another replica; pick another application name");
                    }
                    try (PreparedStatement drop = connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                        drop.setString(1, slot);
                        drop.execute();
                    }
                }
            }
            try (PreparedStatement create = connection.prepareStatement(
                    "SELECT pg_create_physical_replication_slot(?, true)")) {
                create.setString(1, slot);
                create.execute();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create physical replication slot '" + slot
                    + "' on port " + port + ": " + e.getMessage(), e);
        }
    }

    private static void copyDataDir(Path source, Path target) throws IOException {
        Files.createDirectories(target);
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(dir);
                Path copy = target.resolve(relative.toString());
                Files.createDirectories(copy);
                if (relative.getNameCount() == 1 && COPIED_EMPTY_DIRS.contains(relative.toString())) {
                    if (relative.toString().equals("pg_wal")) {
                        Files.createDirectories(copy.resolve("archive_status"));
                        Files.createDirectories(copy.resolve("summaries"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path relative = source.relativize(file);
                String name = file.getFileName().toString();
                boolean primaryOnly = relative.getNameCount() == 1 && PRIMARY_ONLY_FILES.contains(name);
                if (primaryOnly || name.equals("pg_internal.init") || name.startsWith("pgsql_tmp")) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, target.resolve(relative.toString()), StandardCopyOption.COPY_ATTRIBUTES);
                } catch (NoSuchFileException vanished) {
                    // Dropped by the running primary during the copy; WAL replay recreates what matters.
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    /** standby.signal plus connection settings in postgresql.auto.conf (read after postgresql.conf). */
    private void writeStandbySettings(Path dir, String applicationName, String slot) {
        Path autoConf = dir.resolve("postgresql.auto.conf");
        try {
            List<String> lines = new ArrayList<>();
            if (Files.exists(autoConf)) {
                for (String line : Files.readAllLines(autoConf, StandardCharsets.UTF_8)) {
                    String key = line.split("=", 2)[0].trim();
                    if (!STANDBY_OWNED_SETTINGS.contains(key)) {
                        lines.add(line);
                    }
                }
            }
            lines.add("primary_conninfo = 'host=" + LocalHost.LOOPBACK + " port=" + port + " user=" + SUPERUSER
                    + " application_name=" + applicationName + " dbname=postgres'");
            lines.add("primary_slot_name = '" + slot + "'");
            Files.write(autoConf, lines, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("standby.signal"), "", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write standby settings into " + dir, e);
        }
    }

    private void makeSynchronous(String applicationName) {
        execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = '\"" + applicationName + "\"'");
        // logical decoding (capture) sends nothing the synchronous replica has not received: what capture published
        // is on a replica that may be promoted, and the replica's copy of the capture slot is never ahead of it
        execute("postgres", "ALTER SYSTEM SET synchronized_standby_slots = '"
                + applicationName.toLowerCase(Locale.ROOT) + "'");
        execute("postgres", "SELECT pg_reload_conf()");
    }

    private void awaitReplicationState(String applicationName, String state, String syncState) {
        String what = "replica '" + applicationName + "' to be " + state
                + (syncState == null ? "" : " and " + syncState) + " in pg_stat_replication on port " + port;
        try (Connection connection = connect("postgres");
             PreparedStatement query = connection.prepareStatement(
                     "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = ?")) {
            query.setString(1, applicationName);
            Await.until(what, STREAMING_TIMEOUT, () -> {
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        if (state.equals(rs.getString(1)) && (syncState == null || syncState.equals(rs.getString(2)))) {
                            return true;
                        }
                    }
                    return false;
                }
            });
        } catch (SQLException e) {
            throw new IllegalStateException("could not query pg_stat_replication on port " + port, e);
        }
    }

    private void execute(String database, String sql) {
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("'" + sql + "' failed on PostgreSQL port " + port + ": " + e.getMessage(), e);
        }
    }

    private String queryForString(String sql) {
        try (Connection connection = connect("postgres");
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("'" + sql + "' failed on PostgreSQL port " + port + ": " + e.getMessage(), e);
        }
    }

    private static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return (replica ? "PostgreSQL replica" : "PostgreSQL primary") + " 127.0.0.1:" + port + " " + dataDir;
    }
}
