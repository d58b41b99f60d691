package io.fleetshard.archive.format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-tenant key-encryption keys in a local directory, for {@code dev} and tests (ADR 0025):
 * {@code <dir>/<tenant>/<version>.key}, each 64 hex digits (256 bits). The highest version wraps new data keys (a new
 * version is a rotation); older versions keep opening what they wrapped as long as their file exists. Key ids are
 * {@code local:<tenant>/<version>}. Wrapping is AES-256-GCM with a random nonce and the key id as associated data.
 */
public final class LocalKeyDirectory implements TenantKeyProvider {
    private static final Pattern KEY_ID = Pattern.compile("local:([^/]+)/([0-9]{1,9})");
    private static final Pattern VERSION_FILE = Pattern.compile("([0-9]{1,9})\\.key");
    private static final int NONCE_BYTES = 12;
    private final Path dir;
    private final SecureRandom random;

    public LocalKeyDirectory(Path dir) {
        this.dir = dir;
        this.random = new SecureRandom();
    }

    /** Creates the next key version of {@code tenant} (the first is 1); answers its key id. */
    public static String createKey(Path dir, String tenant) {
        checkTenant(tenant);
        try {
            Path tenantDir = Files.createDirectories(dir.resolve(tenant));
            int version = latestVersion(tenantDir) + 1;
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.writeString(tenantDir.resolve(version + ".key"), HexFormat.of().formatHex(key) + "\n", StandardCharsets.US_ASCII);
            return keyId(tenant, version);
        } catch (IOException e) {
            throw new ArchiveException("cannot create a key for tenant " + tenant + " under " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DataKey generate(String tenant) {
        checkTenant(tenant);
        int version;
        try {
            version = latestVersion(dir.resolve(tenant));
        } catch (IOException e) {
            throw new TenantKeyException(tenant, "local:" + tenant + "/?", "cannot list " + dir.resolve(tenant) + ": " + e, e);
        }
        String keyId = keyId(tenant, version);
        if (version == 0) {
            throw new TenantKeyException(tenant, keyId(tenant, 1), "no key file under " + dir.resolve(tenant)
                    + " (create one with LocalKeyDirectory.createKey or `fleetshard dev`)", null);
        }
        byte[] kek = read(tenant, keyId, version);
        byte[] plain = new byte[32];
        random.nextBytes(plain);
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, kek, nonce, keyId);
            byte[] ct = c.doFinal(plain);
            byte[] wrapped = new byte[NONCE_BYTES + ct.length];
            System.arraycopy(nonce, 0, wrapped, 0, NONCE_BYTES);
            System.arraycopy(ct, 0, wrapped, NONCE_BYTES, ct.length);
            return new DataKey(keyId, plain, wrapped);
        } catch (GeneralSecurityException e) {
            throw new ArchiveException("cannot wrap a data key with " + keyId, e);
        }
    }

    @Override
    public byte[] unwrap(String tenant, String keyId, byte[] wrapped) {
        Matcher m = KEY_ID.matcher(keyId);
        if (!m.matches() || !m.group(1).equals(tenant)) {
            throw new TenantKeyException(tenant, keyId, "not a local key id of this tenant (local:" + tenant + "/<version>)", null);
        }
        byte[] kek = read(tenant, keyId, Integer.parseInt(m.group(2)));
        if (wrapped.length <= NONCE_BYTES) {
            throw new TenantKeyException(tenant, keyId, "the wrapped data key is too short", null);
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, kek, java.util.Arrays.copyOf(wrapped, NONCE_BYTES), keyId);
            return c.doFinal(wrapped, NONCE_BYTES, wrapped.length - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new TenantKeyException(tenant, keyId, "the key file does not open the wrapped data key (replaced key file?)", e);
        }
    }

    private byte[] read(String tenant, String keyId, int version) {
        Path file = dir.resolve(tenant).resolve(version + ".key");
        try {
            String hex = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!hex.matches("[0-9a-fA-F]{64}")) {
                throw new TenantKeyException(tenant, keyId, "key file " + file + " does not hold 64 hex digits", null);
            }
            return HexFormat.of().parseHex(hex);
        } catch (NoSuchFileException e) {
            throw new TenantKeyException(tenant, keyId, "key file " + file + " does not exist (deleted or never created)", e);
        } catch (IOException e) {
            throw new TenantKeyException(tenant, keyId, "cannot read key file " + file + ": " + e, e);
        }
    }

    private static Cipher cipher(int mode, byte[] kek, byte[] nonce, String keyId) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
        return c;
    }

    private static int latestVersion(Path tenantDir) throws IOException {
        if (!Files.isDirectory(tenantDir)) {
            return 0;
        }
        int latest = 0;
        try (Stream<Path> files = Files.list(tenantDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = VERSION_FILE.matcher(p.getFileName().toString());
                if (m.matches()) {
                    latest = Math.max(latest, Integer.parseInt(m.group(1)));
                }
            }
        }
        return latest;
    }

    private static String keyId(String tenant, int version) {
        return "local:" + tenant + "/" + version;
    }

    private static void checkTenant(String tenant) {
        if (tenant == null || !tenant.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new IllegalArgumentException("a tenant id for a key file must match [A-Za-z0-9][A-Za-z0-9._-]*, got '" + tenant + "'");
        }
    }

    @Override
    public String toString() {
        return "LocalKeyDirectory[" + dir + "]";
    }
}
