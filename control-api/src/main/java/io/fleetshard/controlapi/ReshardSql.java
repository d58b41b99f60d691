package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the resharder runs on a shard primary, per engine family (ADR 0013): the tagged-transaction marker, the fence
 * rows, the bulk-copy upserts, the per-fleet count and checksum, the batched deletes, and the delta sync's progress
 * row. The marker and progress tables are specified in {@code docs/spec/change-events.md} and
 * {@code docs/spec/resharding.md}; the fence table and its trigger are installed with the fleet schema by the router's
 * {@code FleetSchema}.
 */
abstract class ReshardSql {
    static final String MARKER_TABLE = "fleetshard_reshard_tx";
    static final String PROGRESS_TABLE = "fleetshard_reshard_progress";
    static final String FENCE_TABLE = "fleetshard_fence";
    /** Ids of both engines that the copied value of a column of this type needs converting for. */
    private static final String TENANT = "tenant_id";
    private static final String FLEET = "fleet_id";

    static ReshardSql of(Engine engine) {
        return engine == Engine.POSTGRES ? new Postgres() : new MySqlFamily();
    }

    /** The marker and progress tables exist afterwards; the fence table must exist (FleetSchema installs it). */
    abstract void prepare(Connection c) throws SQLException;

    /**
     * Starts a tagged transaction: autocommit off, the resharder's bypass of the fence set, and the marker upsert as
     * its first change, so capture keeps the whole transaction out of the change topics.
     */
    abstract void beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException;

    abstract String quote(String identifier);

