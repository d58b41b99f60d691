package io.fleetshard.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The dev platform's secrets, random on first start and kept (mode 0600 from creation on) in the data directory: the
 * tenant-signing secret (ADR 0004) and the HS256 secret of its tokens (ADR 0018), which {@code fleetshard token} and
 * the operator commands read to mint tokens for this platform.
 */
final class DevSecrets {
    static final String TENANT_SECRET_FILE = "tenant-secret";
    static final String JWT_SECRET_FILE = "jwt-secret";

    private DevSecrets() {
    }

    static String tenantSecret(Path dataDir) {
        return readOrCreate(dataDir.resolve(TENANT_SECRET_FILE));
    }

    static String jwtSecret(Path dataDir) {
        return readOrCreate(dataDir.resolve(JWT_SECRET_FILE));
    }

    /** The token secret of the dev platform whose data is in {@code dataDir}, if it ever started there. */
    static Optional<String> existingJwtSecret(Path dataDir) {
        return existing(dataDir.resolve(JWT_SECRET_FILE));
    }

    /** The tenant-signing secret of the dev platform whose data is in {@code dataDir}, if it ever started there. */
    static Optional<String> existingTenantSecret(Path dataDir) {
        return existing(dataDir.resolve(TENANT_SECRET_FILE));
    }

    private static Optional<String> existing(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file).trim()) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                return Files.readString(file).trim();
            }
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            String secret = HexFormat.of().formatHex(bytes);
            try {
                // created owner-only, so no other user can read it between its creation and its first write
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                return Files.readString(file).trim(); // another process made it meanwhile
            }
            Files.writeString(file, secret);
            return secret;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file, e);
        }
    }
}
