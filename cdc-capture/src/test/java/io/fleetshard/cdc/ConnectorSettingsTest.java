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
}
