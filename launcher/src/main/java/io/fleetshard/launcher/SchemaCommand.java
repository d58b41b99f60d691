package io.fleetshard.launcher;

import io.fleetshard.router.FleetSchema;
import io.fleetshard.router.SchemaInstallException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code fleetshard schema install --jdbc-url URL}: installs the fleet schema ({@link FleetSchema}: the sharded tables,
 * the router's role, tenant isolation and the reshard write fence) on one shard's primary, as a new shard needs before
 * routers serve it or a reshard job copies into it. Idempotent, so it also brings an older shard up to date.
 */
final class SchemaCommand {
    static final String TENANT_SECRET_ENV = "FLEETSHARD_ROUTER_TENANT_SECRET";
    static final String DB_USER_ENV = "FLEETSHARD_ROUTER_DB_USER";
    static final String DB_PASSWORD_ENV = "FLEETSHARD_ROUTER_DB_PASSWORD";
    static final String USAGE = """
            usage: fleetshard schema install --jdbc-url URL [--data-dir DIR]
              installs the fleet schema on one shard's primary database, or brings it up to date (idempotent): the
              sharded tables, the router's database role, tenant isolation (PostgreSQL row-level security, MariaDB
              views) and the reshard write fence. A shard registered with POST /v1/shards needs it before routers
              serve it or a reshard moves fleets into it (docs/runbooks/reshard.md).
              --jdbc-url URL  the shard primary's database as a superuser (PostgreSQL) or root (MariaDB), e.g.
                              jdbc:postgresql://10.0.0.5:5432/fleet?user=postgres&password=...
              the routers' tenant secret and database role, as the routers have them: $%s,
              $%s (default %s) and $%s (default none); without the secret, the dev platform's
              in --data-dir DIR (default .fleetshard/dev)""".formatted(TENANT_SECRET_ENV, DB_USER_ENV,
            FleetSchema.DEFAULT_APP_ROLE, DB_PASSWORD_ENV);

    private SchemaCommand() {
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            (args.isEmpty() ? err : out).println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        if (!args.get(0).equals("install")) {
            err.println("fleetshard schema: unknown subcommand '" + args.get(0) + "'\n" + USAGE);
            return 2;
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> o = CliOptions.parse(args, 1, Set.of("--jdbc-url", "--data-dir"), problems);
        String url = o.get("--jdbc-url");
        Path dataDir = o.containsKey("--data-dir") ? Path.of(o.get("--data-dir")) : CliToken.DEFAULT_DEV_DATA_DIR;
        if (url == null) {
            problems.add("--jdbc-url is required");
        } else if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:mariadb:")) {
            problems.add("--jdbc-url must be a jdbc:postgresql: or jdbc:mariadb: URL");
        }
        String secret = env.get(TENANT_SECRET_ENV);
        if (secret == null || secret.isBlank()) {
            secret = DevSecrets.existingTenantSecret(dataDir).orElse(null);
            if (secret == null) {
                problems.add("no tenant secret: set " + TENANT_SECRET_ENV + " to the routers' router.tenant.secret"
                        + " (no dev platform's secret in " + dataDir + " either)");
            }
        }
        if (!problems.isEmpty()) {
            err.println("fleetshard schema install: " + String.join("; ", problems));
            return 2;
        }
        String role = env.getOrDefault(DB_USER_ENV, FleetSchema.DEFAULT_APP_ROLE);
        try {
            FleetSchema.install(url, secret, role, env.getOrDefault(DB_PASSWORD_ENV, ""));
        } catch (SchemaInstallException | IllegalArgumentException e) {
            err.println("fleetshard schema install: " + e.getMessage());
            return 1;
        }
        out.println("fleet schema installed on " + redact(url) + " for role " + role);
        return 0;
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1******");
    }
}
