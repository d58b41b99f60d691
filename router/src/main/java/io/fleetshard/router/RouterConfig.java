package io.fleetshard.router;

import io.fleetshard.http.TlsConfig;
import io.fleetshard.http.auth.AuthConfig;
import io.fleetshard.shardmap.Ids;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Typed, validated settings of the router. Every key is declared once below with its default, rule and doc; the
 * README's table is {@link #markdownTable()}. {@link #from(Map)} checks every key and fails once, listing all
 * problems. The same keys work from a properties file, flags, or environment variables ({@link #fromEnvironment}).
 */
public final class RouterConfig {
    public static final String HOST = "router.host";
    public static final String PORT = "router.port";
    public static final String TENANT_SECRET = "router.tenant.secret";
    public static final String DB_USER = "router.db.user";
    public static final String DB_PASSWORD = "router.db.password";
    public static final String REGION = "router.region";
    public static final String POOL_MAX_SIZE = "router.pool.max.size";
    public static final String POOL_MIN_IDLE = "router.pool.min.idle";
    public static final String REQUEST_TIMEOUT_MS = "router.request.timeout.ms";
    public static final String MAX_REQUEST_BYTES = "router.max.request.bytes";
    public static final String PROBE_INTERVAL_MS = "router.probe.interval.ms";
    public static final String SCATTER_THREADS = "router.scatter.threads";
    public static final String SCATTER_MAX_ROWS = "router.scatter.max.rows";
    public static final String BATCH_MAX_ITEMS = "router.batch.max.items";
    public static final String PG_PREPARE_THRESHOLD = "router.pg.prepare.threshold";
    public static final String PG_STRING_TYPE = "router.pg.string.type";
    public static final String RESHARD_HOLD_MS = "router.reshard.hold.ms";
    public static final String TENANT_BINDING = "router.tenant.binding";
    public static final String QUERY_PORT = "router.query.port";
    public static final String QUERY_MAX_CONNECTIONS = "router.query.max.connections";
    public static final String QUERY_IDLE_TIMEOUT_MS = "router.query.idle.timeout.ms";
    public static final String QUERY_ADVERTISED_PORT = "router.query.advertised.port";
    private static final String PREFIX = "router.";
    public static final String AUTH_ENABLED = PREFIX + AuthConfig.ENABLED;
    public static final String AUTH_JWT_SECRET = PREFIX + AuthConfig.JWT_SECRET;
    public static final String AUTH_JWKS_URL = PREFIX + AuthConfig.JWKS_URL;
    public static final String TLS_KEYSTORE_PATH = PREFIX + TlsConfig.KEYSTORE_PATH;
    public static final String TLS_KEYSTORE_PASSWORD = PREFIX + TlsConfig.KEYSTORE_PASSWORD;

    /** Shortest accepted tenant secret: it keys the signatures that shards check, so it must not be guessable. */
    public static final int MIN_SECRET_LENGTH = 16;

    private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final String ENV_PREFIX = "FLEETSHARD_";

    private record Key(String name, String defaultValue, boolean secret, String doc, Function<String, String> check) {
    }

    private static final List<Key> KEYS = withAuthKeys(
            new Key(HOST, "127.0.0.1", false, "Interface the HTTP server binds to.", v -> v.isBlank() ? "must not be blank" : null),
            new Key(PORT, "8080", false, "HTTP port; 0 picks a free port.", range(0, 65535)),
            new Key(TENANT_SECRET, null, true, "Secret the per-request tenant signature is derived from; every shard's"
                    + " FleetSchema must be installed with the same secret. Required, at least " + MIN_SECRET_LENGTH
                    + " characters.", v -> v.length() < MIN_SECRET_LENGTH
                            ? "must be at least " + MIN_SECRET_LENGTH + " characters, got " + v.length() : null),
            new Key(DB_USER, FleetSchema.DEFAULT_APP_ROLE, false, "Database role the router connects as: a"
                    + " non-superuser that owns no tables (created by FleetSchema).",
                    v -> ROLE_NAME.matcher(v).matches() ? null : "must match " + ROLE_NAME.pattern()),
            new Key(DB_PASSWORD, "", true, "Password of the router's database role (empty: none).", v -> null),
            new Key(REGION, "", false, "Region of this router; the default region hint for picking the nearest"
                    + " replica (empty: none).", v -> v.isEmpty() || Ids.isValid(v) ? null
                            : "must be empty or 1-64 characters of [A-Za-z0-9._-]"),
            new Key(POOL_MAX_SIZE, "8", false, "Maximum JDBC connections per database node.", range(1, 200)),
            new Key(POOL_MIN_IDLE, "2", false, "Idle connections kept open per node, so pools stay warm.", range(0, 200)),
            new Key(REQUEST_TIMEOUT_MS, "5000", false, "Deadline of a request: waiting for a connection plus the"
                    + " statement (enforced by the database as its statement timeout).", range(50, 600_000)),
            new Key(MAX_REQUEST_BYTES, "65536", false, "Largest accepted request body; larger ones get 413.",
                    range(1024, 16 * 1024 * 1024)),
            new Key(PROBE_INTERVAL_MS, "100", false, "How often each shard's replicas are probed for health and"
                    + " replication lag.", range(10, 60_000)),
            new Key(SCATTER_THREADS, "8", false, "Threads running the per-shard legs of scatter queries.", range(1, 256)),
            new Key(SCATTER_MAX_ROWS, "100000", false, "Most rows a scatter query may gather before merging; more is"
                    + " answered 422 (add a LIMIT to the SQL).", range(1, 10_000_000)),
            new Key(BATCH_MAX_ITEMS, "64", false, "Most statements one POST /v1/query/batch may carry; more is"
                    + " answered 422 (the body is also bounded by router.max.request.bytes). ADR 0031.",
                    range(1, 10_000)),
            new Key(PG_PREPARE_THRESHOLD, "5", false, "pgjdbc prepareThreshold for PostgreSQL shards: after this many"
                    + " runs of the same SQL on a connection it becomes a server-side prepared statement (0: never).",
                    range(0, 1000)),
            new Key(PG_STRING_TYPE, "varchar", false, "How JSON string parameters are typed on PostgreSQL shards:"
                    + " varchar (cast in SQL for other types: ?::timestamptz), or unspecified (the server infers the"
                    + " type, but a prepared statement then costs a second round trip); see router/README.md.",
                    v -> v.equals("varchar") || v.equals("unspecified") ? null : "must be varchar or unspecified"),
            new Key(RESHARD_HOLD_MS, "2000", false, "How long a write that a shard refuses because its fleet is"
                    + " fenced for a move (SQLSTATE FS002, ADR 0013) is held, waiting for a shard map that places the"
                    + " fleet elsewhere and retrying it there; past it the answer is 503 with Retry-After (0: no hold)."
                    + " The hold does not count against router.request.timeout.ms.", range(0, 600_000)),
            new Key(TENANT_BINDING, "connection", false, "How a statement is bound to its tenant on the shard:"
                    + " connection (a pooled connection stays bound to its last tenant and fleet, so the next"
                    + " statement of that tenant runs without a bind; ADR 0016) or transaction (every statement binds"
                    + " its own transaction: one more statement per request on PostgreSQL, one more round trip on"
                    + " MariaDB).", v -> v.equals("connection") || v.equals("transaction") ? null
                            : "must be connection or transaction"),
            new Key(QUERY_PORT, "-1", false, "Port of the blocking HTTP/1.1 listener that serves only POST /v1/query"
                    + " and POST /v1/query/batch with a Content-Length body, one thread per connection (ADR 0039);"
                    + " -1: off, 0 picks a free port. HTTPS with the main port's key store, protocols and cipher suites when"
                    + " router.tls.keystore.path is set, else plain HTTP.",
                    range(-1, 65535)),
            new Key(QUERY_MAX_CONNECTIONS, "256", false, "Most open connections (each one a thread) of the listener on"
                    + " router.query.port; one more is answered 503 with Retry-After and closed.", range(1, 10_000)),
            new Key(QUERY_IDLE_TIMEOUT_MS, "30000", false, "A connection of router.query.port that has neither received a"
                    + " request head nor completed a request for this long (idle, or sending slowly) is closed.", range(100, 3_600_000)),
            new Key(QUERY_ADVERTISED_PORT, "0", false, "The port every answer's FleetShard-Query-Port header names, so"
                    + " that clients send POST /v1/query there (ADR 0042): 0 the port router.query.port listens on,"
                    + " -1 none (clients stay on router.port), else this port (the listener's port as clients reach it"
                    + " through a port mapping). Only with router.query.port on.", range(-1, 65535)));

    /** The router's keys, then the authentication keys of every HTTP component under {@code router.} (ADR 0018). */
    private static List<Key> withAuthKeys(Key... own) {
        List<Key> all = new ArrayList<>(List.of(own));
        for (AuthConfig.Setting s : AuthConfig.settings()) {
            all.add(new Key(PREFIX + s.suffix(), s.defaultValue(), s.secret(), s.doc(PREFIX), s.check()));
        }
        for (TlsConfig.Setting s : TlsConfig.settings()) {
            all.add(new Key(PREFIX + s.suffix(), s.defaultValue(), s.secret(), s.doc(PREFIX), s.check()));
        }
        return List.copyOf(all);
    }

    private final Map<String, String> values;

    private RouterConfig(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Reads the router's keys from {@code raw} (other keys starting with {@code router.} are reported as unknown;
     * keys of other components are ignored), applies defaults, and validates everything.
     *
     * @throws InvalidRouterConfigException listing every problem found
     */
    public static RouterConfig from(Map<String, String> raw) {
        Objects.requireNonNull(raw, "raw");
        List<String> problems = new ArrayList<>();
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : raw.keySet()) {
            if (name.startsWith("router.") && KEYS.stream().noneMatch(k -> k.name.equals(name))) {
                problems.add("unknown key " + name + " (known: " + String.join(", ", names()) + ")");
            }
        }
        for (Key key : KEYS) {
            String value = raw.get(key.name);
            value = value == null ? key.defaultValue : value.trim();
            if (value == null) {
                problems.add(key.name + " is required: " + key.doc);
                continue;
            }
            String problem = key.check.apply(value);
            if (problem != null) {
                problems.add(key.name + " " + problem + (key.secret ? "" : " (got '" + value + "')"));
                continue;
            }
            out.put(key.name, value);
        }
        if (out.containsKey(POOL_MIN_IDLE) && out.containsKey(POOL_MAX_SIZE)
                && Integer.parseInt(out.get(POOL_MIN_IDLE)) > Integer.parseInt(out.get(POOL_MAX_SIZE))) {
            problems.add(POOL_MIN_IDLE + " (" + out.get(POOL_MIN_IDLE) + ") must not exceed " + POOL_MAX_SIZE + " ("
                    + out.get(POOL_MAX_SIZE) + ")");
        }
        // the key source is checked with the other problems, so a first start lists it too (invalid keys read as "")
        problems.addAll(AuthConfig.problems(PREFIX, suffix -> out.getOrDefault(PREFIX + suffix, "")));
        problems.addAll(TlsConfig.problems(PREFIX, suffix -> out.getOrDefault(PREFIX + suffix, "")));
        if (!problems.isEmpty()) {
            throw new InvalidRouterConfigException(problems);
        }
        return new RouterConfig(Map.copyOf(out));
    }

    /**
     * Reads the keys from environment variables: {@code router.pool.max.size} is {@code FLEETSHARD_ROUTER_POOL_MAX_SIZE}.
     */
    public static RouterConfig fromEnvironment(Map<String, String> env) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith(ENV_PREFIX + "ROUTER_")) {
                raw.put(e.getKey().substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                        e.getValue());
            }
        }
        return from(raw);
    }

    /** The environment variable that carries {@code key}. */
    public static String environmentName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All key names, in declaration order. */
    public static List<String> names() {
        return KEYS.stream().map(Key::name).toList();
    }

    public String host() {
        return values.get(HOST);
    }

    public int port() {
        return intValue(PORT);
    }

    public String tenantSecret() {
        return values.get(TENANT_SECRET);
    }

    public String dbUser() {
        return values.get(DB_USER);
    }

    public String dbPassword() {
        return values.get(DB_PASSWORD);
    }

    /** This router's region, or null. */
    public String region() {
        String r = values.get(REGION);
        return r.isEmpty() ? null : r;
    }

    public int poolMaxSize() {
        return intValue(POOL_MAX_SIZE);
    }

    public int poolMinIdle() {
        return intValue(POOL_MIN_IDLE);
    }

    public long requestTimeoutMs() {
        return intValue(REQUEST_TIMEOUT_MS);
    }

    public long maxRequestBytes() {
        return intValue(MAX_REQUEST_BYTES);
    }

    public long probeIntervalMs() {
        return intValue(PROBE_INTERVAL_MS);
    }

    public int scatterThreads() {
        return intValue(SCATTER_THREADS);
    }

    public int scatterMaxRows() {
        return intValue(SCATTER_MAX_ROWS);
    }

    public int batchMaxItems() {
        return intValue(BATCH_MAX_ITEMS);
    }

    public int pgPrepareThreshold() {
        return intValue(PG_PREPARE_THRESHOLD);
    }

    /** pgjdbc's {@code stringtype}: {@code varchar} or {@code unspecified}. */
    public String pgStringType() {
        return values.get(PG_STRING_TYPE);
    }

    /** True when pooled connections stay bound to their last tenant ({@code router.tenant.binding=connection}). */
    public boolean bindsConnections() {
        return values.get(TENANT_BINDING).equals("connection");
    }

    /** The blocking query listener's port (ADR 0039): -1 off, 0 any free port. */
    public int queryPort() {
        return intValue(QUERY_PORT);
    }

    public int queryMaxConnections() {
        return intValue(QUERY_MAX_CONNECTIONS);
    }

    public long queryIdleTimeoutMs() {
        return intValue(QUERY_IDLE_TIMEOUT_MS);
    }

    /** What the {@code FleetShard-Query-Port} header names (ADR 0042): 0 the listener's own port, -1 nothing. */
    public int queryAdvertisedPort() {
        return intValue(QUERY_ADVERTISED_PORT);
    }

    /** How long a write refused by a shard's fence waits for a map that moves its fleet (ADR 0013). */
    public long reshardHoldMs() {
        return intValue(RESHARD_HOLD_MS);
    }

    /** Who may call the router, and how tokens are checked (ADR 0018). */
    /** HTTPS, when {@code router.tls.keystore.path} is set (ADR 0020). */
    public TlsConfig tls() {
        return TlsConfig.of(suffix -> values.get(PREFIX + suffix));
    }

    public AuthConfig auth() {
        return AuthConfig.of(PREFIX, suffix -> values.get(PREFIX + suffix));
    }

    /** The effective values, secrets masked: what to log once at start. */
    public Map<String, String> effectiveValues() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Key key : KEYS) {
            String v = values.get(key.name);
            out.put(key.name, key.secret ? (v.isEmpty() ? "" : "******") : v);
        }
        return out;
    }

    @Override
    public String toString() {
        return "RouterConfig" + effectiveValues();
    }

    /** The README's configuration table, generated from the key definitions. */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder("| key | env | default | meaning |\n| --- | --- | --- | --- |\n");
        for (Key key : KEYS) {
            b.append("| `").append(key.name).append("` | `").append(environmentName(key.name)).append("` | ")
                    .append(key.defaultValue == null ? "(required)" : key.defaultValue.isEmpty() ? "(empty)"
                            : "`" + key.defaultValue + "`")
                    .append(" | ").append(key.doc).append(" |\n");
        }
        return b.toString();
    }

    private int intValue(String key) {
        return Integer.parseInt(values.get(key));
    }

    private static Function<String, String> range(int min, int max) {
        return v -> {
            try {
                int i = Integer.parseInt(v);
                return i < min || i > max ? "must be between " + min + " and " + max : null;
            } catch (NumberFormatException e) {
                return "must be an integer between " + min + " and " + max;
            }
        };
    }

    /** Builds a config from typed values; {@link #build()} runs the same validation as {@link RouterConfig#from}. */
    public static final class Builder {
        private final Map<String, String> raw = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder set(String key, String value) {
            raw.put(key, value);
            return this;
        }

        public Builder host(String host) {
            return set(HOST, host);
        }

        public Builder port(int port) {
            return set(PORT, Integer.toString(port));
        }

        public Builder tenantSecret(String secret) {
            return set(TENANT_SECRET, secret);
        }

        public Builder dbUser(String user) {
            return set(DB_USER, user);
        }

        public Builder dbPassword(String password) {
            return set(DB_PASSWORD, password);
        }

        public Builder region(String region) {
            return set(REGION, region);
        }

        public Builder poolMaxSize(int n) {
            return set(POOL_MAX_SIZE, Integer.toString(n));
        }

        public Builder poolMinIdle(int n) {
            return set(POOL_MIN_IDLE, Integer.toString(n));
        }

        public Builder requestTimeoutMs(long ms) {
            return set(REQUEST_TIMEOUT_MS, Long.toString(ms));
        }

        public Builder maxRequestBytes(long bytes) {
            return set(MAX_REQUEST_BYTES, Long.toString(bytes));
        }

        public Builder probeIntervalMs(long ms) {
            return set(PROBE_INTERVAL_MS, Long.toString(ms));
        }

        public Builder scatterThreads(int n) {
            return set(SCATTER_THREADS, Integer.toString(n));
        }

        public Builder scatterMaxRows(int n) {
            return set(SCATTER_MAX_ROWS, Integer.toString(n));
        }

        public Builder batchMaxItems(int n) {
            return set(BATCH_MAX_ITEMS, Integer.toString(n));
        }

        public Builder pgPrepareThreshold(int n) {
            return set(PG_PREPARE_THRESHOLD, Integer.toString(n));
        }

        public Builder pgStringType(String type) {
            return set(PG_STRING_TYPE, type);
        }

        public Builder reshardHoldMs(long ms) {
            return set(RESHARD_HOLD_MS, Long.toString(ms));
        }

        /** {@code connection} or {@code transaction} ({@link RouterConfig#TENANT_BINDING}). */
        public Builder tenantBinding(String binding) {
            return set(TENANT_BINDING, binding);
        }

        /** The HS256 secret tokens are signed with ({@code router.auth.jwt.secret}). */
        public Builder jwtSecret(String secret) {
            return set(AUTH_JWT_SECRET, secret);
        }

        public RouterConfig build() {
            return from(raw);
        }
    }
}
