package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import org.junit.jupiter.api.Test;

class JdbcNodeProbeUrlTest {

    @Test
    void probesMysqlFamilyServersWithoutNamingADatabase() {
        assertThat(JdbcNodeProbe.probeUrl("jdbc:mariadb://127.0.0.1:3306/fleet", Engine.MARIADB))
                .isEqualTo("jdbc:mariadb://127.0.0.1:3306/");
        assertThat(JdbcNodeProbe.probeUrl("jdbc:mysql://h:1/fleet?useSSL=false", Engine.MYSQL))
                .isEqualTo("jdbc:mysql://h:1/?useSSL=false");
        assertThat(JdbcNodeProbe.probeUrl("jdbc:mariadb://h:1", Engine.MARIADB)).isEqualTo("jdbc:mariadb://h:1");
    }

    @Test
    void keepsPostgresUrlsAsTheyAre() {
        assertThat(JdbcNodeProbe.probeUrl("jdbc:postgresql://h:5432/fleet", Engine.POSTGRES))
                .isEqualTo("jdbc:postgresql://h:5432/fleet");
    }
}
