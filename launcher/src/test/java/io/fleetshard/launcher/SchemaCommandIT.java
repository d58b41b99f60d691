package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.PostgresNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fleetshard schema install} on a real PostgreSQL: what a shard registered at run time needs. */
class SchemaCommandIT {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        out.reset();
        err.reset();
        return SchemaCommand.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void installsTheFleetSchemaOnANewShardDatabaseTwiceWithTheDevPlatformsSecret(@TempDir Path dir) throws Exception {
        Path devData = Files.createDirectories(dir.resolve("dev"));
        Files.writeString(devData.resolve(DevSecrets.TENANT_SECRET_FILE), "0123456789abcdef0123456789abcdef\n");
        try (PostgresNode pg = PostgresNode.startPrimary(dir.resolve("pg"))) {
            pg.createDatabase("fleet4");
            String url = pg.jdbcUrl("fleet4");
            for (int i = 0; i < 2; i++) { // idempotent: a second run brings an installed shard up to date
                assertThat(run(Map.of(), "install", "--jdbc-url", url, "--data-dir", devData.toString()))
                        .as(err.toString(StandardCharsets.UTF_8)).isZero();
                assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("fleet schema installed on ")
                        .contains("for role fleetshard_app");
            }
            try (Connection c = DriverManager.getConnection(url);
                 ResultSet rs = c.createStatement().executeQuery("SELECT to_regclass('public.vehicles') IS NOT NULL,"
                         + " to_regclass('public.fleetshard_fence') IS NOT NULL,"
                         + " (SELECT relrowsecurity FROM pg_class WHERE oid = 'public.vehicles'::regclass)")) {
                rs.next();
                assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3)))
                        .as("tables, the reshard fence, row-level security").containsOnly(true);
            }
            // a production shard: the routers' secret from the environment; a wrong kind of URL is refused first
            assertThat(run(Map.of(SchemaCommand.TENANT_SECRET_ENV, "too-short"), "install", "--jdbc-url", url))
                    .isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("tenantSecret must be at least");
        }
    }

    @Test
    void refusesWithoutAUrlOrASecretAndNamesWhatIsMissing(@TempDir Path dir) {
        assertThat(run(Map.of(), "install", "--data-dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--jdbc-url is required")
                .contains("no tenant secret: set FLEETSHARD_ROUTER_TENANT_SECRET");
        assertThat(run(Map.of(), "install", "--jdbc-url", "jdbc:sqlite:x", "--data-dir", dir.toString()))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("must be a jdbc:postgresql: or jdbc:mariadb: URL");
        assertThat(run(Map.of(), "drop")).isEqualTo(2);
        assertThat(run(Map.of())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: fleetshard schema install");
    }
}
