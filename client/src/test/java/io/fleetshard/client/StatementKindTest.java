package io.fleetshard.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatementKindTest {
    @Test
    void readsAreSelectsAndTheirKinWithoutWriteKeywords() {
        for (String sql : new String[] {"SELECT 1", "  select * from vehicles", "(SELECT 1) UNION (SELECT 2)",
                "WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1)", "TABLE vehicles", "SHOW server_version",
                "EXPLAIN SELECT 1", "-- comment\nSELECT 1", "/* c */ select 1"}) {
            assertThat(StatementKind.of(sql)).as(sql).isEqualTo(StatementKind.READ);
        }
    }

    @Test
    void anythingElseOrAnyWriteKeywordAnywhereIsAWrite() {
        for (String sql : new String[] {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
                "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "SELECT * INTO t2 FROM t",
                "SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR SHARE", "SELECT nextval('s')",
                "SELECT 'insert'", "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", "CALL p()", "",
                "REPLACE INTO t VALUES (1)"}) {
            assertThat(StatementKind.of(sql)).as(sql).isEqualTo(StatementKind.WRITE);
        }
    }
}
