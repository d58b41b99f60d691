package io.fleetshard.standby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ColumnValuesTest {

    @Test
    void readsInstantsAsPostgresAndDebeziumPrintThem() {
        Instant t = Instant.parse("2026-01-01T10:00:00.123Z");
        assertThat(ColumnValues.instant("2026-01-01T10:00:00.123Z")).isEqualTo(t);
        assertThat(ColumnValues.instant("2026-01-01 10:00:00.123+00")).isEqualTo(t);
        assertThat(ColumnValues.instant("2026-01-01 12:00:00.123+02")).isEqualTo(t);
        assertThat(ColumnValues.instant("2026-01-01T05:30:00.123-04:30")).isEqualTo(t);
        assertThat(ColumnValues.instant("2026-01-01T10:00:00.123")).as("no offset: UTC").isEqualTo(t);
        assertThatThrownBy(() -> ColumnValues.instant("yesterday")).isInstanceOf(StandbyException.class)
                .hasMessageContaining("'yesterday' is not an ISO-8601 timestamp");
    }

    @Test
    void postgresParametersAreCastToTheColumnsTypeWithoutItsLength() {
        TableShape.Column vin = new TableShape.Column("vin", "character varying(32)", true, "character varying",
                TableShape.ValueKind.TEXT);
        TableShape.Column blob = new TableShape.Column("b", "bytea", true, "bytea", TableShape.ValueKind.BINARY);
        assertThat(ColumnValues.placeholder(Dialect.POSTGRES, vin)).isEqualTo("?::character varying");
        assertThat(ColumnValues.placeholder(Dialect.POSTGRES, blob)).isEqualTo("decode(?, 'base64')");
        assertThat(ColumnValues.placeholder(Dialect.MARIADB, vin)).isEqualTo("?");
    }

    @Test
    void dialectsFollowTheJdbcUrlAndEnableBatching() {
        assertThat(Dialect.of("jdbc:postgresql://h/db")).isEqualTo(Dialect.POSTGRES);
        assertThat(Dialect.of("jdbc:mysql://h/db")).isEqualTo(Dialect.MARIADB);
        assertThat(Dialect.POSTGRES.withBatchOptions("jdbc:postgresql://h/db?user=x"))
                .isEqualTo("jdbc:postgresql://h/db?user=x&reWriteBatchedInserts=true");
        assertThat(Dialect.MARIADB.withBatchOptions("jdbc:mariadb://h/db")).isEqualTo("jdbc:mariadb://h/db?useBulkStmts=true");
        assertThatThrownBy(() -> Dialect.of("jdbc:oracle:thin:@h?password=x")).isInstanceOf(StandbyException.class)
                .hasMessageContaining("unsupported standby JDBC URL").hasMessageNotContaining("password=x");
        assertThat(Dialect.POSTGRES.upsertSuffix(java.util.List.of("id"), java.util.List.of("n")))
                .isEqualTo(" ON CONFLICT (\"id\") DO UPDATE SET \"n\" = EXCLUDED.\"n\"");
        assertThat(Dialect.MARIADB.upsertSuffix(java.util.List.of("id"), java.util.List.of()))
                .isEqualTo(" ON DUPLICATE KEY UPDATE `id` = VALUES(`id`)");
    }
}
