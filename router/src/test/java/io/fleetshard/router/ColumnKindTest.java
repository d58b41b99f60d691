package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetshard.shardmap.Engine;
import java.io.StringWriter;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** How columns of either engine are read, named and written (ADR 0050); the drivers' names as they report them. */
class ColumnKindTest {

    private static ColumnKind kind(int jdbcType, String name, Engine engine) {
        return ColumnKind.of(jdbcType, name, 0, engine);
    }

    private static String portableName(int jdbcType, String name, Engine engine) {
        return kind(jdbcType, name, engine).typeName(engine, name);
    }

    @Test
    void readsAMariaDbDateTimeOrTimestampAsAUtcInstantButKeepsPostgresTimestampsAsTheyAre() {
        assertThat(kind(Types.TIMESTAMP, "DATETIME", Engine.MARIADB)).isEqualTo(ColumnKind.UTC_DATETIME);
        assertThat(kind(Types.TIMESTAMP, "TIMESTAMP", Engine.MARIADB)).isEqualTo(ColumnKind.UTC_DATETIME);
        assertThat(kind(Types.TIMESTAMP, "timestamptz", Engine.POSTGRES)).isEqualTo(ColumnKind.TIMESTAMPTZ);
        assertThat(kind(Types.TIMESTAMP, "timestamp", Engine.POSTGRES)).isEqualTo(ColumnKind.TIMESTAMP);
        assertThat(portableName(Types.TIMESTAMP, "DATETIME", Engine.MARIADB)).isEqualTo("timestamptz");
        assertThat(portableName(Types.TIMESTAMP, "timestamp", Engine.POSTGRES)).isEqualTo("timestamp");
    }

    @Test
    void namesMariaDbColumnsAsPostgresNamesTheTypeOfTheSameMeaning() {
        assertThat(portableName(Types.VARCHAR, "VARCHAR", Engine.MARIADB)).isEqualTo("text");
        assertThat(portableName(Types.LONGVARCHAR, "LONGTEXT", Engine.MARIADB)).isEqualTo("text");
        assertThat(portableName(Types.NULL, "NULL", Engine.MARIADB)).isEqualTo("text");
        assertThat(portableName(Types.DOUBLE, "DOUBLE", Engine.MARIADB)).isEqualTo("float8");
        assertThat(portableName(Types.REAL, "FLOAT", Engine.MARIADB)).isEqualTo("float4");
        assertThat(portableName(Types.BIGINT, "BIGINT", Engine.MARIADB)).isEqualTo("int8");
        assertThat(portableName(Types.INTEGER, "INTEGER", Engine.MARIADB)).isEqualTo("int4");
        assertThat(portableName(Types.SMALLINT, "SMALLINT", Engine.MARIADB)).isEqualTo("int2");
        assertThat(portableName(Types.INTEGER, "INTEGER UNSIGNED", Engine.MARIADB)).isEqualTo("int8");
        assertThat(portableName(Types.BIGINT, "BIGINT UNSIGNED", Engine.MARIADB)).isEqualTo("numeric");
        assertThat(portableName(Types.DECIMAL, "DECIMAL", Engine.MARIADB)).isEqualTo("numeric");
        assertThat(portableName(Types.DATE, "DATE", Engine.MARIADB)).isEqualTo("date");
        assertThat(portableName(Types.BOOLEAN, "BOOLEAN", Engine.MARIADB)).isEqualTo("bool");
        assertThat(portableName(Types.VARBINARY, "VARBINARY", Engine.MARIADB)).isEqualTo("bytea");
        // no PostgreSQL type of that meaning: MariaDB's name
        assertThat(portableName(Types.VARCHAR, "ENUM", Engine.MARIADB)).isEqualTo("ENUM");
        assertThat(portableName(Types.DATE, "YEAR", Engine.MARIADB)).isEqualTo("YEAR");
    }

    @Test
    void keepsPostgresNamesAsTheDriverReportsThem() {
        for (String name : new String[] {"text", "varchar", "int8", "float8", "numeric", "bool", "timestamptz"}) {
            assertThat(ColumnKind.STRING.typeName(Engine.POSTGRES, name)).isEqualTo(name);
        }
        assertThat(portableName(Types.VARCHAR, "varchar", Engine.POSTGRES)).isEqualTo("varchar");
    }

    @Test
    void writesAUtcDateTimeAsATimestamptzOfTheSameInstantIsWritten() throws Exception {
        LocalDateTime wall = LocalDateTime.of(2026, 12, 7, 10, 53, 36, 508_912_000);
        StringWriter json = new StringWriter();
        try (JsonGenerator g = QueryEndpoints.JSON.createGenerator(json)) {
            g.writeStartArray();
            ColumnKind.writeUtcTimestamp(g, wall);
            ColumnKind.writeValue(g, wall.atOffset(ZoneOffset.UTC));
            ColumnKind.writeUtcTimestamp(g, null);
            g.writeEndArray();
        }
        assertThat(json.toString()).isEqualTo("[\"2026-12-07T10:53:36.508912Z\",\"2026-12-07T10:53:36.508912Z\",null]");
    }
}
