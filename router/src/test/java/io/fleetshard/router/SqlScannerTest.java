package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SqlScannerTest {

    private static ScannedSql pg(String sql) {
        return SqlScanner.scan(sql, SqlDialect.POSTGRES);
    }

    private static ScannedSql maria(String sql) {
        return SqlScanner.scan(sql, SqlDialect.MARIADB);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT @fleetshard_tenant_id := 'acme'",
        "SELECT v.* FROM vehicles v WHERE (@`fleetshard_tenant_sig` := 'x') IS NOT NULL",
        "SELECT v.* FROM vehicles v WHERE (@'fleetshard_fleet_id' := 'x') IS NOT NULL",
        "SELECT vin INTO @x FROM vehicles",
        "SELECT 1 /*! , @x := 2 */",
        "SELECT @@@x",
        "SELECT @ x",
        "INSERT INTO vehicles (vehicle_id) SELECT @n := 1",
    })
    void rejectsMariaDbUserVariables(String sql) {
        assertThatThrownBy(() -> maria(sql)).isInstanceOfSatisfying(ApiProblem.class, p -> {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.getMessage()).contains("user variable");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SHOW FULL PROCESSLIST",
        "SELECT info FROM information_schema.processlist",
        "SELECT info FROM information_schema.`ProcessList`",
        "SELECT 1 /*! , (SELECT max(info) FROM information_schema.PROCESSLIST) */",
    })
    void rejectsTheMariaDbProcessList(String sql) {
        assertThatThrownBy(() -> maria(sql)).isInstanceOfSatisfying(ApiProblem.class,
                p -> assertThat(p.getMessage()).contains("process list"));
        assertThat(pg("SELECT processlist FROM t").kind()).isEqualTo(StatementKind.READ);
    }

    @Test
    void letsMariaDbSystemVariablesBeRead() {
        assertThat(maria("SELECT @@max_statement_time, @@session.sql_mode").mentionsVariables()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT '@fleetshard_tenant_id := 1'",
        "SELECT `@x` FROM t",
        "SELECT 1 /* @x := 2 */",
        "SELECT 1 -- @x := 2",
    })
    void ignoresAtSignsOutsideCode(String sql) {
        assertThat(maria(sql).mentionsVariables()).isFalse();
        assertThat(pg("SELECT tags @> ARRAY['a'] FROM t").mentionsVariables()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "select * from vehicles",
        "  -- leading comment\n SELECT 1",
        "/* c */ (SELECT 1) UNION (SELECT 2)",
        "WITH v AS (SELECT * FROM vehicles) SELECT count(*) FROM v",
        "VALUES (1), (2)",
        "TABLE vehicles",
        "SHOW server_version",
        "EXPLAIN SELECT 1",
        "SELECT 'insert into x' AS s",
        "SELECT \"update\" FROM t",
        "SELECT $$ delete $$",
    })
    void classifiesReads(String sql) {
        assertThat(pg(sql).kind()).isEqualTo(StatementKind.READ);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO vehicles VALUES (1)",
        "update vehicles set status = 'x'",
        "DELETE FROM vehicles",
        "MERGE INTO vehicles v USING s ON true WHEN MATCHED THEN DELETE",
        "WITH gone AS (DELETE FROM vehicles RETURNING *) SELECT * FROM gone",
        "SELECT * FROM vehicles FOR UPDATE",
        "SELECT * FROM vehicles FOR SHARE",
        "SELECT * INTO newtable FROM vehicles",
        "EXPLAIN ANALYZE DELETE FROM vehicles",
        "SELECT nextval('s')",
        "CREATE INDEX ON vehicles (vin)",
        "TRUNCATE vehicles",
    })
    void classifiesEverythingElseAsWrites(String sql) {
        assertThat(pg(sql).kind()).isEqualTo(StatementKind.WRITE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1; SELECT 2",
        "SELECT 1;DROP TABLE vehicles",
        "SELECT 1; /* c */ SELECT 2",
        "SELECT '\\'; DELETE FROM vehicles; --'",
        "SELECT $a$ x $a$; SELECT 2",
        "SELECT /* /* nested */ */ 1; SELECT 2",
    })
    void rejectsMoreThanOneStatementOnPostgres(String sql) {
        assertThatThrownBy(() -> pg(sql)).isInstanceOf(ApiProblem.class)
                .hasMessageContaining("must be a single statement")
                .extracting(e -> ((ApiProblem) e).status()).isEqualTo(400);
    }

    @Test
    void acceptsSemicolonsInsideLiteralsIdentifiersAndComments() {
        assertThat(pg("SELECT ';', \";\", $$;$$, $t$ ; $t$, E'\\';' -- ;\n").sql()).startsWith("SELECT");
        assertThat(pg("SELECT 1 /* ; */").kind()).isEqualTo(StatementKind.READ);
    }

    @Test
    void stripsATrailingSemicolonAndComments() {
        assertThat(pg("SELECT 1; ").sql()).isEqualTo("SELECT 1");
        assertThat(pg("SELECT 1;; -- done\n").sql()).isEqualTo("SELECT 1");
    }

    @Test
    void escapeStringsUseBackslashesButStandardStringsDoNot() {
        // E'..\'..' continues past the escaped quote: one statement
        assertThat(pg("SELECT E'it\\'s; fine'").kind()).isEqualTo(StatementKind.READ);
        // a standard string ends at the first quote after the backslash: then a second statement follows
        assertThatThrownBy(() -> pg("SELECT 'a\\'; SELECT 'b'")).hasMessageContaining("single statement");
    }

    @Test
    void countsPlaceholdersOutsideLiteralsAndPgjdbcEscapes() {
        assertThat(pg("SELECT ? , '?', \"?\", $$?$$ /* ? */ -- ?\n , ?").placeholders()).isEqualTo(2);
        assertThat(pg("SELECT '{\"a\":1}'::jsonb ?? 'a', ?").placeholders()).isEqualTo(1);
        assertThat(maria("SELECT ?, '?', `?`, \"?\" # ?\n").placeholders()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SET fleetshard.tenant_id = 'other'",
        "set local fleetshard.tenant_sig = 'x'",
        "RESET ALL",
        "RESET fleetshard.tenant_id",
        "DISCARD ALL",
        "BEGIN",
        "START TRANSACTION",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT a",
        "LISTEN ch",
        "NOTIFY ch",
        "DO $$ BEGIN PERFORM 1; END $$",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "COPY vehicles TO STDOUT",
        "GRANT SELECT ON vehicles TO PUBLIC",
        "ALTER ROLE CURRENT_USER SET search_path = ''",
        "alter user fleetshard_app password 'x'",
        "CREATE ROLE evil",
        "CALL p()",
        "LOCK TABLE vehicles",
    })
    void rejectsSessionAndTransactionControl(String sql) {
        assertThatThrownBy(() -> pg(sql)).isInstanceOf(ApiProblem.class)
                .hasMessageContaining("session, transaction or access control");
    }

    @Test
    void rejectsEmptyAndUnterminatedSql() {
        assertThatThrownBy(() -> pg(" -- nothing\n /* here */ ")).hasMessageContaining("sql is empty");
        assertThatThrownBy(() -> pg("SELECT 'oops")).hasMessageContaining("unterminated string literal");
        assertThatThrownBy(() -> pg("SELECT \"oops")).hasMessageContaining("unterminated quoted identifier");
        assertThatThrownBy(() -> pg("SELECT $x$ oops")).hasMessageContaining("unterminated dollar-quoted string");
        assertThatThrownBy(() -> pg("SELECT /* /* */ 1")).hasMessageContaining("unterminated block comment");
    }

    @Test
    void mariaDbStringsEscapeWithBackslashes() {
        // in MariaDB '\'' does not end the string: this is one statement
        assertThat(maria("SELECT 'a\\'; DELETE FROM vehicles; --'").kind()).isEqualTo(StatementKind.READ);
        assertThat(maria("SELECT \"a\\\"; b\"").kind()).isEqualTo(StatementKind.READ);
        assertThatThrownBy(() -> maria("SELECT 'a'; DELETE FROM vehicles")).hasMessageContaining("single statement");
    }

    @Test
    void mariaDbExecutableCommentsAreCode() {
        assertThatThrownBy(() -> maria("SELECT 1 /*! ; DELETE FROM vehicles */"))
                .hasMessageContaining("single statement");
        assertThatThrownBy(() -> maria("SELECT 1; /*!50000 DELETE FROM vehicles */"))
                .hasMessageContaining("single statement");
        assertThat(maria("SELECT 1 /*! + 1 */").kind()).isEqualTo(StatementKind.READ);
        assertThat(maria("SELECT 1 /* ; plain comment */").kind()).isEqualTo(StatementKind.READ);
    }

    @Test
    void mariaDbDoubleDashNeedsASpaceToStartAComment() {
        assertThatThrownBy(() -> maria("SELECT 1--1; DELETE FROM vehicles")).hasMessageContaining("single statement");
        assertThat(maria("SELECT 1 -- ; comment").kind()).isEqualTo(StatementKind.READ);
        assertThat(maria("SELECT 1 # ; comment").kind()).isEqualTo(StatementKind.READ);
    }

    @Test
    void mariaDbSessionStatementsAreRejected() {
        assertThatThrownBy(() -> maria("SET @fleetshard_tenant_id = 'other'"))
                .hasMessageContaining("session, transaction or access control");
        assertThatThrownBy(() -> maria("USE mysql")).hasMessageContaining("session, transaction or access control");
        assertThat(maria("REPLACE INTO vehicles VALUES (1)").kind()).isEqualTo(StatementKind.WRITE);
        assertThat(maria("SELECT * FROM vehicles LOCK IN SHARE MODE").kind()).isEqualTo(StatementKind.WRITE);
    }
}
