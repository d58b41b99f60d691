package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code fleetshard dev} process killed with {@code kill -9} must not block the next start on the same data: the
 * database servers it started either stop with it (their exit watchdog notices the JVM is gone) or, if they are still
 * there (the watchdogs died too), are found through the data directory and stopped by the next start. Either way the
 * next start comes up on the kept data. The dev platform's kinds of servers run in a child JVM, which is SIGKILLed.
 */
class ServersAfterCrashIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void serversOfAKilledProcessStopOrAreStoppedAndTheNextStartKeepsTheirData(@TempDir Path dir) throws Exception {
        Path pgDir = dir.resolve("pg");
        Path replicaDir = dir.resolve("pg-replica");
        Path mariaDir = dir.resolve("maria");
        ChildProcesses.Child child = ChildProcesses.start("servers", "-", dir);
        long primaryPid = postmasterPid(pgDir);
        long replicaPid = postmasterPid(replicaDir);
        ProcessHandle maria = child.process().descendants()
                .filter(p -> p.info().command().orElse("").endsWith("/mariadbd")).findFirst().orElseThrow();
        // the rows the next start must find (the primary's commit waits for its synchronous replica)
        int pgPort = Integer.parseInt(Files.readAllLines(pgDir.resolve("postmaster.pid")).get(3).trim());
        execute("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?user=postgres",
                "create table kept (id int primary key)", "insert into kept values (1)");
        int mariaPort = Integer.parseInt(maria.info().arguments().map(List::of).orElseThrow().stream()
                .filter(a -> a.startsWith("--port=")).findFirst().orElseThrow().substring("--port=".length()));
        execute("jdbc:mariadb://127.0.0.1:" + mariaPort + "/?user=root", "create database kept",
                "create table kept.kept (id int primary key)", "insert into kept.kept values (1)");

        // The primary's and MariaDB's watchdogs die with the JVM (as if the whole process group was killed): they
        // stay behind as orphans. The replica's watchdog survives the JVM and stops the replica.
        for (ProcessHandle watchdog : child.process().descendants()
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).contains("fleetshard-exit-watchdog"))
                .toList()) {
            List<String> args = watchdog.info().arguments().map(List::of).orElseThrow();
            if (args.contains(pgDir.toString()) || args.contains("--datadir=" + mariaDir)) {
                watchdog.destroyForcibly();
            }
        }
        child.kill();
        Await.condition("the replica stopped by its watchdog after its JVM died", WAIT, () -> !alive(replicaPid));
        assertThat(alive(primaryPid)).as("the primary, orphaned").isTrue();
        assertThat(maria.isAlive()).as("MariaDB, orphaned").isTrue();

        List<AutoCloseable> again = new ArrayList<>();
        try {
            again.addAll(ChildProcesses.startServers(dir));
            assertThat(alive(primaryPid)).as("the orphaned primary was stopped").isFalse();
            assertThat(maria.isAlive()).as("the orphaned MariaDB was stopped").isFalse();
            MariaDbNode newMaria = (MariaDbNode) again.get(0);
            PostgresNode newReplica = (PostgresNode) again.get(1);
            PostgresNode newPrimary = (PostgresNode) again.get(2);
            assertThat(count(newPrimary.jdbcUrl("postgres"), "select count(*) from kept")).isEqualTo(1);
            assertThat(count(newReplica.jdbcUrl("postgres"), "select count(*) from kept")).isEqualTo(1);
            assertThat(count(newMaria.jdbcUrl("kept"), "select count(*) from kept")).isEqualTo(1);
        } finally {
            for (AutoCloseable c : again) {
                c.close();
            }
        }
    }

    private static long postmasterPid(Path dataDir) throws Exception {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0)
                .trim());
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }

    private static void execute(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    private static long count(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
