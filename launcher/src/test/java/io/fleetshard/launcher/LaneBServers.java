package io.fleetshard.launcher;

import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;

/**
 * The servers of an archive-and-standby test (lane B): a PostgreSQL and a MariaDB server, started side by side, and
 * an S3 server with the archive's bucket. One per test class.
 */
record LaneBServers(PostgresNode pg, MariaDbNode maria, S3Server s3, S3ArchiveStore store) implements AutoCloseable {

    static LaneBServers start(Path dir, String bucket) {
        CompletableFuture<PostgresNode> pg = CompletableFuture.supplyAsync(() -> PostgresNode.startPrimary(
                dir.resolve("pg")));
        CompletableFuture<MariaDbNode> maria = CompletableFuture.supplyAsync(() -> MariaDbNode.start(
                dir.resolve("maria")));
        S3Server s3 = S3Server.start(dir.resolve("s3"));
        S3ArchiveStore store = new S3ArchiveStore(s3.newClient(), bucket);
        store.ensureBucket();
        return new LaneBServers(pg.join(), maria.join(), s3, store);
    }

    /** Runs each statement on {@code url}, in autocommit. */
    static void exec(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {pg, maria, s3}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }
}
