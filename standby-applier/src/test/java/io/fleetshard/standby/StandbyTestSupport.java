package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.archive.format.Sha256;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/** Schemas of the test standbys and a canonical form of their rows, comparable with the workload's model. */
final class StandbyTestSupport {
    private StandbyTestSupport() {
    }

    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    static void createPostgresSchema(String url, boolean withHistory) throws SQLException {
        exec(url, "CREATE TABLE vehicles (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "vin text, status text, updated_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
                "CREATE TABLE telemetry (tenant_id text NOT NULL, fleet_id text NOT NULL, vehicle_id text NOT NULL, "
                        + "ts timestamptz NOT NULL, lat double precision, lon double precision, speed_kph real, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))",
                "CREATE TABLE counters (id varchar(64) PRIMARY KEY, n bigint NOT NULL, price numeric(12,3), active boolean, "
                        + "payload bytea)");
        if (withHistory) {
            exec(url, "CREATE TABLE counter_history (id bigserial PRIMARY KEY, counter_id text NOT NULL, n bigint NOT NULL)",
                    "CREATE FUNCTION record_counter() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                            + "INSERT INTO counter_history (counter_id, n) VALUES (NEW.id, NEW.n); RETURN NEW; END $$",
                    "CREATE TRIGGER counters_history AFTER INSERT OR UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION record_counter()");
        }
    }

    static void createMariaDbSchema(String url, boolean withHistory) throws SQLException {
        exec(url, "CREATE TABLE vehicles (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, "
                        + "vehicle_id varchar(64) NOT NULL, vin varchar(32), status varchar(32), updated_at timestamp(6) NOT NULL "
                        + "DEFAULT current_timestamp(6), PRIMARY KEY (tenant_id, fleet_id, vehicle_id))",
                "CREATE TABLE telemetry (tenant_id varchar(64) NOT NULL, fleet_id varchar(64) NOT NULL, "
                        + "vehicle_id varchar(64) NOT NULL, ts datetime(6) NOT NULL, lat double, lon double, speed_kph float, "
                        + "PRIMARY KEY (tenant_id, fleet_id, vehicle_id, ts))",
                "CREATE TABLE counters (id varchar(64) PRIMARY KEY, n bigint NOT NULL, price decimal(12,3), active tinyint(1), "
                        + "payload varbinary(64))");
        if (withHistory) {
            exec(url, "CREATE TABLE counter_history (id bigint AUTO_INCREMENT PRIMARY KEY, counter_id varchar(64) NOT NULL, "
                            + "n bigint NOT NULL)",
                    "CREATE TRIGGER counters_ins AFTER INSERT ON counters FOR EACH ROW "
                            + "INSERT INTO counter_history (counter_id, n) VALUES (NEW.id, NEW.n)",
                    "CREATE TRIGGER counters_upd AFTER UPDATE ON counters FOR EACH ROW "
                            + "INSERT INTO counter_history (counter_id, n) VALUES (NEW.id, NEW.n)");
        }
    }

    static void exec(String url, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    static long count(String url, String table) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The values of {@code counter_history.n} in insertion order: one per applied manifest when exactly once. */
    static List<Long> history(String url) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT n FROM counter_history ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    static Optional<StandbyPosition> position(String url, String shardId) throws SQLException {
        Dialect d = Dialect.of(url);
        try (Connection c = d.connect(url, "", "")) {
            try {
                return new PositionTable(d).read(c, shardId);
            } catch (SQLException missingTable) {
                return Optional.empty();
            }
        }
    }

    /** Canonical rows of the standby's tables (sorted), for comparison with {@link #expected}. */
    static List<String> actual(String url) throws SQLException {
        Dialect d = Dialect.of(url);
        TableCatalog catalog = new TableCatalog(d);
        List<String> rows = new ArrayList<>();
        try (Connection c = d.connect(url, "", "")) {
            for (String table : Workload.TABLES) {
                TableShape shape = catalog.shape(c, table);
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + d.quote(table))) {
                    while (rs.next()) {
                        StringBuilder sb = new StringBuilder(table);
                        int i = 1;
                        for (TableShape.Column col : shape.columns()) {
                            sb.append('|').append(col.name()).append('=').append(canonical(col, ColumnValues.read(d, rs, i++, col)));
                        }
                        rows.add(sb.toString());
                    }
                }
            }
            c.rollback();
        }
        rows.sort(null);
        return rows;
    }

    /** The model's rows in the same canonical form, typed by the standby's catalog at {@code url}. */
    static List<String> expected(String url, Map<String, TreeMap<String, Map<String, Object>>> model) throws SQLException {
        Dialect d = Dialect.of(url);
        TableCatalog catalog = new TableCatalog(d);
        List<String> rows = new ArrayList<>();
        try (Connection c = d.connect(url, "", "")) {
            for (String table : Workload.TABLES) {
                TableShape shape = catalog.shape(c, table);
                for (Map<String, Object> row : model.get(table).values()) {
                    JsonNode image = Workload.json(row);
                    StringBuilder sb = new StringBuilder(table);
                    for (TableShape.Column col : shape.columns()) {
                        sb.append('|').append(col.name()).append('=').append(canonical(col, image.get(col.name())));
                    }
                    rows.add(sb.toString());
                }
            }
            c.rollback();
        }
        rows.sort(null);
        return rows;
    }

    static String checksum(List<String> rows) {
        return Sha256.hex(String.join("\n", rows).getBytes(StandardCharsets.UTF_8));
    }

    private static String canonical(TableShape.Column col, JsonNode v) {
        if (v == null || v.isNull()) {
            return "NULL";
        }
        if (v.isBoolean()) {
            return v.booleanValue() ? "1" : "0";
        }
        String type = col.type().toLowerCase(Locale.ROOT);
        if (type.contains("timestamp") || type.contains("datetime")) {
            return ColumnValues.instant(v.asText()).toString();
        }
        return switch (col.kind()) {
            case INTEGER, FLOAT, DECIMAL -> new BigDecimal(v.asText()).stripTrailingZeros().toPlainString();
            default -> v.asText();
        };
    }
}
