package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Facts about the machine the services run on: the loopback address they bind, whether we are
 * root, the JVM's temp dir and short private directories for unix sockets.
 */
final class LocalHost {

    /** Every service binds this address only. */
    static final String LOOPBACK = "127.0.0.1";

    /** Unix socket paths are limited to 107 bytes: socket dirs live directly under /tmp. */
    private static final Path SHORT_TMP = Path.of("/tmp");

    private LocalHost() {
    }

    /** True when this JVM runs as uid 0 (MariaDB then needs {@code --user=root}). */
    static boolean runsAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * Creates {@code java.io.tmpdir} when missing: zonky, MariaDB and DynamoDB Local's SQLite
     * unpack there, and a build may point it at a directory that does not exist yet.
     */
    static Path ensureJavaTmpDir() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            return Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("java.io.tmpdir " + tmp + " does not exist and cannot be created", e);
        }
    }

    /**
     * A new directory readable only by this user, with a short path (under /tmp when it exists),
     * for unix sockets, pid files and server temp files. The caller deletes it.
     */
    static Path newPrivateRunDir(String prefix) {
        Path parent = Files.isDirectory(SHORT_TMP) && Files.isWritable(SHORT_TMP) ? SHORT_TMP : ensureJavaTmpDir();
        try {
            return Files.createTempDirectory(parent, prefix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a private run directory under " + parent, e);
        }
    }
}
