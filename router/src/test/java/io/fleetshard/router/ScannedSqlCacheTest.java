package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import org.junit.jupiter.api.Test;

class ScannedSqlCacheTest {

    @Test
    void answersWhatTheScannerAnswersPerDialect() {
        ScannedSqlCache cache = new ScannedSqlCache();
        String sql = "SELECT @@max_statement_time, ? FROM t";
        for (int i = 0; i < 2; i++) {
            assertThat(cache.scan(sql, SqlDialect.MARIADB)).isEqualTo(SqlScanner.scan(sql, SqlDialect.MARIADB));
            assertThat(cache.scan(sql, SqlDialect.POSTGRES)).isEqualTo(SqlScanner.scan(sql, SqlDialect.POSTGRES));
        }
        assertThat(cache.scan(sql, SqlDialect.MARIADB).mentionsVariables()).isTrue();
        assertThat(cache.scan(sql, SqlDialect.POSTGRES).mentionsVariables()).isFalse();
    }

    @Test
    void rejectsARejectedStatementEveryTime() {
        ScannedSqlCache cache = new ScannedSqlCache();
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> cache.scan("SELECT 1; SELECT 2", SqlDialect.POSTGRES))
                    .isInstanceOf(ApiProblem.class);
        }
        assertThat(cache.size(SqlDialect.POSTGRES)).isZero();
    }

    @Test
    void staysBounded() {
        ScannedSqlCache cache = new ScannedSqlCache();
        for (int i = 0; i < ScannedSqlCache.MAX_ENTRIES + 10; i++) {
            cache.scan("SELECT " + i, SqlDialect.POSTGRES);
        }
        assertThat(cache.size(SqlDialect.POSTGRES)).isLessThanOrEqualTo(ScannedSqlCache.MAX_ENTRIES);
        cache.scan("SELECT '" + "x".repeat(ScannedSqlCache.MAX_SQL_CHARS) + "'", SqlDialect.MARIADB);
        assertThat(cache.size(SqlDialect.MARIADB)).isZero();
    }
}
