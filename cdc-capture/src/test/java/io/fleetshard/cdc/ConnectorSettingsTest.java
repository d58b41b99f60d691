package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConnectorSettingsTest {
    private static final CaptureConfig CONFIG = CaptureConfig.builder("k:9092", "w1").credentials("cdc", "pw").build();

    @Test
    void mysqlShardsUseMySqlConnectorWithItsOwnSpellingOfTheSslModeAndGtidFiltering() {
        Properties p = ConnectorSettings.forShard(CONFIG, "s1", Engine.MYSQL, JdbcTarget.parse("jdbc:mysql://h:3306/fleet"));
        assertThat(p.getProperty("connector.class")).isEqualTo("io.debezium.connector.mysql.MySqlConnector");
        assertThat(p.getProperty("database.ssl.mode")).isEqualTo("disabled");
        assertThat(p.getProperty("gtid.source.filter.dml.events")).isEqualTo("true");
        assertThat(p.getProperty("database.include.list")).isEqualTo("fleet");
    }

    @Test
    void mariaDbShardsUseTheMariaDbConnectorNeverMySqlConnector() {
        Properties p = ConnectorSettings.forShard(CONFIG, "s1", Engine.MARIADB, JdbcTarget.parse("jdbc:mariadb://h:3306/fleet"));
        assertThat(p.getProperty("connector.class")).isEqualTo("io.debezium.connector.mariadb.MariaDbConnector");
        assertThat(p.getProperty("database.ssl.mode")).isEqualTo("disable");
        assertThat(p.getProperty("gtid.source.filter.dml.events")).isNull();
    }

    @Test
    void tlsSettingsOfTheNodeUrlReachTheConnector() {
        Properties pg = ConnectorSettings.forShard(CONFIG, "s1", Engine.POSTGRES, JdbcTarget.parse(
                "jdbc:postgresql://h:5432/fleet?sslmode=verify-full&sslrootcert=%2Fetc%2Fpki%2Froot.crt"));
        assertThat(pg.getProperty("database.sslmode")).isEqualTo("verify-full");
        assertThat(pg.getProperty("database.sslrootcert")).isEqualTo("/etc/pki/root.crt");
        Properties plain = ConnectorSettings.forShard(CONFIG, "s1", Engine.POSTGRES, JdbcTarget.parse("jdbc:postgresql://h/fleet"));
        assertThat(plain.getProperty("database.sslmode")).isEqualTo("disable");
        Properties maria = ConnectorSettings.forShard(CONFIG, "s1", Engine.MARIADB, JdbcTarget.parse(
                "jdbc:mariadb://h:3306/fleet?sslMode=verify-full&trustStore=/etc/pki/ts.p12&trustStorePassword=x"));
        assertThat(maria.getProperty("database.ssl.mode")).isEqualTo("verify-full");
        assertThat(maria.getProperty("database.ssl.truststore")).isEqualTo("/etc/pki/ts.p12");
        assertThat(maria.getProperty("database.ssl.truststore.password")).isEqualTo("x");
    }

    @Test
    void aMariaDbNodeUrlNamingItsCaAsPemGivesTheJdbcDriverThePemAndTheBinlogClientATrustStoreOfIt() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ca");
        io.fleetshard.testkit.SelfSignedKeyStore.Pem pem = io.fleetshard.testkit.SelfSignedKeyStore.create(dir).pem();
        Properties p = ConnectorSettings.forShard(CONFIG, "s1", Engine.MARIADB, JdbcTarget.parse(
                "jdbc:mariadb://h:3306/fleet?sslMode=verify-full&serverSslCert=" + pem.certPem()));
        assertThat(p.getProperty("database.ssl.mode")).isEqualTo("verify-full");
        assertThat(p.getProperty("driver.serverSslCert")).isEqualTo(pem.certPem().toString());
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(p.getProperty("database.ssl.truststore")))) {
            ks.load(in, p.getProperty("database.ssl.truststore.password").toCharArray());
        }
        assertThat(ks.getCertificate("ca-0").getEncoded()).isEqualTo(java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(java.nio.file.Files.newInputStream(pem.certPem())).getEncoded());
        assertThatThrownBy(() -> ConnectorSettings.forShard(CONFIG, "s1", Engine.MARIADB, JdbcTarget.parse(
                "jdbc:mariadb://h:3306/fleet?sslMode=verify-full&serverSslCert=/nonexistent/ca.pem")))
                .hasMessageContaining("serverSslCert=/nonexistent/ca.pem");
    }
}
