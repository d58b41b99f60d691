package io.fleetshard.controlapi;

import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.http.TlsConfig;
import io.fleetshard.http.auth.AuthConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Settings of the control API. Every key is declared once below with its default, its check and its documentation;
 * {@link #from(Map)} checks all of them and fails once with every problem. The launcher maps files, environment
 * variables and flags onto these keys; the README's table is {@link #markdownTable()}.
 */
public final class ControlApiConfig {
    public static final String HTTP_HOST = "control.http.host";
    public static final String HTTP_PORT = "control.http.port";
    public static final String HTTP_MAX_REQUEST_BYTES = "control.http.max.request.bytes";
    public static final String PROBE_INTERVAL_MS = "control.probe.interval.ms";
    public static final String PROBE_TIMEOUT_MS = "control.probe.timeout.ms";
    public static final String PROBE_FAILURES_BEFORE_DOWN = "control.probe.failures.before.down";
    public static final String PROBE_THREADS = "control.probe.threads";
    public static final String PROBE_USER = "control.probe.user";
    public static final String PROBE_PASSWORD = "control.probe.password";
    public static final String MAP_COMMIT_MAX_ATTEMPTS = "control.map.commit.max.attempts";
    public static final String MAP_WAIT_TIMEOUT_MS = "control.map.wait.timeout.ms";
    public static final String MAP_WRITE_LOCK_TIMEOUT_MS = "control.map.write.lock.timeout.ms";
    public static final String RETRY_AFTER_SECONDS = "control.retry.after.seconds";
    public static final String ARCHIVE_TIER = "control.archive.tier";
    public static final String RESHARD_TICK_MS = "control.reshard.tick.ms";
    public static final String RESHARD_COPY_BATCH_ROWS = "control.reshard.copy.batch.rows";
    public static final String RESHARD_COPY_MAX_ROWS_PER_SEC = "control.reshard.copy.max.rows.per.sec";
    public static final String RESHARD_COPY_PARALLELISM = "control.reshard.copy.parallelism";
    public static final String RESHARD_VALIDATE_MAX_ROWS_PER_SEC = "control.reshard.validate.max.rows.per.sec";
    public static final String RESHARD_VALIDATE_BATCH_ROWS = "control.reshard.validate.batch.rows";
    public static final String RESHARD_CUTOVER_MAX_LAG = "control.reshard.cutover.max.lag";
    public static final String RESHARD_CUTOVER_TIMEOUT_MS = "control.reshard.cutover.timeout.ms";
    public static final String RESHARD_CUTOVER_PROBE_MS = "control.reshard.cutover.probe.ms";
    public static final String RESHARD_PG_USER = "control.reshard.postgres.user";
    public static final String RESHARD_PG_PASSWORD = "control.reshard.postgres.password";
    public static final String RESHARD_MYSQL_USER = "control.reshard.mysql.user";
    public static final String RESHARD_MYSQL_PASSWORD = "control.reshard.mysql.password";
    public static final String RESHARD_AUTO = "control.reshard.auto";
    public static final String FAILOVER_AUTO = "control.failover.auto";
    public static final String FAILOVER_TICK_MS = "control.failover.tick.ms";
    public static final String FAILOVER_CONFIRM_ATTEMPTS = "control.failover.confirm.attempts";
    public static final String FAILOVER_CONFIRM_INTERVAL_MS = "control.failover.confirm.interval.ms";
    public static final String FAILOVER_CONFIRM_TIMEOUT_MS = "control.failover.confirm.timeout.ms";
    public static final String FAILOVER_PROMOTE_TIMEOUT_MS = "control.failover.promote.timeout.ms";
    public static final String ORCHESTRATIONS_TOPIC = "control.orchestrations.topic";
    public static final String AUDIT_TOPIC = "control.audit.topic";

    private static final String PREFIX = "control.";
    public static final String AUTH_ENABLED = PREFIX + AuthConfig.ENABLED;
    public static final String AUTH_JWT_SECRET = PREFIX + AuthConfig.JWT_SECRET;
    public static final String AUTH_JWKS_URL = PREFIX + AuthConfig.JWKS_URL;
    public static final String TLS_KEYSTORE_PATH = PREFIX + TlsConfig.KEYSTORE_PATH;
    public static final String TLS_KEYSTORE_PASSWORD = PREFIX + TlsConfig.KEYSTORE_PASSWORD;
    private static final String MASK = "********";

    private static final List<Key> KEYS = withAuthKeys(
            new Key(HTTP_HOST, "127.0.0.1", false, "Address the HTTP server binds to.",
                    v -> v.isBlank() ? "must not be blank" : null),
            Key.integer(HTTP_PORT, 8081, 0, 65_535, "HTTP port; 0 picks a free port (tests)."),
            Key.integer(HTTP_MAX_REQUEST_BYTES, 65_536, 1_024, 16 * 1_024 * 1_024,
                    "Largest accepted request body; a larger one is answered 413."),
            Key.integer(PROBE_INTERVAL_MS, 5_000, 100, 3_600_000,
                    "Pause between two health-probe rounds over every node of the map."),
            Key.integer(PROBE_TIMEOUT_MS, 2_000, 100, 60_000,
                    "Connect, login and query timeout of one node probe; must be below the probe interval."),
            Key.integer(PROBE_FAILURES_BEFORE_DOWN, 3, 1, 100,
                    "Consecutive failed probes after which a node is reported down (before that: suspect)."),
            Key.integer(PROBE_THREADS, 4, 1, 64, "Nodes probed in parallel."),
            Key.text(PROBE_USER, "", false,
                    "Database user of the probes; empty uses the user in each node's JDBC URL."),
            Key.text(PROBE_PASSWORD, "", true, "Password of the probe user (never logged)."),
            Key.integer(MAP_COMMIT_MAX_ATTEMPTS, 5, 1, 50,
                    "Attempts of one map change when the map moved concurrently (version conflict)."),
            Key.integer(MAP_WAIT_TIMEOUT_MS, 5_000, 0, 120_000,
                    "How long a request waits for this instance's map follower to show a version it needs "
                            + "(its own last commit, or the version a conflict reported)."),
            Key.integer(MAP_WRITE_LOCK_TIMEOUT_MS, 10_000, 0, 120_000,
                    "How long a map change waits for the change before it in this instance; then 503."),
            Key.integer(RETRY_AFTER_SECONDS, 5, 1, 3_600,
                    "Retry-After of 503 answers (writer fenced, map log unreachable, busy)."),
            new Key(ARCHIVE_TIER, "standard", false, "Tier of the archive prefix (`<tier>/<shard>/`) whose newest "
                    + "manifests the standby endpoint reports, once the launcher attached the archive's store: "
                    + "standard, enhanced or platinum (the archiver's `archive.tier`).",
                    v -> ShardArchivePath.TIERS.contains(v) ? null : "must be one of standard, enhanced, platinum"),
            Key.integer(RESHARD_TICK_MS, 200, 10, 60_000,
                    "How often the reshard orchestrator looks at its jobs (lag, fence, phase changes)."),
            Key.integer(RESHARD_COPY_BATCH_ROWS, 5_000, 1, 100_000,
                    "Rows per transaction of the bulk copy, the rollback and the cleanup of a reshard job."),
            Key.integer(RESHARD_COPY_MAX_ROWS_PER_SEC, 0, 0, 10_000_000,
                    "Throttle of the bulk copy and the cleanup, rows per second; 0 copies as fast as the shards go."),
            Key.integer(RESHARD_COPY_PARALLELISM, 2, 1, 8,
                    "Ranges of a bulk copy to a PostgreSQL shard copied at once, each by a worker with its own"
                            + " connections to both shards; copies to MariaDB (next-key locks between adjacent ranges)"
                            + " and between engines copy one range at a time."),
            Key.integer(RESHARD_VALIDATE_BATCH_ROWS, 50_000, 1, 10_000_000,
                    "Rows per primary-key range the validation checksums in one query on each shard. Larger than the"
                            + " copy's ranges: a range's rows are spread over the table's pages when rows were"
                            + " written in time order, so every range reads most of the fleet's pages once."),
            Key.integer(RESHARD_VALIDATE_MAX_ROWS_PER_SEC, 0, 0, 100_000_000,
                    "Throttle of the validation (count and checksum on both shards), rows per second; 0 validates"
                            + " as fast as the shards go."),
            Key.integer(RESHARD_CUTOVER_MAX_LAG, 200, 0, 10_000_000,
                    "Shard-log records the delta sync may still have to apply when the cutover starts; the write"
                            + " freeze lasts about as long as applying them takes."),
            Key.integer(RESHARD_CUTOVER_TIMEOUT_MS, 10_000, 100, 600_000,
                    "How long a cutover waits for the target to apply through the fence; then the fence is lifted,"
                            + " writes resume on the source and the job returns to catch-up."),
            Key.integer(RESHARD_CUTOVER_PROBE_MS, 500, 0, 600_000,
                    "Before a cutover holds writes, an empty probe transaction on the source must reach the target"
                            + " through capture and the delta sync within this many ms (ADR 0033); a slower probe is"
                            + " repeated while the job stays in catch-up, and after control.reshard.cutover.timeout.ms"
                            + " of probing a late probe is enough once its trip is steady (not much shorter than the"
                            + " one before), after twice that any probe. 0: no probe."),
            Key.text(RESHARD_PG_USER, "", false, "PostgreSQL user of the resharder (copy, fence, validation,"
                    + " cleanup) and of failover (promotion): it must bypass row-level security (superuser or table"
                    + " owner with BYPASSRLS); promotion needs a superuser or a grant on pg_promote. Empty uses the"
                    + " user in each node's JDBC URL."),
            Key.text(RESHARD_PG_PASSWORD, "", true, "Password of the PostgreSQL resharder user (never logged)."),
            Key.text(RESHARD_MYSQL_USER, "", false, "MySQL/MariaDB user of the resharder: it writes the base tables"
                    + " (not the tenant views) and the marker table. Empty uses the user in the JDBC URL."),
            Key.text(RESHARD_MYSQL_PASSWORD, "", true, "Password of the MySQL/MariaDB resharder user (never logged)."),
            new Key(RESHARD_AUTO, "false", false, "When true, a hot fleet (GET /v1/hot-fleets) is moved to the"
                    + " least-loaded shard of its engine automatically.",
                    v -> v.equals("true") || v.equals("false") ? null : "must be true or false"),
            new Key(FAILOVER_AUTO, "true", false, "When true (and failover is enabled), a PostgreSQL or MariaDB"
                    + " primary whose health probe fails is confirmed down and replaced by its best replica (ADR 0015,"
                    + " ADR 0024).",
                    v -> v.equals("true") || v.equals("false") ? null : "must be true or false"),
            Key.integer(FAILOVER_TICK_MS, 100, 10, 60_000,
                    "How often the failover orchestrator looks at node health and drives running orchestrations."),
            Key.integer(FAILOVER_CONFIRM_ATTEMPTS, 3, 1, 20, "Probes of a suspect primary, by the orchestrator"
                    + " itself, that must all fail before it is declared down; one answer ends the orchestration."),
            Key.integer(FAILOVER_CONFIRM_INTERVAL_MS, 300, 0, 60_000,
                    "Pause between two confirmation probes of a suspect primary."),
            Key.integer(FAILOVER_CONFIRM_TIMEOUT_MS, 2_000, 100, 60_000, "Connect and query timeout of one"
                    + " confirmation probe, and of reaching a candidate: a primary merely slow on a loaded host"
                    + " answers within it; a dead server refuses at once."),
            Key.integer(FAILOVER_PROMOTE_TIMEOUT_MS, 30_000, 1_000, 600_000,
                    "How long the promotion of a replica may take (pg_promote's wait; on"
                    + " MariaDB, the wait for the relay log to be applied)."),
            Key.text(ORCHESTRATIONS_TOPIC, "fleetshard.orchestrations", false, "Kafka topic of the orchestration"
                    + " events (one partition, kept 90 days; docs/spec/orchestrations.md)."),
            Key.text(AUDIT_TOPIC, "fleetshard.audit", false, "Kafka topic of the audit trail, once the launcher"
                    + " enabled it: one event per change made through this API (one partition, kept forever; ADR"
                    + " 0018 \"Audit\")."));

    /** The control API's keys, then the authentication keys of every HTTP component under {@code control.}. */
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

    private ControlApiConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Every default, tokens checked with the HS256 {@code jwtSecret} (the dev platform, tests). */
    public static ControlApiConfig defaults(String jwtSecret) {
        return from(Map.of(AUTH_JWT_SECRET, jwtSecret));
    }

    /**
     * Reads the {@code control.*} keys of {@code settings} (other keys belong to other components and are ignored),
     * fills in defaults and checks everything.
     *
     * @throws ControlApiConfigException listing every invalid or unknown {@code control.*} key
     */
    public static ControlApiConfig from(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new TreeSet<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (Key key : KEYS) {
            known.add(key.name());
            String raw = settings.get(key.name());
            String value = raw == null ? key.defaultValue() : raw.trim();
            String problem = key.check().apply(value);
            if (problem != null) {
                problems.add(key.name() + " " + problem + ", got '" + (key.secret() ? MASK : value) + "'");
            }
            values.put(key.name(), value);
        }
        for (String name : new TreeSet<>(settings.keySet())) {
            if (name.startsWith(PREFIX) && !known.contains(name)) {
                problems.add("unknown key " + name + "; known keys: " + String.join(", ", known));
            }
        }
        if (problems.isEmpty()) {
            long interval = Long.parseLong(values.get(PROBE_INTERVAL_MS));
            long timeout = Long.parseLong(values.get(PROBE_TIMEOUT_MS));
            if (timeout >= interval) {
                problems.add(PROBE_TIMEOUT_MS + " (" + timeout + ") must be below " + PROBE_INTERVAL_MS + " ("
                        + interval + "), or a slow node delays every probe round");
            }
        }
        // the key source is checked with the other problems, so a first start lists it too
        problems.addAll(AuthConfig.problems(PREFIX, suffix -> values.get(PREFIX + suffix)));
        if (problems.isEmpty()) {
            problems.addAll(TlsConfig.problems(PREFIX, suffix -> values.get(PREFIX + suffix)));
        }
        if (!problems.isEmpty()) {
            throw new ControlApiConfigException(problems);
        }
        return new ControlApiConfig(values);
    }

    /** A copy with {@code key} set to {@code value}, checked like {@link #from(Map)}. */
    public ControlApiConfig with(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return from(copy);
    }

    public String auditTopic() {
        return values.get(AUDIT_TOPIC);
    }

    /** HTTPS, when {@code control.tls.keystore.path} is set (ADR 0020). */
    public TlsConfig tls() {
        return TlsConfig.of(suffix -> values.get(PREFIX + suffix));
    }

    /** Who may call the control API, and how tokens are checked (ADR 0018). */
    public AuthConfig auth() {
        return AuthConfig.of(PREFIX, suffix -> values.get(PREFIX + suffix));
    }

    public String host() {
        return values.get(HTTP_HOST);
    }

    public int port() {
        return intValue(HTTP_PORT);
    }

    public int maxRequestBytes() {
        return intValue(HTTP_MAX_REQUEST_BYTES);
    }

    public Duration probeInterval() {
        return Duration.ofMillis(intValue(PROBE_INTERVAL_MS));
    }

    public Duration probeTimeout() {
        return Duration.ofMillis(intValue(PROBE_TIMEOUT_MS));
    }

    public int probeFailuresBeforeDown() {
        return intValue(PROBE_FAILURES_BEFORE_DOWN);
    }

    public int probeThreads() {
        return intValue(PROBE_THREADS);
    }

    /** Empty when the JDBC URLs carry the user. */
    public String probeUser() {
        return values.get(PROBE_USER);
    }

    public String probePassword() {
        return values.get(PROBE_PASSWORD);
    }

    public int mapCommitMaxAttempts() {
        return intValue(MAP_COMMIT_MAX_ATTEMPTS);
    }

    public Duration mapWaitTimeout() {
        return Duration.ofMillis(intValue(MAP_WAIT_TIMEOUT_MS));
    }

    public Duration mapWriteLockTimeout() {
        return Duration.ofMillis(intValue(MAP_WRITE_LOCK_TIMEOUT_MS));
    }

    public int retryAfterSeconds() {
        return intValue(RETRY_AFTER_SECONDS);
    }

    /** The archive tier whose shard prefixes the control API reads, when an archive store is attached. */
    public String archiveTier() {
        return values.get(ARCHIVE_TIER);
    }

    public long reshardTickMs() {
        return intValue(RESHARD_TICK_MS);
    }

    public int reshardCopyBatchRows() {
        return intValue(RESHARD_COPY_BATCH_ROWS);
    }

    /** 0: unthrottled. */
    public int reshardCopyMaxRowsPerSec() {
        return intValue(RESHARD_COPY_MAX_ROWS_PER_SEC);
    }

    public int reshardCopyParallelism() {
        return intValue(RESHARD_COPY_PARALLELISM);
    }

    public int reshardValidateBatchRows() {
        return intValue(RESHARD_VALIDATE_BATCH_ROWS);
    }

    /** 0: unthrottled. */
    public int reshardValidateMaxRowsPerSec() {
        return intValue(RESHARD_VALIDATE_MAX_ROWS_PER_SEC);
    }

    public long reshardCutoverMaxLag() {
        return intValue(RESHARD_CUTOVER_MAX_LAG);
    }

    /** 0 when the cutover does not probe the pipeline first. */
    public long reshardCutoverProbeMs() {
        return intValue(RESHARD_CUTOVER_PROBE_MS);
    }

    public Duration reshardCutoverTimeout() {
        return Duration.ofMillis(intValue(RESHARD_CUTOVER_TIMEOUT_MS));
    }

    /** The resharder's user for a shard of {@code engine}; empty when the JDBC URLs carry it. */
    public String reshardUser(io.fleetshard.shardmap.Engine engine) {
        return values.get(engine == io.fleetshard.shardmap.Engine.POSTGRES ? RESHARD_PG_USER : RESHARD_MYSQL_USER);
    }

    public String reshardPassword(io.fleetshard.shardmap.Engine engine) {
        return values.get(engine == io.fleetshard.shardmap.Engine.POSTGRES ? RESHARD_PG_PASSWORD
                : RESHARD_MYSQL_PASSWORD);
    }

    public boolean reshardAuto() {
        return Boolean.parseBoolean(values.get(RESHARD_AUTO));
    }

    public boolean failoverAuto() {
        return Boolean.parseBoolean(values.get(FAILOVER_AUTO));
    }

    public long failoverTickMs() {
        return intValue(FAILOVER_TICK_MS);
    }

    public int failoverConfirmAttempts() {
        return intValue(FAILOVER_CONFIRM_ATTEMPTS);
    }

    public Duration failoverConfirmTimeout() {
        return Duration.ofMillis(intValue(FAILOVER_CONFIRM_TIMEOUT_MS));
    }

    public long failoverConfirmIntervalMs() {
        return intValue(FAILOVER_CONFIRM_INTERVAL_MS);
    }

    public Duration failoverPromoteTimeout() {
        return Duration.ofMillis(intValue(FAILOVER_PROMOTE_TIMEOUT_MS));
    }

    public String orchestrationsTopic() {
        return values.get(ORCHESTRATIONS_TOPIC);
    }

    /** Every key with its effective value, secrets masked: what the component logs once at start. */
    public Map<String, String> effectiveValues() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Key key : KEYS) {
            String v = values.get(key.name());
            out.put(key.name(), key.secret() && !v.isEmpty() ? MASK : v);
        }
        return out;
    }

    /** The configuration reference as a Markdown table (key, default, meaning), as published in the README. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
        for (Key key : KEYS) {
            String def = key.defaultValue().isEmpty() ? "(empty)" : "`" + key.defaultValue() + "`";
            sb.append("| `").append(key.name()).append("` | ").append(def).append(" | ").append(key.doc())
                    .append(" |\n");
        }
        return sb.toString();
    }

    private int intValue(String key) {
        return Integer.parseInt(values.get(key));
    }

    @Override
    public String toString() {
        return "ControlApiConfig" + effectiveValues();
    }

    /** Declaration of one key: name, default, documentation and a check returning a problem or null. */
    private record Key(String name, String defaultValue, boolean secret, String doc, Function<String, String> check) {

        static Key text(String name, String defaultValue, boolean secret, String doc) {
            return new Key(name, defaultValue, secret, doc, v -> null);
        }

        static Key integer(String name, int defaultValue, int min, int max, String doc) {
            String range = "between " + min + " and " + max;
            return new Key(name, Integer.toString(defaultValue), false, doc + " Integer " + range + ".", v -> {
                int parsed;
                try {
                    parsed = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    return "must be an integer " + range;
                }
                return parsed < min || parsed > max ? "must be " + range : null;
            });
        }
    }
}
