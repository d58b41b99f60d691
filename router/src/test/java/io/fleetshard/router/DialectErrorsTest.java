package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.http.ApiProblem;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

class DialectErrorsTest {

    private static PSQLException pg(String state, String message, String detail) {
        return new PSQLException(new ServerErrorMessage("SERROR\0C" + state + "\0M" + message + "\0"
                + (detail == null ? "" : "D" + detail + "\0") + "Wsome internal context\0"));
    }

    private static ApiProblem classifyPg(SQLException e) {
        return PostgresDialect.INSTANCE.classify(e, "n1", 5000);
    }

    @Test
    void postgresUniqueViolationIsAConflictWithTheDatabasesMessage() {
        ApiProblem p = classifyPg(pg("23505", "duplicate key value violates unique constraint \"vehicles_pkey\"",
                "Key (tenant_id, fleet_id, vehicle_id)=(acme, f1, v1) already exists."));
        assertThat(p.status()).isEqualTo(409);
        assertThat(p.detail()).isEqualTo("duplicate key value violates unique constraint \"vehicles_pkey\""
                + " (Key (tenant_id, fleet_id, vehicle_id)=(acme, f1, v1) already exists.)");
    }

    @Test
    void postgresRejectionsAre422WithoutContext() {
        for (String state : new String[] {"42601", "42703", "42501", "25006", "22P02", "23502"}) {
            ApiProblem p = classifyPg(pg(state, "rejected " + state, null));
            assertThat(p.status()).as(state).isEqualTo(422);
            assertThat(p.detail()).isEqualTo("rejected " + state);
        }
    }

    @Test
    void postgresTimeoutsAndOutagesAreRetriable() {
        assertThat(classifyPg(pg("57014", "canceling statement due to statement timeout", null)).status())
                .isEqualTo(504);
        ApiProblem down = classifyPg(new PSQLException("Connection refused", org.postgresql.util.PSQLState
                .CONNECTION_UNABLE_TO_CONNECT));
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.retryAfterSeconds()).isEqualTo(1);
        ApiProblem pool = ShardDialect.poolTimeout(new SQLTransientConnectionException("router-n1 - Connection is not"
                + " available", "08001", new SQLException("Connection to 127.0.0.1:1 refused")), "n1");
        assertThat(pool.status()).isEqualTo(503);
        assertThat(pool.detail()).contains("no connection to node n1").contains("refused");
        assertThat(classifyPg(pg("40001", "could not serialize access", null)).status()).isEqualTo(503);
    }

    @Test
    void aSecretMismatchOrMissingSchemaIsNamed() {
        ApiProblem mismatch = ShardDialect.poolTimeout(new SQLTransientConnectionException("router-n1 - Connection is"
                + " not available", "08001", pg("FS001", "fleetshard: the tenant signature does not match", null)),
                "n1");
        assertThat(mismatch.status()).isEqualTo(503);
        assertThat(mismatch.detail()).contains("router.tenant.secret differs");
        assertThat(classifyPg(pg("42883", "function public.fleetshard_bind(unknown) does not exist", null)).detail())
                .contains("install FleetSchema");
    }

    @Test
    void aWriteRefusedByTheReshardFenceIsAFencedProblemOnBothEngines() {
        ApiProblem pg = classifyPg(pg("FS002", "fleetshard: fleet f1 of tenant acme is fenced on this shard by reshard"
                + " job j1 (moved or moving): write it on its new shard", null));
        assertThat(pg).isInstanceOf(WriteFencedProblem.class);
        assertThat(pg.status()).isEqualTo(503);
        assertThat(pg.retryAfterSeconds()).isEqualTo(1);
        assertThat(pg.detail()).contains("fleet f1 of tenant acme is fenced");
        // MariaDB: SIGNAL SQLSTATE 'FS002' arrives as error 1644
        ApiProblem maria = MariaDbDialect.INSTANCE.classify(new SQLTransientConnectionException("(conn=9) fleetshard:"
                + " fleet f1 of tenant acme is fenced", "FS002", 1644), "m1", 5000);
        assertThat(maria).isInstanceOf(WriteFencedProblem.class);
        assertThat(maria.detail()).isEqualTo("node m1 refused the write: fleetshard: fleet f1 of tenant acme is fenced");
    }

    @Test
    void mariaDbErrorsMapByCode() {
        MariaDbDialect d = MariaDbDialect.INSTANCE;
        assertThat(d.classify(new SQLException("(conn=7) Duplicate entry 'acme-f1-v1' for key 'PRIMARY'", "23000",
                1062), "m1", 5000)).satisfies(p -> {
                    assertThat(p.status()).isEqualTo(409);
                    assertThat(p.detail()).isEqualTo("Duplicate entry 'acme-f1-v1' for key 'PRIMARY'");
                });
        // the MariaDB driver throws SQLTransientConnectionException for SQLSTATE classes it does not know
        assertThat(d.classify(new SQLTransientConnectionException("CHECK OPTION failed", "44000", 1369), "m1", 5000)
                .status()).isEqualTo(422);
        assertThat(d.classify(new SQLException("SELECT command denied", "42000", 1142), "m1", 5000).status())
                .isEqualTo(422);
        assertThat(d.classify(new SQLException("max_statement_time exceeded", "70100", 1969), "m1", 5000).status())
                .isEqualTo(504);
        assertThat(d.classify(new SQLException("Socket fail", "08000", 0), "m1", 5000).status()).isEqualTo(503);
        // a primary frozen for a switchover or fenced (read_only=ON): the write did not run, the router retries it
        assertThat(d.classify(new SQLException("(conn=5) The MariaDB server is running with the --read-only option"
                + " so it cannot execute this statement", "HY000", 1290), "m1", 5000))
                .isInstanceOf(ReadOnlyNodeProblem.class);
        assertThat(d.classify(new SQLException("The MariaDB server is running with the --secure-file-priv option",
                "HY000", 1290), "m1", 5000)).isNotInstanceOf(ReadOnlyNodeProblem.class);
    }
}