    /** The sharded tables (with tenant_id, fleet_id and a primary key), by name. */
    List<ReshardTable> tables(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        Map<String, ReshardTable> out = new TreeMap<>();
        List<String> names = new ArrayList<>();
        try (ResultSet rs = md.getTables(catalog(c), schemaPattern(), "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME");
                if (!name.startsWith("fleetshard_")) {
                    names.add(name);
                }
            }
        }
        for (String name : names) {
            List<String> cols = new ArrayList<>();
            List<String> types = new ArrayList<>();
            try (ResultSet rs = md.getColumns(catalog(c), schemaPattern(), name, "%")) {
                while (rs.next()) {
                    cols.add(rs.getString("COLUMN_NAME"));
                    types.add(rs.getString("TYPE_NAME").toLowerCase(java.util.Locale.ROOT));
                }
            }
            Map<Integer, String> pk = new TreeMap<>();
            try (ResultSet rs = md.getPrimaryKeys(catalog(c), schemaPattern(), name)) {
                while (rs.next()) {
                    pk.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
                }
            }
            if (cols.contains(TENANT) && cols.contains(FLEET) && !pk.isEmpty()) {
                out.put(name, new ReshardTable(name, cols, types, new ArrayList<>(pk.values())));
            }
        }
        return new ArrayList<>(out.values());
    }

    abstract String catalog(Connection c) throws SQLException;

    abstract String schemaPattern();

    long count(Connection c, ReshardTable t, String tenant, String fleet) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + quote(t.name())
                + " WHERE tenant_id = ? AND fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Reads the fleet's rows of {@code t} in primary-key order, streaming (the caller's transaction keeps a cursor). */
    PreparedStatement selectRows(Connection c, ReshardTable t, String tenant, String fleet, int fetchSize)
            throws SQLException {
        String cols = t.columns().stream().map(this::quote).collect(Collectors.joining(", "));
        String order = t.primaryKey().stream().map(this::quote).collect(Collectors.joining(", "));
        PreparedStatement ps = c.prepareStatement("SELECT " + cols + " FROM " + quote(t.name())
                + " WHERE tenant_id = ? AND fleet_id = ? ORDER BY " + order, ResultSet.TYPE_FORWARD_ONLY,
                ResultSet.CONCUR_READ_ONLY);
        ps.setFetchSize(fetchSize);
        ps.setString(1, tenant);
        ps.setString(2, fleet);
        return ps;
    }

    /** One column value as read for copying to a server of the same engine. */
    Object read(ResultSet rs, int column, String typeName) throws SQLException {
        return rs.getObject(column);
    }

    /** Upserts {@code rows} (values in table column order) by primary key, in the caller's transaction. */
    abstract void upsert(Connection c, ReshardTable t, List<Object[]> rows) throws SQLException;

    /** {@code INSERT INTO t (columns) VALUES (?, ...), ...} for {@code rows} rows, to be completed by the engine. */
    StringBuilder insertValues(ReshardTable t, int rows) {
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(quote(t.name())).append(" (")
                .append(t.columns().stream().map(this::quote).collect(Collectors.joining(", "))).append(") VALUES ");
        String tuple = "(" + t.columns().stream().map(x -> "?").collect(Collectors.joining(", ")) + ")";
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "" : ", ").append(tuple);
        }
        return sql;
    }

    static void executeWithRows(Connection c, String sql, List<Object[]> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            for (Object[] row : rows) {
                for (Object v : row) {
                    ps.setObject(p++, v);
                }
            }
            ps.executeUpdate();
        }
    }

    /** Deletes at most {@code limit} rows of the fleet; returns how many. */
    abstract int deleteBatch(Connection c, ReshardTable t, String tenant, String fleet, int limit) throws SQLException;

    /** Row count and an order-independent checksum of the fleet's rows, both computed by the database. */
    abstract Checksum checksum(Connection c, ReshardTable t, String tenant, String fleet) throws SQLException;

    abstract void fence(Connection c, String tenant, String fleet, String jobId) throws SQLException;

    /**
     * Called in the fence transaction before {@link #fence}: makes writes that already passed the fence guard finish
     * before the fence commits, so none commits after it (router README, "Writes in flight at the fence").
     */
    void lockForFence(Connection c, List<ReshardTable> tables) throws SQLException {
    }

    void unfence(Connection c, String tenant, String fleet) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + quote(FENCE_TABLE)
                + " WHERE tenant_id = ? AND fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, fleet);
            ps.executeUpdate();
        }
    }

    /** The delta sync's progress row of the job on the target, if it wrote one. */
    DeltaProgress progress(Connection c, String jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT source_offset, fence_seen, updated_at_ms FROM "
                + quote(PROGRESS_TABLE) + " WHERE job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new DeltaProgress(rs.getLong(1), rs.getBoolean(2), rs.getLong(3)) : null;
            }
        }
    }

    /** A fleet's rows of one table on one side: how many, and the sum of a 60-bit hash per row. */
    record Checksum(long rows, String sum) {
    }

    /** The last shard-log offset the delta sync handled, whether it saw this job's fence, and when it wrote. */
    record DeltaProgress(long sourceOffset, boolean fenceSeen, long updatedAtMs) {
    }

    static int slotOf(String jobId) {
        return 1 + Math.floorMod(jobId.hashCode(), 499);
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    static final class Postgres extends ReshardSql {
        @Override
        void prepare(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS public." + MARKER_TABLE + " (slot integer PRIMARY KEY,"
                        + " job_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL)");
                st.execute("CREATE TABLE IF NOT EXISTS public." + PROGRESS_TABLE + " (job_id text PRIMARY KEY,"
                        + " source_offset bigint NOT NULL, fence_seen boolean NOT NULL DEFAULT false,"
                        + " updated_at_ms bigint NOT NULL)");
                try (ResultSet rs = st.executeQuery("SELECT to_regclass('public." + FENCE_TABLE + "') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new SQLException("no table public." + FENCE_TABLE + ": the shard's fleet schema predates"
                                + " resharding; restart the router (FleetSchema.install) on it first", "42P01");
                    }
                }
            }
        }

        @Override
        void beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL fleetshard.resharder = 'on'");
                st.execute("SET LOCAL TIME ZONE 'UTC'");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO public." + MARKER_TABLE
                    + " (slot, job_id, kind, seq) VALUES (?, ?, ?, 1) ON CONFLICT (slot) DO UPDATE SET job_id ="
                    + " EXCLUDED.job_id, kind = EXCLUDED.kind, seq = " + MARKER_TABLE + ".seq + 1")) {
                ps.setInt(1, slot);
                ps.setString(2, jobId);
                ps.setString(3, kind);
                ps.executeUpdate();
            }
        }

        @Override
        String quote(String identifier) {
            return "\"" + identifier.replace("\"", "\"\"") + "\"";
        }

        @Override
        String catalog(Connection c) {
            return null;
        }

        @Override
        String schemaPattern() {
            return "public";
        }

        @Override
        Object read(ResultSet rs, int column, String typeName) throws SQLException {
            return typeName.equals("timestamptz") ? rs.getObject(column, OffsetDateTime.class) : rs.getObject(column);
        }

        @Override
        void upsert(Connection c, ReshardTable t, List<Object[]> rows) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            StringBuilder sql = insertValues(t, rows.size());
            sql.append(" ON CONFLICT (").append(t.primaryKey().stream().map(this::quote)
                    .collect(Collectors.joining(", "))).append(") DO ");
            List<String> rest = t.columns().stream().filter(col -> !t.primaryKey().contains(col)).toList();
            if (rest.isEmpty()) {
                sql.append("NOTHING");
            } else {
                sql.append("UPDATE SET ").append(rest.stream().map(col -> quote(col) + " = EXCLUDED." + quote(col))
                        .collect(Collectors.joining(", ")));
            }
            executeWithRows(c, sql.toString(), rows);
        }

        @Override
        int deleteBatch(Connection c, ReshardTable t, String tenant, String fleet, int limit) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + quote(t.name()) + " WHERE ctid IN"
                    + " (SELECT ctid FROM " + quote(t.name()) + " WHERE tenant_id = ? AND fleet_id = ? LIMIT ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setInt(3, limit);
                return ps.executeUpdate();
            }
        }

        @Override
        Checksum checksum(Connection c, ReshardTable t, String tenant, String fleet) throws SQLException {
            String cols = t.columns().stream().map(this::quote).collect(Collectors.joining(", "));
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'UTC'");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(('x' || substr(md5(r::text),"
                    + " 1, 15))::bit(60)::bigint), 0)::text FROM (SELECT " + cols + " FROM " + quote(t.name())
                    + " WHERE tenant_id = ? AND fleet_id = ?) r")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Checksum(rs.getLong(1), rs.getString(2));
                }
            }
        }

        /**
         * PostgreSQL's guard reads the fence with a fresh snapshot but takes no lock the fence insert would wait for:
         * SHARE ROW EXCLUSIVE waits for every open writer of the tables and holds new ones for the milliseconds until
         * the fence commits (they then fail with FS002, or pass if they are other fleets').
         */
        @Override
        void lockForFence(Connection c, List<ReshardTable> tables) throws SQLException {
            if (tables.isEmpty()) {
                return;
            }
            try (Statement st = c.createStatement()) {
                st.execute("LOCK TABLE " + tables.stream().map(t -> "public." + quote(t.name()))
                        .collect(Collectors.joining(", ")) + " IN SHARE ROW EXCLUSIVE MODE");
            }
        }

        @Override
        void fence(Connection c, String tenant, String fleet, String jobId) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO public." + FENCE_TABLE
                    + " (tenant_id, fleet_id, job_id) VALUES (?, ?, ?) ON CONFLICT (tenant_id, fleet_id)"
                    + " DO UPDATE SET job_id = EXCLUDED.job_id")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setString(3, jobId);
                ps.executeUpdate();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ MySQL family

    static final class MySqlFamily extends ReshardSql {
        @Override
        void prepare(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + MARKER_TABLE + " (slot INT PRIMARY KEY,"
                        + " job_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, seq BIGINT NOT NULL)");
                st.execute("CREATE TABLE IF NOT EXISTS " + PROGRESS_TABLE + " (job_id VARCHAR(64) PRIMARY KEY,"
                        + " source_offset BIGINT NOT NULL, fence_seen TINYINT NOT NULL DEFAULT 0,"
                        + " updated_at_ms BIGINT NOT NULL)");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.tables WHERE"
                        + " table_schema = DATABASE() AND table_name = '" + FENCE_TABLE + "'")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        throw new SQLException("no table " + FENCE_TABLE + ": the shard's fleet schema predates"
                                + " resharding; restart the router (FleetSchema.install) on it first", "42S02");
                    }
                }
            }
        }

        @Override
        void beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET @fleetshard_resharder = 1");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + MARKER_TABLE
                    + " (slot, job_id, kind, seq) VALUES (?, ?, ?, 1) ON DUPLICATE KEY UPDATE job_id = VALUES(job_id),"
                    + " kind = VALUES(kind), seq = seq + 1")) {
                ps.setInt(1, slot);
                ps.setString(2, jobId);
                ps.setString(3, kind);
                ps.executeUpdate();
            }
        }

        @Override
        String quote(String identifier) {
            return "`" + identifier.replace("`", "``") + "`";
        }

        @Override
        String catalog(Connection c) throws SQLException {
            return c.getCatalog();
        }

        @Override
        String schemaPattern() {
            return null;
        }

        @Override
        void upsert(Connection c, ReshardTable t, List<Object[]> rows) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            StringBuilder sql = insertValues(t, rows.size());
            sql.append(" ON DUPLICATE KEY UPDATE ").append(t.columns().stream()
                    .map(col -> quote(col) + " = VALUES(" + quote(col) + ")").collect(Collectors.joining(", ")));
            executeWithRows(c, sql.toString(), rows);
        }

        @Override
        int deleteBatch(Connection c, ReshardTable t, String tenant, String fleet, int limit) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + quote(t.name())
                    + " WHERE tenant_id = ? AND fleet_id = ? LIMIT ?")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setInt(3, limit);
                return ps.executeUpdate();
            }
        }

        @Override
        Checksum checksum(Connection c, ReshardTable t, String tenant, String fleet) throws SQLException {
            String cols = t.columns().stream().map(col -> "IFNULL(" + quote(col) + ", '\\\\N')")
                    .collect(Collectors.joining(", "));
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), CAST(COALESCE(SUM(CAST(CONV(SUBSTR(MD5("
                    + "CONCAT_WS('|', " + cols + ")), 1, 15), 16, 10) AS UNSIGNED)), 0) AS CHAR) FROM "
                    + quote(t.name()) + " WHERE tenant_id = ? AND fleet_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Checksum(rs.getLong(1), rs.getString(2));
                }
            }
        }

        @Override
        void fence(Connection c, String tenant, String fleet, String jobId) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + FENCE_TABLE
                    + " (tenant_id, fleet_id, job_id) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE job_id = VALUES(job_id)")) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setString(3, jobId);
                ps.executeUpdate();
            }
        }
    }
}
