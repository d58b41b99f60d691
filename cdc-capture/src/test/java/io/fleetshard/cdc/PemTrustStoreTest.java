package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.SelfSignedKeyStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTrustStoreTest {
    @TempDir
    Path dir;

    @Test
    void aPemCaBecomesATrustStoreInADirectoryOnlyThisUserCanWrite() throws Exception {
        SelfSignedKeyStore.Pem pem = SelfSignedKeyStore.create(dir).pem();

        Path store = PemTrustStore.of(pem.certPem().toString());

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PemTrustStore.PASSWORD.toCharArray());
        }
        assertThat(ks.size()).isOne();
        assertThat(((X509Certificate) ks.getCertificate("ca-0")).getSubjectX500Principal().getName()).isNotBlank();
        assertThat(PemTrustStore.of(Files.readString(pem.certPem()))).as("the PEM text itself names the same store")
                .isEqualTo(store);
        assertThat(Files.getPosixFilePermissions(store.getParent()))
                .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.OWNER_EXECUTE));
        assertThat(store.getParent()).isNotEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "fleetshard-cdc-truststores"));
    }

    @Test
    void aFileWithoutACertificateIsRefusedNamingTheSetting() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
        assertThatThrownBy(() -> PemTrustStore.of(empty.toString())).isInstanceOf(CaptureException.class)
                .hasMessageContaining("serverSslCert=" + empty);
    }
}
