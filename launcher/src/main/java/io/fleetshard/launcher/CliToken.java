package io.fleetshard.launcher;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The token the operator commands ({@code reshard}, {@code failover}, {@code switchover}, {@code orchestrations}) send
 * to the control API (ADR 0018): {@code --token}, else {@code $FLEETSHARD_TOKEN}, else a short-lived operator token
 * minted from the secret of the dev platform whose data is in {@code --data-dir} (default {@code .fleetshard/dev}),
 * else none (the control API then answers 401 and the command says how to get one).
 */
final class CliToken {
    static final String ENV = "FLEETSHARD_TOKEN";
    static final Path DEFAULT_DEV_DATA_DIR = Path.of(".fleetshard", "dev");
    static final String HINT = "send a token with --token TOKEN or $" + ENV + " (against `./fleetshard dev`:"
            + " `./fleetshard token --role operator` mints one, or pass --data-dir DIR of the dev platform)";

    private CliToken() {
    }

    /**
     * @param option the value of {@code --token}, or null
     * @param dataDir the value of {@code --data-dir}, or null for the default
     * @return the token, or null when there is none
     */
    static String resolve(String option, String dataDir, Map<String, String> env) {
        if (option != null && !option.isBlank()) {
            return option.strip();
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        Path dir = dataDir == null ? DEFAULT_DEV_DATA_DIR : Path.of(dataDir);
        return DevSecrets.existingJwtSecret(dir).map(secret -> JwtMinter.withDefaults(secret).mint(
                "fleetshard-cli:" + System.getProperty("user.name", "unknown"), Role.OPERATOR, null,
                Duration.ofMinutes(15))).orElse(null);
    }

    /** What to add to a 401 or 403 answer's message. */
    static String hint(int status) {
        return status == 401 ? " (" + HINT + ")"
                : status == 403 ? " (the token's role may not do this; operator or admin may)" : "";
    }
}
