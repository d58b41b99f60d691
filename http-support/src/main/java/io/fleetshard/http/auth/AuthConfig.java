package io.fleetshard.http.auth;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The authentication settings of one HTTP component (ADR 0018). The keys are declared once here, relative to the
 * component's prefix ({@code router.}, {@code control.}); each component's config adds them to its own keys, so they
 * are validated, masked and listed in its README table like the others. {@link #of} checks the settings that depend on
 * each other: exactly one key source (a shared HS256 secret or a JWKS URL) while authentication is on.
 */
public final class AuthConfig {
    public static final String ENABLED = "auth.enabled";
    public static final String JWT_SECRET = "auth.jwt.secret";
    public static final String JWKS_URL = "auth.jwks.url";
    public static final String ISSUER = "auth.issuer";
    public static final String AUDIENCE = "auth.audience";
    public static final String CLOCK_SKEW_MS = "auth.clock.skew.ms";
    public static final String JWKS_MAX_AGE_MS = "auth.jwks.max.age.ms";
    public static final String JWKS_MIN_REFRESH_MS = "auth.jwks.min.refresh.ms";
    public static final String JWKS_TIMEOUT_MS = "auth.jwks.timeout.ms";
    public static final String OPEN_PATHS = "auth.open.paths";

    /** Shortest accepted HS256 secret: 256 bits of hex or text, as RFC 7518 asks of an HS256 key. */
    public static final int MIN_SECRET_LENGTH = 32;

    /**
     * One setting: {@code suffix} after the component's prefix, its default (never null: every setting has one), the
     * check of one value (null: fine, else the problem) and its doc, where {@code {p}} stands for the prefix.
     */
    public record Setting(String suffix, String defaultValue, boolean secret, String doc,
            Function<String, String> check) {
        public String doc(String prefix) {
            return doc.replace("{p}", prefix);
        }
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting(ENABLED, "true", false, "When false nobody is asked for a token and every caller acts as"
                    + " admin: only for a process that nothing else can reach. ADR 0018.", AuthConfig::bool),
            new Setting(JWT_SECRET, "", true, "Shared secret of HS256 tokens (at least " + MIN_SECRET_LENGTH
                    + " characters; `./fleetshard dev` generates one per data directory). Set this or"
                    + " `{p}auth.jwks.url`, not both.", v -> v.isEmpty() || v.length() >= MIN_SECRET_LENGTH ? null
                            : "must be at least " + MIN_SECRET_LENGTH + " characters, got " + v.length()),
            new Setting(JWKS_URL, "", false, "URL of the identity provider's JSON Web Key Set: RS256 and ES256 tokens"
                    + " are checked with its keys, fetched on first use, kept, and fetched again for a token whose"
                    + " `kid` is unknown (key rotation). Production's key source.", AuthConfig::httpUrl),
            new Setting(ISSUER, "fleetshard", false, "The `iss` every token must carry.",
                    v -> v.isBlank() ? "must not be blank" : null),
            new Setting(AUDIENCE, "fleetshard", false, "A value the token's `aud` must hold.",
                    v -> v.isBlank() ? "must not be blank" : null),
            new Setting(CLOCK_SKEW_MS, "60000", false, "Clock difference tolerated when checking `exp` and `nbf`.",
                    range(0, 600_000)),
            new Setting(JWKS_MAX_AGE_MS, "600000", false, "Fetched JWKS keys are used this long before the set is"
                    + " fetched again.", range(1_000, 86_400_000)),
            new Setting(JWKS_MIN_REFRESH_MS, "30000", false, "Tokens with an unknown `kid` fetch the JWKS again at"
                    + " most this often, so forged `kid`s cannot flood the identity provider.", range(0, 3_600_000)),
            new Setting(JWKS_TIMEOUT_MS, "5000", false, "Connect and read timeout of one JWKS fetch.",
                    range(100, 60_000)),
            new Setting(OPEN_PATHS, "/healthz,/readyz,/metrics,/openapi.json", false, "Comma-separated paths"
                    + " answered without a token (exact match).", AuthConfig::paths));

    private final boolean enabled;
    private final String jwtSecret;
    private final URI jwksUrl;
    private final String issuer;
    private final String audience;
    private final Duration clockSkew;
    private final Duration jwksMaxAge;
    private final Duration jwksMinRefresh;
    private final Duration jwksTimeout;
    private final Set<String> openPaths;

    private AuthConfig(Function<String, String> values) {
        this.enabled = Boolean.parseBoolean(values.apply(ENABLED));
        this.jwtSecret = values.apply(JWT_SECRET);
        String url = values.apply(JWKS_URL);
        this.jwksUrl = url.isEmpty() ? null : URI.create(url);
        this.issuer = values.apply(ISSUER);
        this.audience = values.apply(AUDIENCE);
        this.clockSkew = Duration.ofMillis(Long.parseLong(values.apply(CLOCK_SKEW_MS)));
        this.jwksMaxAge = Duration.ofMillis(Long.parseLong(values.apply(JWKS_MAX_AGE_MS)));
        this.jwksMinRefresh = Duration.ofMillis(Long.parseLong(values.apply(JWKS_MIN_REFRESH_MS)));
        this.jwksTimeout = Duration.ofMillis(Long.parseLong(values.apply(JWKS_TIMEOUT_MS)));
        this.openPaths = Set.copyOf(split(values.apply(OPEN_PATHS)));
    }

    /** Every setting, in the order of the README tables. */
    public static List<Setting> settings() {
        return SETTINGS;
    }

    /**
     * The problems of settings that depend on each other, given values that each passed their own check
     * ({@code valueOf} maps a suffix to its value, default applied); empty when there are none.
     */
    public static List<String> problems(String prefix, Function<String, String> valueOf) {
        List<String> problems = new ArrayList<>();
        boolean secret = !valueOf.apply(JWT_SECRET).isEmpty();
        boolean jwks = !valueOf.apply(JWKS_URL).isEmpty();
        if (Boolean.parseBoolean(valueOf.apply(ENABLED)) && !secret && !jwks) {
            problems.add(prefix + JWKS_URL + " (production: the identity provider's keys) or " + prefix + JWT_SECRET
                    + " (a shared HS256 secret) is required: without a key no token can be checked; "
                    + prefix + ENABLED + "=false turns authentication off, only for a process nothing else can reach");
        }
        if (secret && jwks) {
            problems.add("set only one of " + prefix + JWT_SECRET + " and " + prefix + JWKS_URL
                    + ": a server accepts tokens of one key source");
        }
        return problems;
    }

    /**
     * The settings; {@code valueOf} maps a suffix to a value that passed its check and {@link #problems}.
     *
     * @throws IllegalArgumentException if {@link #problems} finds any
     */
    public static AuthConfig of(String prefix, Function<String, String> valueOf) {
        List<String> problems = problems(prefix, valueOf);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new AuthConfig(valueOf);
    }

    public boolean enabled() {
        return enabled;
    }

    /** The HS256 secret, or null when keys come from a JWKS. */
    public String jwtSecret() {
        return jwtSecret.isEmpty() ? null : jwtSecret;
    }

    /** The JWKS URL, or null when tokens are HS256. */
    public URI jwksUrl() {
        return jwksUrl;
    }

    public String issuer() {
        return issuer;
    }

    public String audience() {
        return audience;
    }

    public Duration clockSkew() {
        return clockSkew;
    }

    public Duration jwksMaxAge() {
        return jwksMaxAge;
    }

    public Duration jwksMinRefresh() {
        return jwksMinRefresh;
    }

    public Duration jwksTimeout() {
        return jwksTimeout;
    }

    public Set<String> openPaths() {
        return openPaths;
    }

    @Override
    public String toString() {
        return "AuthConfig[enabled=" + enabled + ", keys=" + (jwksUrl != null ? "JWKS " + jwksUrl
                : jwtSecret.isEmpty() ? "none" : "HS256 secret ******") + ", issuer=" + issuer + ", audience="
                + audience + ", openPaths=" + openPaths + "]";
    }

    private static String bool(String v) {
        return v.equals("true") || v.equals("false") ? null : "must be true or false";
    }

    private static String httpUrl(String v) {
        if (v.isEmpty()) {
            return null;
        }
        try {
            URI u = new URI(v);
            if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) {
                return "must be an http:// or https:// URL";
            }
            return null;
        } catch (java.net.URISyntaxException e) {
            return "is not a URL (" + e.getReason() + ")";
        }
    }

    private static String paths(String v) {
        for (String p : split(v)) {
            if (!p.startsWith("/")) {
                return "must be comma-separated paths starting with /, got '" + p + "'";
            }
        }
        return null;
    }

    private static List<String> split(String v) {
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    private static Function<String, String> range(long min, long max) {
        return v -> {
            try {
                long l = Long.parseLong(v);
                return l < min || l > max ? "must be between " + min + " and " + max : null;
            } catch (NumberFormatException e) {
                return "must be an integer between " + min + " and " + max;
            }
        };
    }

    static AuthConfig forTests(String secret, URI jwks) {
        return new AuthConfig(s -> switch (s) {
            case JWT_SECRET -> secret == null ? "" : secret;
            case JWKS_URL -> jwks == null ? "" : jwks.toString();
            default -> SETTINGS.stream().filter(x -> x.suffix().equals(s)).findFirst().orElseThrow().defaultValue();
        });
    }

    /** Tests: a copy whose other settings are as given. */
    AuthConfig with(String suffix, String value) {
        AuthConfig base = this;
        return new AuthConfig(s -> s.equals(suffix) ? value : base.raw(s));
    }

    private String raw(String suffix) {
        return switch (suffix) {
            case ENABLED -> Boolean.toString(enabled);
            case JWT_SECRET -> jwtSecret;
            case JWKS_URL -> jwksUrl == null ? "" : jwksUrl.toString();
            case ISSUER -> issuer;
            case AUDIENCE -> audience;
            case CLOCK_SKEW_MS -> Long.toString(clockSkew.toMillis());
            case JWKS_MAX_AGE_MS -> Long.toString(jwksMaxAge.toMillis());
            case JWKS_MIN_REFRESH_MS -> Long.toString(jwksMinRefresh.toMillis());
            case JWKS_TIMEOUT_MS -> Long.toString(jwksTimeout.toMillis());
            case OPEN_PATHS -> String.join(",", openPaths);
            default -> throw new IllegalArgumentException("unknown auth setting " + suffix);
        };
    }
}
