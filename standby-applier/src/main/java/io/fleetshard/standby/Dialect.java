package io.fleetshard.standby;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;

/**
 * What differs between a PostgreSQL and a MySQL/MariaDB standby: identifier quoting, the upsert statement, batching
 * options of the driver, the catalog queries and the session settings (ADR 0012).
 */
enum Dialect {
    POSTGRES {
        @Override
        String quote(String identifier) {
            return "\"" + identifier.replace("\"", "\"\"") + "\"";
        }

        @Override
        String upsertSuffix(List<String> primaryKey, List<String> updated) {
            StringBuilder sb = new StringBuilder(" ON CONFLICT (");
            appendList(sb, primaryKey);
            if (updated.isEmpty()) {
                return sb.append(") DO NOTHING").toString();
            }
            sb.append(") DO UPDATE SET ");
            for (int i = 0; i < updated.size(); i++) {
                String c = quote(updated.get(i));
                sb.append(i == 0 ? "" : ", ").append(c).append(" = EXCLUDED.").append(c);
            }
            return sb.toString();
        }

        @Override
        String withBatchOptions(String url) {
            return withOption(url, "reWriteBatchedInserts", "true");
        }

        @Override
        List<String> sessionSetup() {
            return List.of("SET TIME ZONE 'UTC'");
        }

        @Override
        String columnsQuery() {
            return "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, format_type(a.atttypid, NULL), "
                    + "t.typname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
                    + "WHERE n.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped "
                    + "ORDER BY a.attnum";
        }

        @Override
        String primaryKeyQuery() {
            return "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                    + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
                    + "WHERE n.nspname = current_schema() AND c.relname = ? AND i.indisprimary ORDER BY k.ord";
        }

        @Override
        String tablesQuery() {
            return "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1";
        }

        @Override
        String forUpdate() {
            return " FOR UPDATE";
        }
    },
    MARIADB {
        @Override
        String quote(String identifier) {
            return "`" + identifier.replace("`", "``") + "`";
        }

        @Override
        String upsertSuffix(List<String> primaryKey, List<String> updated) {
            // an all-key table: re-setting a key column to itself is a no-op update
            List<String> set = updated.isEmpty() ? List.of(primaryKey.get(0)) : updated;
            StringBuilder sb = new StringBuilder(" ON DUPLICATE KEY UPDATE ");
            for (int i = 0; i < set.size(); i++) {
                String c = quote(set.get(i));
                sb.append(i == 0 ? "" : ", ").append(c).append(" = VALUES(").append(c).append(')');
            }
            return sb.toString();
        }

        @Override
        String withBatchOptions(String url) {
            // Connector/J 3.x has no rewriteBatchedStatements: its bulk protocol batches inserts, updates and deletes
            return withOption(url, "useBulkStmts", "true");
        }

        @Override
        List<String> sessionSetup() {
            return List.of("SET time_zone = '+00:00'");
        }

        @Override
        String columnsQuery() {
            return "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS "
                    + "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION";
        }

        @Override
        String primaryKeyQuery() {
            return "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
                    + "AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION";
        }

        @Override
        String tablesQuery() {
            return "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                    + "AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1";
        }

        @Override
        String forUpdate() {
            return " FOR UPDATE";
        }
    };

    /** The standby's position table (docs/spec/archive.md, "Applying"). */
    static final String POSITION_TABLE = "fleetshard_standby_position";

    abstract String quote(String identifier);

    /** What follows {@code INSERT INTO t (...) VALUES (...)} to make it an upsert by primary key. */
    abstract String upsertSuffix(List<String> primaryKey, List<String> updated);

    abstract String withBatchOptions(String url);

    abstract List<String> sessionSetup();

    /** Columns of table {@code ?}: name, full type text, nullable, type to cast a parameter to, base type name. */
    abstract String columnsQuery();

    abstract String primaryKeyQuery();

    abstract String tablesQuery();

    abstract String forUpdate();

    String positionTableDdl() {
        return "CREATE TABLE IF NOT EXISTS " + POSITION_TABLE + " (shard_id VARCHAR(128) PRIMARY KEY, "
                + "manifest_seq BIGINT NOT NULL, manifest_sha256 CHAR(64) NOT NULL, next_offset BIGINT NOT NULL, "
                + "last_position VARCHAR(200) NOT NULL, last_commit_ts_ms BIGINT NOT NULL, applied_at_ms BIGINT NOT NULL, "
                + "watermark_ts_ms BIGINT NOT NULL DEFAULT 0)";
    }

    /** Lets {@code role} read the position table (router and control-API probes). */
    String grantPositionRead(String role, String database) {
        return this == POSTGRES ? "GRANT SELECT ON " + POSITION_TABLE + " TO " + role
                : "GRANT SELECT ON `" + database + "`." + POSITION_TABLE + " TO '" + role + "'@'%', '" + role + "'@'localhost'";
    }

    static Dialect of(String jdbcUrl) {
        if (jdbcUrl != null && jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRES;
        }
        if (jdbcUrl != null && (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:"))) {
            return MARIADB;
        }
        throw new StandbyException("unsupported standby JDBC URL '" + redact(jdbcUrl)
                + "': use jdbc:postgresql://... or jdbc:mariadb://... (jdbc:mysql:// is served by the MariaDB driver)");
    }

    /**
     * Opens a connection with batching enabled, autocommit off and the session settings applied. {@code user} empty
     * means the URL's own credentials.
     */
    Connection connect(String jdbcUrl, String user, String password) throws SQLException {
        String url = withBatchOptions(this == MARIADB && jdbcUrl.startsWith("jdbc:mysql:")
                ? "jdbc:mariadb:" + jdbcUrl.substring("jdbc:mysql:".length()) : jdbcUrl);
        Properties props = new Properties();
        if (user != null && !user.isEmpty()) {
            props.setProperty("user", user);
            props.setProperty("password", password == null ? "" : password);
        }
        Connection c = DriverManager.getConnection(url, props);
        try (Statement s = c.createStatement()) {
            for (String sql : sessionSetup()) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        c.setAutoCommit(false);
        return c;
    }

    void appendList(StringBuilder sb, List<String> columns) {
        for (int i = 0; i < columns.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(columns.get(i)));
        }
    }

    static String withOption(String url, String key, String value) {
        if (url.contains(key + "=")) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + key + "=" + value;
    }

    /** The URL without a password parameter, for messages. */
    static String redact(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^&]*", "$1******");
    }
}
