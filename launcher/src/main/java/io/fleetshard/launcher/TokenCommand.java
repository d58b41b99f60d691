package io.fleetshard.launcher;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code fleetshard token --role R [--tenant T]}: prints a token for the dev platform, signed with the HS256 secret in
 * its data directory (ADR 0018). In production tokens come from the identity provider (RS256/ES256 via a JWKS).
 */
final class TokenCommand {
    static final String USAGE = """
            usage: fleetshard token --role ROLE [--tenant TENANT] [--ttl DURATION] [--subject NAME] [--data-dir DIR]
                                    [--output json]
              prints a token for the dev platform whose data is in DIR (default .fleetshard/dev), e.g.
                export FLEETSHARD_TOKEN=$(./fleetshard token --role operator)
                curl -H "Authorization: Bearer $(./fleetshard token --role tenant-reader --tenant acme)" ...
              --role ROLE      admin, operator, tenant-writer or tenant-reader (docs/adr/0018)
              --tenant TENANT  the tenant of a tenant-writer or tenant-reader token (required for them only)
              --ttl DURATION   how long it is valid: 90s, 30m, 12h, 7d (default 12h, at most 30d)
              --subject NAME   who the token says it is (default dev:$USER)
              --output json    {"token", "subject", "role", "tenant", "expiresAt"} instead of the bare token""";
    static final Duration MAX_TTL = Duration.ofDays(30);

    private TokenCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> options = CliOptions.parse(args, 0, Set.of("--role", "--tenant", "--ttl", "--subject",
                "--data-dir", "--output"), problems);
        String role = options.get("--role");
        String tenant = options.get("--tenant");
        String ttl = options.getOrDefault("--ttl", "12h");
        String subject = options.getOrDefault("--subject", "dev:" + System.getProperty("user.name", "unknown"));
        Path dataDir = options.containsKey("--data-dir") ? Path.of(options.get("--data-dir"))
                : CliToken.DEFAULT_DEV_DATA_DIR;
        String output = options.getOrDefault("--output", "text");
        Role parsedRole = null;
        if (role == null) {
            problems.add("--role is required: one of " + Role.names());
        } else {
            try {
                parsedRole = Role.parse(role);
            } catch (IllegalArgumentException e) {
                problems.add("--" + e.getMessage());
            }
        }
        if (parsedRole != null && parsedRole.isTenantRole() != (tenant != null)) {
            problems.add(parsedRole.isTenantRole() ? "a " + parsedRole + " token needs --tenant TENANT"
                    : "--tenant is only for tenant-writer and tenant-reader tokens; " + parsedRole
                            + " reaches every tenant");
        }
        Duration validity = parseTtl(ttl, problems);
        if (!output.equals("text") && !output.equals("json")) {
            problems.add("--output must be text or json, got '" + output + "'");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + USAGE);
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        String secret = DevSecrets.existingJwtSecret(dir).orElse(null);
        if (secret == null) {
            err.println("fleetshard token: no dev platform data in " + dir + " (start `./fleetshard dev` first, or"
                    + " pass --data-dir DIR); in production tokens come from your identity provider");
            return 1;
        }
        java.time.Instant expiresAt = java.time.Instant.now().plus(validity);
        String token = JwtMinter.withDefaults(secret).mint(subject, parsedRole, tenant, validity);
        if (output.equals("json")) {
            com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
                    .createObjectNode().put("token", token).put("subject", subject).put("role", parsedRole.toString());
            if (tenant == null) {
                o.putNull("tenant");
            } else {
                o.put("tenant", tenant);
            }
            out.println(o.put("expiresAt", expiresAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
                    .toPrettyString());
            return 0;
        }
        out.println(token);
        return 0;
    }

    static Duration parseTtl(String text, List<String> problems) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            Duration d = switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> null;
            };
            if (d != null && !d.isNegative() && !d.isZero() && d.compareTo(MAX_TTL) <= 0) {
                return d;
            }
        } catch (RuntimeException e) {
            // reported below
        }
        problems.add("--ttl must be a positive duration of at most 30d such as 90s, 30m, 12h or 7d, got '" + text
                + "'");
        return Duration.ofHours(12);
    }
}
