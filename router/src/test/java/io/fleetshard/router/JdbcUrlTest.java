package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JdbcUrlTest {

    @Test
    void dropsCredentialsAndKeepsOtherParameters() {
        JdbcUrl u = JdbcUrl.parse("jdbc:postgresql://localhost:5432/shard1?user=postgres&password=pw&ssl=false");
        assertThat(u.database()).isEqualTo("shard1");
        assertThat(u.withoutCredentials().text()).isEqualTo("jdbc:postgresql://localhost:5432/shard1?ssl=false");
        assertThat(u.toString()).doesNotContain("pw");
    }

    @Test
    void swapsTheDatabase() {
        assertThat(JdbcUrl.parse("jdbc:mariadb://127.0.0.1:3306/d1?user=root").withoutCredentials()
                .withDatabase("d1_rls").text()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/d1_rls");
        assertThat(MariaDbDialect.INSTANCE.appJdbcUrl("jdbc:mariadb://h:1/d1?user=root&useSsl=false"))
                .isEqualTo("jdbc:mariadb://h:1/d1_rls?useSsl=false");
        assertThat(JdbcUrl.parse("jdbc:postgresql://h:1").database()).isEmpty();
    }
}
