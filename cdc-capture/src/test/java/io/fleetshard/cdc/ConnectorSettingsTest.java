package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

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
}
