package io.fleetshard.cdc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.HexFormat;

/**
 * A PKCS12 trust store holding the certificates of a PEM CA file. A MariaDB node URL names its CA as PEM
 * ({@code serverSslCert}, MariaDB Connector/J's spelling, what the router uses), but Debezium's binlog client reads
 * trust only from a key store file ({@code database.ssl.truststore}); this makes one, named by the PEM's hash, so the
 * same node URL serves the router and capture (docs/security.md). The stores live in a directory this process creates
 * under {@code java.io.tmpdir} with owner-only permissions (where the file system has them) and removes at exit: a
 * shared, pre-existing directory would let another local user swap the CA that capture trusts.
 */
final class PemTrustStore {
    /** The store holds public certificates only: its password protects nothing and is not a secret. */
    static final String PASSWORD = "fleetshard-ca";

    private PemTrustStore() {
    }

    /** This process's own directory of trust stores, created on first use. */
    private static final class Dir {
        static final Path PATH = create();

        private static Path create() {
            try {
                Path dir = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                        ? Files.createTempDirectory("fleetshard-cdc-truststores",
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                        : Files.createTempDirectory("fleetshard-cdc-truststores");
                dir.toFile().deleteOnExit();
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a private directory for CA trust stores: " + e, e);
            }
        }
    }

    /** {@code pem}: a file path, or the PEM text itself (as MariaDB Connector/J accepts both). */
    static Path of(String pem) {
        byte[] bytes;
        try {
            bytes = pem.startsWith("-----BEGIN") ? pem.getBytes(StandardCharsets.US_ASCII) : Files.readAllBytes(Path.of(pem));
        } catch (IOException | RuntimeException e) {
            throw new CaptureException("cannot read the CA certificate serverSslCert=" + pem + " of a node URL: " + e, e);
        }
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes));
            if (certs.isEmpty()) {
                throw new CaptureException("serverSslCert=" + pem + " of a node URL holds no PEM certificate");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            Path dir = Dir.PATH;
            Path store = dir.resolve(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16)
                    + ".p12");
            Path tmp = Files.createTempFile(dir, "ca", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ks.store(out, PASSWORD.toCharArray());
            }
            Files.move(tmp, store, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            store.toFile().deleteOnExit();
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new CaptureException("cannot make a trust store of serverSslCert=" + pem + " of a node URL: " + e, e);
        }
    }
}
