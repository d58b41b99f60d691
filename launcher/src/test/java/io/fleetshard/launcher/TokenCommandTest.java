package io.fleetshard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--data-dir", dir.toString()));
        int exit = TokenCommand.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return exit + " " + out.toString(StandardCharsets.UTF_8).strip() + err.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode claims(String token) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    @Test
    void mintsATokenWithTheDevPlatformsSecretOnlyOnceThePlatformMadeOne() throws Exception {
        assertThat(run("--role", "admin")).startsWith("1 ").contains("no dev platform data in");
        String secret = DevSecrets.jwtSecret(dir);
        assertThat(Files.getPosixFilePermissions(dir.resolve(DevSecrets.JWT_SECRET_FILE)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(DevSecrets.jwtSecret(dir)).as("kept across starts").isEqualTo(secret);

        String reader = run("--role", "tenant-reader", "--tenant", "acme", "--ttl", "30m");
        assertThat(reader).startsWith("0 ");
        JsonNode c = claims(reader.substring(2));
        assertThat(c.path("role").asText()).isEqualTo("tenant-reader");
        assertThat(c.path("tenant").asText()).isEqualTo("acme");
        assertThat(c.path("exp").asLong() - c.path("iat").asLong()).isEqualTo(1800);
        assertThat(claims(run("--role", "operator").substring(2)).has("tenant")).isFalse();
    }

    @Test
    void printsTheTokenAndWhatItSaysAsJsonOnRequest() throws Exception {
        DevSecrets.jwtSecret(dir);
        String printed = run("--role", "tenant-reader", "--tenant", "acme", "--ttl", "30m", "--output", "json");
        assertThat(printed).startsWith("0 ");
        JsonNode o = JSON.readTree(printed.substring(2));
        assertThat(o.path("role").asText()).isEqualTo("tenant-reader");
        assertThat(o.path("tenant").asText()).isEqualTo("acme");
        assertThat(o.path("token").asText().split("\\.")).hasSize(3);
        long inMinutes = java.time.Duration.between(java.time.Instant.now(),
                java.time.Instant.parse(o.path("expiresAt").asText())).toMinutes();
        assertThat(inMinutes).isBetween(28L, 30L);
        assertThatThrownBy(() -> run("--role", "admin", "--output", "yaml")).hasMessageContaining("--output must be");
    }

    @Test
    void refusesRolesAndTenantsThatDoNotFit() {
        assertThatThrownBy(() -> run()).hasMessageContaining("--role is required");
        assertThatThrownBy(() -> run("--role", "root")).hasMessageContaining("role 'root' is not one of");
        assertThatThrownBy(() -> run("--role", "tenant-writer")).hasMessageContaining("needs --tenant TENANT");
        assertThatThrownBy(() -> run("--role", "admin", "--tenant", "acme"))
                .hasMessageContaining("--tenant is only for tenant-writer and tenant-reader");
        assertThatThrownBy(() -> run("--role", "admin", "--ttl", "31d")).hasMessageContaining("--ttl must be");
        assertThatThrownBy(() -> run("--role", "admin", "--ttl", "soon")).hasMessageContaining("--ttl must be");
    }

    @Test
    void theOperatorCommandsTakeTheOptionThenTheEnvironmentThenTheDevDataDirectory() throws Exception {
        assertThat(CliToken.resolve("opt", null, Map.of(CliToken.ENV, "env"))).isEqualTo("opt");
        assertThat(CliToken.resolve(null, null, Map.of(CliToken.ENV, "env"))).isEqualTo("env");
        assertThat(CliToken.resolve(null, dir.toString(), Map.of())).as("no dev platform there").isNull();
        DevSecrets.jwtSecret(dir);
        String minted = CliToken.resolve(null, dir.toString(), Map.of());
        assertThat(claims(minted).path("role").asText()).isEqualTo("operator");
        assertThat(CliToken.hint(401)).contains("--token", "FLEETSHARD_TOKEN", "./fleetshard token");
    }
}
