package io.fleetshard.standby;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Settings of a {@link StandbyApplier} (and of snapshots and restores), checked once at construction: every problem is
 * collected and reported together. Keys of {@link Key} work from a file, env vars or flags through {@link #fromMap};
 * {@link #markdownTable()} renders the README's table from the same definitions.
 */
public record StandbyApplierConfig(
        String dbUser,
        String dbPassword,
        long pollIntervalMs,
        long pollIdleMaxMs,
        int batchSize,
        long retryBackoffMs,
        long retryBackoffMaxMs,
        long lagRefreshMs,
        long snapshotEveryManifests,
        long snapshotEveryMs,
        long snapshotPartMaxBytes,
        List<String> positionReaders) {

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        DB_USER("db.user", "", "Standby database user; empty: the JDBC URL's own. Must bypass row-level security (PostgreSQL: superuser or BYPASSRLS; MariaDB: write access to the base tables, not the _rls views)."),
        DB_PASSWORD("db.password", "", "Password of db.user (masked in logs)."),
        POLL_INTERVAL_MS("poll.interval.ms", "200", "Pause between looks for the next manifest once the standby has caught up."),
        POLL_IDLE_MAX_MS("poll.idle.max.ms", "0", "0: a fixed pause of poll.interval.ms. Else the longest pause between looks while no new manifest comes (at least poll.interval.ms): the pause doubles from poll.interval.ms per empty look up to this, and is poll.interval.ms again after a manifest; adds up to this minus poll.interval.ms to the lag of the first manifest after a quiet spell. ./fleetshard dev sets 1000 (ADR 0052); where a MariaDB standby shared its primary's server, the idle lag grew from 3 s to 9.5 s with 1000 (StandbyLagIT)."),
        BATCH_SIZE("batch.size", "1000", "Most rows per JDBC batch (one statement run of one table and kind)."),
        RETRY_BACKOFF_MS("retry.backoff.ms", "200", "First pause after the archive store or the standby database failed; doubles per failure."),
        RETRY_BACKOFF_MAX_MS("retry.backoff.max.ms", "10000", "Longest pause between retries."),
        LAG_REFRESH_MS("lag.refresh.ms", "5000", "How often the archive's latest manifest seq is listed while the standby is behind (applied lag)."),
        SNAPSHOT_EVERY_MANIFESTS("snapshot.every.manifests", "0", "Take a base snapshot after this many manifests since the last one; 0: never by count."),
        SNAPSHOT_EVERY_MS("snapshot.every.ms", "0", "Take a base snapshot when the last one is older than this; 0: never by age."),
        POSITION_READERS("position.readers", "", "Database roles (comma-separated) granted SELECT on fleetshard_standby_position when the applier creates or finds it: the router's and the control API's probe users (PostgreSQL role names; MariaDB users, granted @'%' and @'localhost')."),
        SNAPSHOT_PART_MAX_BYTES("snapshot.part.max.bytes", "67108864", "Uncompressed bytes of rows after which a snapshot row file is cut (bounds memory: one compressed part is held at a time).");

        private final String key;
        private final String defaultValue;
        private final String doc;

        Key(String key, String defaultValue, String doc) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.doc = doc;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public String defaultValue() {
            return defaultValue;
        }

        @Override
        public String doc() {
            return doc;
        }
    }

    public StandbyApplierConfig {
        ConfigProblems problems = new ConfigProblems();
        problems.range(Key.POLL_INTERVAL_MS, pollIntervalMs, 1, 60_000);
        problems.range(Key.POLL_IDLE_MAX_MS, pollIdleMaxMs, 0, 60_000);
        problems.range(Key.BATCH_SIZE, batchSize, 1, 100_000);
        problems.range(Key.RETRY_BACKOFF_MS, retryBackoffMs, 1, 600_000);
        problems.range(Key.RETRY_BACKOFF_MAX_MS, retryBackoffMaxMs, 1, 3_600_000);
        problems.range(Key.LAG_REFRESH_MS, lagRefreshMs, 100, 3_600_000);
        problems.range(Key.SNAPSHOT_EVERY_MANIFESTS, snapshotEveryManifests, 0, 1_000_000_000);
        problems.range(Key.SNAPSHOT_EVERY_MS, snapshotEveryMs, 0, 365L * 86_400_000);
        problems.range(Key.SNAPSHOT_PART_MAX_BYTES, snapshotPartMaxBytes, 1_024, 1L << 32);
        if (pollIdleMaxMs != 0 && pollIdleMaxMs < pollIntervalMs) {
            problems.add(Key.POLL_IDLE_MAX_MS.key + " (" + pollIdleMaxMs + ") must be at least "
                    + Key.POLL_INTERVAL_MS.key + " (" + pollIntervalMs + ")");
        }
        if (retryBackoffMaxMs < retryBackoffMs) {
            problems.add(Key.RETRY_BACKOFF_MAX_MS.key + " (" + retryBackoffMaxMs + ") must be at least "
                    + Key.RETRY_BACKOFF_MS.key + " (" + retryBackoffMs + ")");
        }
        if (dbUser == null) {
            problems.add(Key.DB_USER.key + " must not be null (empty means the URL's user)");
        }
        positionReaders = positionReaders == null ? List.of() : List.copyOf(positionReaders);
        for (String role : positionReaders) {
            if (!role.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
                problems.add(Key.POSITION_READERS.key + " entries must be plain role names ([A-Za-z_][A-Za-z0-9_]*), got '"
                        + role + "'");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfig(problems);
        }
        dbPassword = dbPassword == null ? "" : dbPassword;
    }

    /** Every problem of a configuration; the message lists them all. */
    static final class InvalidConfig extends StandbyException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        InvalidConfig(ConfigProblems problems) {
            super(problems.message("standby applier"));
            this.problems = problems;
        }
    }

    /** The defaults. */
    public static Builder builder() {
        return new Builder();
    }

    public static StandbyApplierConfig defaults() {
        return builder().build();
    }

    /** Parses keys of {@link Key}; unknown keys are a problem too (a typo must not fall back to a default silently). */
    public static StandbyApplierConfig fromMap(Map<String, String> values) {
        Builder b = new Builder();
        ConfigProblems problems = new ConfigProblems();
        b.values.setAll(values, (k, v) -> false, problems);
        return b.build(problems);
    }

    public boolean snapshotsEnabled() {
        return snapshotEveryManifests > 0 || snapshotEveryMs > 0;
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class);
    }

    @Override
    public String toString() {
        return "StandbyApplierConfig[db.user=" + (dbUser.isEmpty() ? "(from URL)" : dbUser) + ", db.password="
                + (dbPassword.isEmpty() ? "(empty)" : "******") + ", poll=" + pollIntervalMs + ".." + pollIdleMaxMs
                + "ms, batch=" + batchSize
                + ", backoff=" + retryBackoffMs + ".." + retryBackoffMaxMs + "ms, lagRefresh=" + lagRefreshMs
                + "ms, snapshot every " + snapshotEveryManifests + " manifests / " + snapshotEveryMs + "ms, part<="
                + snapshotPartMaxBytes + "B]";
    }

    /** Mutable collector of settings; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final ConfigValues<Key> values = ConfigValues.defaults(Key.class);

        private Builder() {
        }

        public Builder set(Key key, String value) {
            values.set(key, value);
            return this;
        }

        public Builder set(Key key, long value) {
            return set(key, Long.toString(value));
        }

        public StandbyApplierConfig build() {
            return build(new ConfigProblems());
        }

        /** Builds with the problems found so far; on failure the message lists those and the record's own. */
        private StandbyApplierConfig build(ConfigProblems problems) {
            StandbyApplierConfig config;
            try {
                config = new StandbyApplierConfig(values.text(Key.DB_USER), values.text(Key.DB_PASSWORD),
                        values.number(Key.POLL_INTERVAL_MS, problems), values.number(Key.POLL_IDLE_MAX_MS, problems),
                        (int) Math.min(Integer.MAX_VALUE, values.number(Key.BATCH_SIZE, problems)),
                        values.number(Key.RETRY_BACKOFF_MS, problems), values.number(Key.RETRY_BACKOFF_MAX_MS, problems),
                        values.number(Key.LAG_REFRESH_MS, problems), values.number(Key.SNAPSHOT_EVERY_MANIFESTS, problems),
                        values.number(Key.SNAPSHOT_EVERY_MS, problems), values.number(Key.SNAPSHOT_PART_MAX_BYTES, problems),
                        readers(values.text(Key.POSITION_READERS)));
            } catch (InvalidConfig e) {
                problems.addAll(e.problems.list());
                throw new InvalidConfig(problems);
            }
            if (!problems.isEmpty()) {
                throw new InvalidConfig(problems);
            }
            return config;
        }

        private static List<String> readers(String text) {
            List<String> out = new ArrayList<>();
            for (String r : (text == null ? "" : text).split(",")) {
                if (!r.isBlank()) {
                    out.add(r.trim());
                }
            }
            return out;
        }
    }
}
