package io.fleetshard.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A PKCS12 key store with a fresh self-signed EC certificate for {@code localhost} and {@code 127.0.0.1}, made by the
 * JDK's {@code keytool} (no test certificate is checked in), and an {@link SSLContext} that trusts exactly it.
 */
public record SelfSignedKeyStore(Path path, String password) {

    /** Generates the key store at {@code dir/server.p12}. */
    public static SelfSignedKeyStore create(Path dir) {
        Path path = dir.resolve("server.p12");
        String password = "test-" + Long.toHexString(System.nanoTime());
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = List.of(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", path.toString(), "-storepass", password,
                "-keypass", password);
        try {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + keytool + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
        return new SelfSignedKeyStore(path, password);
    }

    /** The certificate and its private key as PEM files (servers that read PEM: MariaDB, PostgreSQL). */
    public record Pem(Path certPem, Path keyPem) {
    }

    /**
     * Writes the certificate ({@code server.crt}) and its key ({@code server.key}, PKCS#8, owner-only) next to the key
     * store, as PEM. The certificate is self-signed, so it is its own CA file too.
     */
    public Pem pem() {
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password.toCharArray());
            Path cert = path.resolveSibling("server.crt");
            Path key = path.resolveSibling("server.key");
            Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("server").getEncoded()));
            Files.writeString(key, pem("PRIVATE KEY", ks.getKey("server", password.toCharArray()).getEncoded()));
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return new Pem(cert, key);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write PEM files from " + path + ": " + e.getMessage(), e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /**
     * Writes a PKCS12 trust store holding this certificate only (no private key) to {@code file}, with {@code password}:
     * what a client is given to trust a server that presents this key store.
     */
    public Path writeTrustStore(Path file, String password) {
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, this.password.toCharArray());
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", ks.getCertificate("server"));
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (java.io.OutputStream out = Files.newOutputStream(file)) {
                trust.store(out, password.toCharArray());
            }
            return file;
        } catch (Exception e) {
            throw new IllegalStateException("cannot write a trust store of " + path + " to " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** A TLS context that trusts this certificate only. */
    public SSLContext trustingContext() {
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException("cannot load " + path + ": " + e.getMessage(), e);
        }
    }
}
