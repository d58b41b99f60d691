package io.fleetshard.archive.format;

import io.fleetshard.config.ConfigKey;
import io.fleetshard.config.ConfigProblems;
import io.fleetshard.config.ConfigValues;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Settings of per-tenant archive encryption (ADR 0025), shared by the archiver (which seals) and the standby applier
 * and {@code fleetshard restore} (which open). Every problem is reported at once; {@link #markdownTable()} renders the
 * archive-format README's table.
 */
public record ArchiveEncryptionConfig(String tenants, String provider, String localDir, String kmsKeyPattern,
                                      String kmsRegion, String kmsEndpoint) {
    /** Prefix of every key here: a component's config passes these keys on to this class. */
    public static final String PREFIX = "archive.encryption.";

    /** Every configuration key with its default and meaning. */
    public enum Key implements ConfigKey {
        TENANTS("archive.encryption.tenants", "", "Tenants whose archived records (segments) are sealed with their own key, comma-separated; `*`: every tenant of this archiver's tier; empty: none. The archiver seals their segments, the standby applier their base-snapshot rows (and those of any tenant it found sealed)."),
        PROVIDER("archive.encryption.provider", "local", "Where tenant keys live: `local` (a key directory, dev and tests) or `kms` (AWS KMS)."),
        LOCAL_DIR("archive.encryption.local.dir", "", "Directory of local tenant keys, <dir>/<tenant>/<version>.key (64 hex digits); the highest version seals. Required with provider local when tenants are sealed; empty in a reader: sealed records cannot be opened."),
        KMS_KEY_PATTERN("archive.encryption.kms.key.pattern", "alias/fleetshard-tenant-{tenant}", "KMS key of a tenant (alias, key id or ARN) with {tenant} in it."),
        KMS_REGION("archive.encryption.kms.region", "", "AWS region of the KMS keys; empty: the SDK's default region chain."),
        KMS_ENDPOINT("archive.encryption.kms.endpoint", "", "KMS endpoint override (a KMS-compatible server or a VPC endpoint); empty: AWS.");

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

    public ArchiveEncryptionConfig {
        tenants = tenants == null ? "" : tenants.trim();
        ConfigProblems problems = new ConfigProblems();
        check(tenants, provider, localDir, kmsKeyPattern, problems);
        if (!problems.isEmpty()) {
            throw new ArchiveException(problems.message("archive encryption"));
        }
    }

    private static void check(String tenants, String provider, String localDir, String kmsKeyPattern, ConfigProblems problems) {
        if (!"local".equals(provider) && !"kms".equals(provider)) {
            problems.add(Key.PROVIDER.key + " must be local or kms, got '" + provider + "'");
        }
        for (String t : tenantList(tenants)) {
            if (!t.equals("*") && !t.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
                problems.add(Key.TENANTS.key + " entries must be tenant ids ([A-Za-z0-9][A-Za-z0-9._-]*) or *, got '" + t + "'");
            }
        }
        if ("local".equals(provider) && !tenants.isEmpty() && (localDir == null || localDir.isBlank())) {
            problems.add(Key.LOCAL_DIR.key + " is required when " + Key.TENANTS.key + " is set and the provider is local");
        }
        if ("kms".equals(provider) && (kmsKeyPattern == null || !kmsKeyPattern.contains("{tenant}"))) {
            problems.add(Key.KMS_KEY_PATTERN.key + " must contain {tenant}, got '" + kmsKeyPattern + "'");
        }
    }

    /** The defaults: nothing sealed, no keys. */
    public static ArchiveEncryptionConfig defaults() {
        return fromMap(Map.of());
    }

    /** Parses the keys of {@link Key}; an unknown {@code archive.encryption.*} key is a problem, other keys are ignored. */
    public static ArchiveEncryptionConfig fromMap(Map<String, String> values) {
        ConfigValues<Key> v = ConfigValues.defaults(Key.class);
        ConfigProblems problems = new ConfigProblems();
        v.setAll(values, (k, x) -> !k.startsWith(PREFIX), problems);
        check(v.text(Key.TENANTS).trim(), v.text(Key.PROVIDER), v.text(Key.LOCAL_DIR), v.text(Key.KMS_KEY_PATTERN), problems);
        if (!problems.isEmpty()) {
            throw new ArchiveException(problems.message("archive encryption"));
        }
        return new ArchiveEncryptionConfig(v.text(Key.TENANTS), v.text(Key.PROVIDER), v.text(Key.LOCAL_DIR),
                v.text(Key.KMS_KEY_PATTERN), v.text(Key.KMS_REGION), v.text(Key.KMS_ENDPOINT));
    }

    /** Whether any key provider is configured (a local directory, or KMS). */
    public boolean hasKeys() {
        return "kms".equals(provider) || (localDir != null && !localDir.isBlank());
    }

    /**
     * The runtime form: the sealed tenants and a key provider ({@link ArchiveEncryption#NONE} when no keys are
     * configured). KMS uses the default credentials chain.
     */
    public ArchiveEncryption open() {
        if (!hasKeys()) {
            return ArchiveEncryption.NONE;
        }
        TenantKeyProvider keys = "kms".equals(provider)
                ? KmsTenantKeys.connect(kmsRegion, kmsEndpoint, null, null, kmsKeyPattern)
                : new LocalKeyDirectory(Path.of(localDir));
        Set<String> list = new LinkedHashSet<>(tenantList(tenants));
        boolean all = list.remove("*");
        return new ArchiveEncryption(all, list, keys);
    }

    private static Set<String> tenantList(String text) {
        Set<String> out = new LinkedHashSet<>();
        for (String t : text.split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        return out;
    }

    /** The configuration table of the README, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class);
    }
}
