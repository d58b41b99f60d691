package io.fleetshard.router;

import io.fleetshard.testkit.PostgresNode;
import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for 127.0.0.1, made with the JDK's keytool (no BouncyCastle needed), written as PEM
 * files that PostgreSQL ({@code ssl_cert_file}, {@code ssl_key_file}) and pgjdbc ({@code sslrootcert}) read.
 */
record TestTls(Path certPem, Path keyPem) {

    static TestTls create(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        Path p12 = dir.resolve(name + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "changeit")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("server").getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", ks.getKey("server", "changeit".toCharArray()).getEncoded()));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return new TestTls(cert, key);
    }

    /** Turns TLS on in a running server (ssl is reloadable): plain connections still work, TLS ones now can too. */
    void enableOn(PostgresNode node) {
        String url = node.jdbcUrl("postgres");
        PostgresCluster.execute(url, "ALTER SYSTEM SET ssl_cert_file = '" + certPem + "'");
        PostgresCluster.execute(url, "ALTER SYSTEM SET ssl_key_file = '" + keyPem + "'");
        PostgresCluster.execute(url, "ALTER SYSTEM SET ssl = on");
        PostgresCluster.execute(url, "SELECT pg_reload_conf()");
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
