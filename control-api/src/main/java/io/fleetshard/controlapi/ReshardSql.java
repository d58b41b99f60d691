package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
    private static final String TENANT = "tenant_id";
    private static final String FLEET = "fleet_id";

    static ReshardSql of(Engine engine) {
        return engine == Engine.POSTGRES ? new Postgres() : new MySqlFamily();
    }

    /** The marker and progress tables exist afterwards; the fence table must exist (FleetSchema installs it). */
    abstract void prepare(Connection c) throws SQLException;

    /**
     * Starts a tagged transaction: autocommit off, the resharder's bypass of the fence set, and the marker upsert as
     * its first change, so capture keeps the whole transaction out of the change topics. Returns the marker's new
     * sequence number (per slot, rising), by which the delta sync reports which fence it applied.
     */
    abstract long beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException;

    /**
     * Lets the open transaction's commit return without waiting for the server's synchronous replicas, where the
     * engine can say so per transaction (PostgreSQL: {@code synchronous_commit = local}, still flushed on the server
     * itself). Only for a transaction that a later synchronous commit on the same server follows before anything relies
     * on it: that commit's wait covers all WAL before it, so the replicas hold this one too once it returns. MariaDB's
     * semi-synchronous wait cannot be skipped per transaction: a no-op there.
     */
    void deferReplicaWait(Connection c) throws SQLException {
    }

    /** Adds {@code fence_seq} to a progress table made before it existed. */
    final void addFenceSeq(Statement st, String schemaExpression) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_name = '"
                + PROGRESS_TABLE + "' AND column_name = 'fence_seq' AND table_schema = " + schemaExpression)) {
            rs.next();
            if (rs.getLong(1) > 0) {
                return;
            }
        }
        st.execute("ALTER TABLE " + quote(PROGRESS_TABLE) + " ADD COLUMN fence_seq BIGINT NOT NULL DEFAULT 0");
    }

    abstract String quote(String identifier);

    /**
     * The sharded tables (with tenant_id, fleet_id and a primary key), by name: one catalog query ({@link #tablesSql})
     * instead of {@code DatabaseMetaData}'s round trips per table and kind, which took most of a job's first planning
     * (~0.5 s, docs/benchmarks.md, "Online resharding", eighth session).
     */
    List<ReshardTable> tables(Connection c) throws SQLException {
        Map<String, List<String>> columns = new TreeMap<>();
        Map<String, Map<Integer, String>> keys = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(tablesSql())) {
            while (rs.next()) {
                String table = rs.getString(1);
                if (table.startsWith("fleetshard_")) {
                    continue;
                }
                String column = rs.getString(2);
                columns.computeIfAbsent(table, k -> new ArrayList<>()).add(column);
                int keySeq = rs.getInt(3);
                if (!rs.wasNull()) {
                    keys.computeIfAbsent(table, k -> new TreeMap<>()).put(keySeq, column);
                }
            }
        }
        List<ReshardTable> out = new ArrayList<>();
        columns.forEach((table, cols) -> {
            Map<Integer, String> pk = keys.getOrDefault(table, Map.of());
            if (cols.contains(TENANT) && cols.contains(FLEET) && !pk.isEmpty()) {
                out.add(new ReshardTable(table, cols, new ArrayList<>(pk.values())));
            }
        });
        return out;
    }

    /**
     * Every column of every base table of the shard's schema: table name, column name, the column's place in the
     * primary key (null when not in it; any increasing numbers), ordered by table and column position.
     */
    abstract String tablesSql();

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

    /**
     * A primary-key range of one fleet's rows of a table, {@code (after, upTo]}: each bound is the key's columns as SQL
     * literals of the source's engine, or null where the range is open. The copy and the validation work range by
     * range, so a transaction stays small, progress moves evenly and the ETA holds.
     */
    record KeyRange(List<String> after, List<String> upTo) {
        static final KeyRange ALL = new KeyRange(null, null);

        @Override
        public String toString() {
            return "(" + (after == null ? "-inf" : String.join(", ", after)) + " .. "
                    + (upTo == null ? "+inf" : String.join(", ", upTo)) + "]";
        }
    }

    /** A fleet's rows of one table cut into key ranges, and how many rows there are in all. */
    record FleetRanges(List<KeyRange> ranges, long rows) {
        FleetRanges {
            ranges = List.copyOf(ranges);
        }
    }

    /**
     * Cuts the fleet's rows of {@code t} into consecutive key ranges of {@code rows} rows each (the last one holds the
     * rest, possibly none), and counts them, in one scan of the fleet's part of the primary key: the key of every
     * {@code rows}-th row, and the number of the last row ({@code lead} looks one row ahead, so nothing is buffered; a
     * {@code count(*) OVER ()} had PostgreSQL buffer every row of the fleet first, 1.4 s instead of 0.45 s for 200,000
     * rows: docs/benchmarks.md, "Online resharding", eighth session).
     */
    FleetRanges ranges(Connection c, ReshardTable t, String tenant, String fleet, int rows) throws SQLException {
        return ranges(c, t, tenant, fleet, rows, r -> { });
    }

    /**
     * As {@link #ranges(Connection, ReshardTable, String, String, int)}, handing each range but the last to
     * {@code cut} as soon as the scan reaches its upper bound (ADR 0059): where the engine streams the scan's rows
     * ({@link #streamsRangeScan}), the copy of the first ranges starts while the scan goes on.
     */
    FleetRanges ranges(Connection c, ReshardTable t, String tenant, String fleet, int rows,
            java.util.function.Consumer<KeyRange> cut) throws SQLException {
        if (rangeColumns(t).isEmpty()) { // the key is (tenant_id, fleet_id): one row per fleet at most
            return new FleetRanges(List.of(KeyRange.ALL), count(c, t, tenant, fleet));
        }
        String pk = t.primaryKey().stream().map(this::quote).collect(Collectors.joining(", "));
        String literals = t.primaryKey().stream().map(col -> t.neutral() ? keyText(quote(col), t.type(col))
                : literalOf(quote(col))).collect(Collectors.joining(", "));
        List<KeyRange> out = new ArrayList<>();
        List<String> after = null;
        long total = 0;
        if (t.neutral()) {
            try (Statement st = c.createStatement()) {
                neutralSession(st);
            }
        }
        boolean stream = streamsRangeScan();
        boolean autoCommit = c.getAutoCommit();
        if (stream && autoCommit) {
            c.setAutoCommit(false); // a cursor: the driver hands over rows as the scan finds them
        }
        // no ORDER BY where the window's order streams (a sort would wait for the whole scan): the row numbers are
        // checked to rise instead
        String sql = "SELECT " + literals + ", fleetshard_rn, fleetshard_last FROM (SELECT " + pk
                + ", row_number() OVER (ORDER BY " + pk + ") AS fleetshard_rn, lead(1) OVER (ORDER BY " + pk
                + ") IS NULL AS fleetshard_last FROM " + quote(t.name()) + " WHERE " + fleetPredicate(tenant, fleet)
                + ") s WHERE fleetshard_rn % " + rows + " = 0 OR fleetshard_last"
                + (stream ? "" : " ORDER BY fleetshard_rn");
        try (Statement st = c.createStatement()) {
            if (stream) {
                st.setFetchSize(1);
            }
            try (ResultSet rs = st.executeQuery(sql)) {
                int n = t.primaryKey().size();
                long lastRn = 0;
                while (rs.next()) {
                    long rn = rs.getLong(n + 1);
                    if (rn <= lastRn) {
                        throw new IllegalStateException("the range scan of " + t.name() + " returned row " + rn
                                + " after row " + lastRn);
                    }
                    lastRn = rn;
                    if (rs.getBoolean(n + 2)) {
                        total = rn;
                    }
                    if (rn % rows != 0) {
                        continue;
                    }
                    List<String> bound = new ArrayList<>(n);
                    for (int i = 1; i <= n; i++) {
                        bound.add(rs.getString(i));
                    }
                    KeyRange range = new KeyRange(after, bound);
                    out.add(range);
                    cut.accept(range);
                    after = bound;
                }
            }
        } finally {
            if (stream && autoCommit) {
                c.commit();
                c.setAutoCommit(true);
            }
        }
        out.add(new KeyRange(after, null));
        return new FleetRanges(out, total);
    }

    /**
     * Whether this engine returns the range scan's rows in its window's order as it finds them, without an
     * {@code ORDER BY} (PostgreSQL: the window runs over the primary key's index scan). Else the query sorts.
     */
    boolean streamsRangeScan() {
        return false;
    }

    /** The SQL expression giving a column's value as a literal of this engine, cast back to its type on use. */
    abstract String literalOf(String quotedColumn);

    /** A string as an SQL literal of this engine. */
    abstract String literal(String value);

    /** {@code tenant_id = '...' AND fleet_id = '...'}, literals inlined (COPY takes no parameters). */
    final String fleetPredicate(String tenant, String fleet) {
        return TENANT + " = " + literal(tenant) + " AND " + FLEET + " = " + literal(fleet);
    }

    /** The fleet's rows of {@code t} within {@code range}, as a WHERE condition. */
    final String rangePredicate(ReshardTable t, String tenant, String fleet, KeyRange range) {
        StringBuilder sql = new StringBuilder(fleetPredicate(tenant, fleet));
        if (range.after() != null) {
            sql.append(" AND ").append(keyCompare(t, ">", range.after()));
        }
        if (range.upTo() != null) {
            sql.append(" AND ").append(keyCompare(t, "<=", range.upTo()));
        }
        return sql.toString();
    }

    /**
     * {@code (k1, k2, ...) op (v1, v2, ...)} in key order, written out as nested conditions: the form every engine's
     * range optimiser turns into an index range (MariaDB and MySQL do not for a row constructor with {@code <} or
     * {@code >}).
     */
    String keyCompare(ReshardTable t, String op, List<String> bound) {
        List<Integer> key = rangeColumns(t);
        String strict = op.substring(0, 1);
        String sql = "";
        for (int k = key.size() - 1; k >= 0; k--) {
            int i = key.get(k);
            String col = quote(t.primaryKey().get(i));
            String value = boundLiteral(t, i, bound);
            String cmp = col + " " + (k == key.size() - 1 ? op : strict) + " " + value;
            sql = k == key.size() - 1 ? cmp : "(" + cmp + " OR (" + col + " = " + value + " AND " + sql + "))";
        }
        return sql;
    }

    /**
     * The {@code i}-th key column's bound as a literal of this engine: as cut when the table is not neutral (a literal
     * of this engine already), else the engine-neutral key text of {@link #keyText} rendered for this engine's type.
     */
    final String boundLiteral(ReshardTable t, int i, List<String> bound) {
        String text = bound.get(i);
        return t.neutral() ? neutralLiteral(t.type(t.primaryKey().get(i)), text) : text;
    }

    /**
     * Positions of the primary-key columns a range compares: all but tenant_id and fleet_id, which the fleet predicate
     * fixes (an index on (tenant_id, fleet_id, ...) is then used for the rest too).
     */
    static List<Integer> rangeColumns(ReshardTable t) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < t.primaryKey().size(); i++) {
            String col = t.primaryKey().get(i);
            if (!col.equals(TENANT) && !col.equals(FLEET)) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Copies the rows of {@code range} from {@code src} to {@code tgt} (a tagged transaction the caller commits): the
     * range's rows on the target are deleted and written again, so a copy that runs again converges. Returns the rows
     * copied.
     */
    final long copyRange(Connection src, Connection tgt, ReshardTable t, String tenant, String fleet, KeyRange range,
            int batchRows) throws SQLException {
        String where = rangePredicate(t, tenant, fleet, range);
        try (Statement st = tgt.createStatement()) {
            st.executeUpdate("DELETE FROM " + quote(t.name()) + " WHERE " + where);
        }
        return writeRange(src, tgt, t, where, batchRows);
    }

    /** Writes the source's rows matching {@code where} to the target (where none of them is left); returns how many. */
    abstract long writeRange(Connection src, Connection tgt, ReshardTable t, String where, int batchRows)
            throws SQLException;

    /**
     * Row count and an order-independent checksum of the fleet's rows of {@code range}, computed by the database: the
     * engine's own fast form, or for a neutral table (a cross-engine move, ADR 0047) the form both engines compute
     * alike.
     */
    final Checksum checksum(Connection c, ReshardTable t, String tenant, String fleet, KeyRange range)
            throws SQLException {
        if (!t.neutral()) {
            return engineChecksum(c, t, tenant, fleet, range);
        }
        try (Statement st = c.createStatement()) {
            neutralSession(st);
            try (ResultSet rs = st.executeQuery("SELECT count(*), " + sumAsText(neutralRowHash(t)) + " FROM "
                    + quote(t.name()) + " WHERE " + rangePredicate(t, tenant, fleet, range))) {
                rs.next();
                return new Checksum(rs.getLong(1), rs.getString(2));
            }
        }
    }

    abstract Checksum engineChecksum(Connection c, ReshardTable t, String tenant, String fleet, KeyRange range)
            throws SQLException;

    /**
     * The engine-neutral hash of a row (ADR 0047): the first 60 bits of the MD5 of the canonical texts of its columns
     * ({@link #canonical}, {@code \N} for NULL) in the table's column order, joined by {@code |}, as an integer.
     */
    final String neutralRowHash(ReshardTable t) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < t.columns().size(); i++) {
            parts.add("COALESCE(" + canonical(quote(t.columns().get(i)), t.types().get(i)) + ", " + nullText() + ")");
        }
        return hash60(concatWithBars(parts));
    }

    /** Session settings the neutral form needs (UTC, shortest float text), before its queries on a connection. */
    abstract void neutralSession(Statement st) throws SQLException;

    /** The SQL text of a NULL column in the neutral row text: {@code \N}. */
    abstract String nullText();

    /** {@code a || '|' || b ...} in this engine. */
    abstract String concatWithBars(List<String> parts);

    /** The first 60 bits of the MD5 (hex) of a text expression, as an integer expression. */
    abstract String hash60(String text);

    /** {@code sum(hash)} as an integer's decimal text, 0 for no rows. */
    abstract String sumAsText(String hash);

    /**
     * The canonical text of a column's value, the same on both engines for the same value (ADR 0047), or NULL: text
     * as its length in characters, {@code :} and itself; integers in decimal; decimals without trailing zeros;
     * floats as sign, significant digits, {@code e} and the decimal exponent of {@code 0.digits}; booleans 1 or 0;
     * timestamps as UTC epoch microseconds; dates {@code YYYY-MM-DD}; binary as lowercase hex.
     */
    abstract String canonical(String quotedColumn, ColumnType type);

    /**
     * A key column's value as engine-neutral text that {@link #neutralLiteral} turns back into a literal on either
     * engine: the canonical text, but a text column's value as it is.
     */
    final String keyText(String quotedColumn, ColumnType type) {
        return type.family() == ColumnType.Family.TEXT ? quotedColumn : canonical(quotedColumn, type);
    }

    /** A key text of {@link #keyText} as a literal of this engine for a column of {@code type}. */
    final String neutralLiteral(ColumnType type, String text) {
        return switch (type.family()) {
            case TEXT -> literal(text);
            case INTEGER, DECIMAL -> number(text);
            case BOOLEAN -> booleanLiteral(type, number(text));
            case FLOAT -> throw new IllegalArgumentException("a float key is not compared across engines");
            case TIMESTAMP -> timestampLiteral(type, CanonicalValues.timestampText(text));
            case DATE -> literal(CanonicalValues.date(text));
            case BINARY -> binaryLiteral(CanonicalValues.hex(text));
            case OTHER -> throw new IllegalArgumentException("a " + type.sqlType() + " key is not converted");
        };
    }

    private static String number(String text) {
        if (!text.matches("-?[0-9]+(\\.[0-9]+)?")) {
            throw new IllegalArgumentException("'" + text + "' is not a canonical number");
        }
        return text;
    }

    abstract String booleanLiteral(ColumnType type, String zeroOrOne);

    /** {@code utc}: {@code yyyy-MM-dd HH:mm:ss.ffffff} in UTC. */
    abstract String timestampLiteral(ColumnType type, String utc);

    abstract String binaryLiteral(String hex);

    /**
     * The table's columns with their types, for a cross-engine move (ADR 0047): {@code tables} with {@link
     * ReshardTable#types} filled in from this engine's catalog.
     */
    final List<ReshardTable> typed(Connection c, List<ReshardTable> tables, io.fleetshard.shardmap.Engine engine)
            throws SQLException {
        Map<String, ColumnType> types = new java.util.HashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(columnTypesSql())) {
            while (rs.next()) {
                types.put(rs.getString(1) + "." + rs.getString(2), ColumnType.of(engine, rs, 3));
            }
        }
        List<ReshardTable> out = new ArrayList<>();
        for (ReshardTable t : tables) {
            List<ColumnType> ts = new ArrayList<>();
            for (String col : t.columns()) {
                ColumnType type = types.get(t.name() + "." + col);
                if (type == null) {
                    throw new SQLException("no type of " + t.name() + "." + col + " in the catalog", "42703");
                }
                ts.add(type);
            }
            out.add(new ReshardTable(t.name(), t.columns(), t.primaryKey(), ts));
        }
        return out;
    }

    /**
     * Table name, column name, then the type's name ({@code udt_name} / {@code data_type}), MariaDB's
     * {@code column_type} (null on PostgreSQL), character length, numeric precision, numeric scale, datetime precision.
     */
    abstract String columnTypesSql();

    /** A multi-row upsert by primary key of {@code rows} rows of all of {@code t}'s columns, in column order. */
    abstract String upsertSql(ReshardTable t, int rows);

    /**
     * The fleet's rows of {@code range}, each key with the hash {@link #checksum} sums: where two checksums differ,
     * this names the rows that do.
     */
    final Map<RowKey, String> rowHashes(Connection c, ReshardTable t, String tenant, String fleet, KeyRange range)
            throws SQLException {
        Map<RowKey, String> out = new java.util.HashMap<>();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery(rowHashQuery(st, t, rangePredicate(t, tenant, fleet, range)))) {
                int keys = t.primaryKey().size();
                while (rs.next()) {
                    out.put(RowKey.ofRow(t.name(), rs, keys), rs.getString(keys + 1));
                }
            }
        }
        return out;
    }

    /** A query of the primary key columns and then the row's hash, of the rows matching {@code where}. */
    final String rowHashQuery(Statement st, ReshardTable t, String where) throws SQLException {
        if (!t.neutral()) {
            return engineRowHashQuery(st, t, where);
        }
        neutralSession(st);
        return "SELECT " + t.primaryKey().stream().map(this::quote).collect(Collectors.joining(", ")) + ", "
                + neutralRowHash(t) + " FROM " + quote(t.name()) + " WHERE " + where;
    }

    abstract String engineRowHashQuery(Statement st, ReshardTable t, String where) throws SQLException;

    /** Deletes at most {@code limit} rows of the fleet; returns how many. */
    abstract int deleteBatch(Connection c, ReshardTable t, String tenant, String fleet, int limit) throws SQLException;

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
        try (PreparedStatement ps = c.prepareStatement("SELECT source_offset, fence_seq, updated_at_ms FROM "
                + quote(PROGRESS_TABLE) + " WHERE job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new DeltaProgress(rs.getLong(1), rs.getLong(2), rs.getLong(3)) : null;
            }
        }
    }

    /** A fleet's rows of one table on one side: how many, and the sum of a 60-bit hash per row. */
    record Checksum(long rows, String sum) {
    }

    /**
     * The last shard-log offset the delta sync handled, the marker sequence number of the newest fence of this job it
     * applied (0: none), and when it wrote.
     */
    record DeltaProgress(long sourceOffset, long fenceSeq, long updatedAtMs) {
    }

    static int slotOf(String jobId) {
        return 1 + Math.floorMod(jobId.hashCode(), 499);
    }

    /**
     * The marker slot of a copy worker {@code worker} (1 to 8, {@code control.reshard.copy.parallelism}): above the
     * jobs' slots (1-499) and the delta syncs' (1000-1999, {@code JdbcTargetWriter}), so that it never waits for
     * another job's marker row, and distinct per worker, so that the workers' transactions do not wait for each
     * other's (2001-5992; 501-4492 before ADR 0059, which overlapped the delta syncs').
     */
    static int copySlotOf(String jobId, int worker) {
        if (worker < 1 || worker > 8) {
            throw new IllegalArgumentException("copy worker " + worker + " is not within 1-8");
        }
        return 2000 + (slotOf(jobId) - 1) * 8 + worker;
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    static final class Postgres extends ReshardSql {
        /** Per connection: whether its login may set {@code session_replication_role} (weak: connections close). */
        private final Map<Connection, Boolean> mayReplicaRole =
                java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

        @Override
        boolean streamsRangeScan() {
            return true;
        }

        @Override
        void prepare(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                createIfMissing(c, st, "CREATE TABLE IF NOT EXISTS public." + MARKER_TABLE
                        + " (slot integer PRIMARY KEY, job_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL)");
                createIfMissing(c, st, "CREATE TABLE IF NOT EXISTS public." + PROGRESS_TABLE
                        + " (job_id text PRIMARY KEY, source_offset bigint NOT NULL,"
                        + " fence_seen boolean NOT NULL DEFAULT false, fence_seq bigint NOT NULL DEFAULT 0,"
                        + " updated_at_ms bigint NOT NULL)");
                addFenceSeq(st, "'public'");
                try (ResultSet rs = st.executeQuery("SELECT to_regclass('public." + FENCE_TABLE + "') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new SQLException("no table public." + FENCE_TABLE + ": the shard's fleet schema predates"
                                + " resharding or was never installed; install it with `fleetshard schema install"
                                + " --jdbc-url <its primary>` first", "42P01");
                    }
                }
            }
        }

        /**
         * Runs a {@code CREATE ... IF NOT EXISTS} that another session may run at the same moment: the delta sync
         * creates the same tables on the target when a job starts. PostgreSQL's check is not atomic with the
         * creation, so the loser of that race fails on the catalog's unique index (23505), as a duplicate table
         * (42P07) or as a duplicate row type (42710); run again, it finds the winner's table.
         */
        private static void createIfMissing(Connection c, Statement st, String ddl) throws SQLException {
            try {
                st.execute(ddl);
            } catch (SQLException e) {
                boolean race = java.util.Set.of("23505", "42P07", "42710").contains(e.getSQLState());
                if (!race || !c.getAutoCommit()) { // in a transaction, the failure took what came before it along
                    throw e;
                }
                st.execute(ddl);
            }
        }

        @Override
        void deferReplicaWait(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL synchronous_commit = local");
            }
        }

        @Override
        long beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL fleetshard.resharder = 'on'");
                st.execute("SET LOCAL TIME ZONE 'UTC'");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO public." + MARKER_TABLE
                    + " (slot, job_id, kind, seq) VALUES (?, ?, ?, 1) ON CONFLICT (slot) DO UPDATE SET job_id ="
                    + " EXCLUDED.job_id, kind = EXCLUDED.kind, seq = " + MARKER_TABLE + ".seq + 1 RETURNING seq")) {
                ps.setInt(1, slot);
                ps.setString(2, jobId);
                ps.setString(3, kind);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }

        @Override
        String quote(String identifier) {
            return "\"" + identifier.replace("\"", "\"\"") + "\"";
        }

        @Override
        String tablesSql() {
            // pg_catalog rather than information_schema: its views check privileges row by row and are much slower
            return "SELECT c.relname, a.attname, array_position(i.indkey::int2[], a.attnum)"
                    + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
                    + " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
                    + " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname, a.attnum";
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
        String literalOf(String quotedColumn) {
            return "quote_literal(" + quotedColumn + ") || '::' || pg_typeof(" + quotedColumn + ")::text";
        }

        @Override
        String literal(String value) {
            return "'" + value.replace("'", "''") + "'"; // standard_conforming_strings is on since 9.1
        }

        /** A row comparison: PostgreSQL uses it as an index condition, the written-out form only as a filter. */
        @Override
        String keyCompare(ReshardTable t, String op, List<String> bound) {
            List<Integer> key = rangeColumns(t);
            return "(" + key.stream().map(i -> quote(t.primaryKey().get(i))).collect(Collectors.joining(", "))
                    + ") " + op + " (" + key.stream().map(i -> boundLiteral(t, i, bound))
                    .collect(Collectors.joining(", ")) + ")";
        }

        /**
         * Streams the rows with COPY from the source straight into COPY on the target (text format, so a column
         * type that differs in width on the two sides still converts).
         */
        @Override
        long writeRange(Connection src, Connection tgt, ReshardTable t, String where, int batchRows)
                throws SQLException {
            String cols = t.columns().stream().map(this::quote).collect(Collectors.joining(", "));
            if (maySkipTriggers(tgt)) {
                try (Statement st = tgt.createStatement()) {
                    st.execute("SET LOCAL session_replication_role = replica");
                }
            }
            org.postgresql.copy.CopyIn in = tgt.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + quote(t.name()) + " (" + cols + ") FROM STDIN");
            try (org.postgresql.copy.PGCopyOutputStream to = new org.postgresql.copy.PGCopyOutputStream(in, 1 << 16)) {
                src.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut("COPY (SELECT " + cols + " FROM "
                        + quote(t.name()) + " WHERE " + where + " ORDER BY " + t.primaryKey().stream()
                        .map(this::quote).collect(Collectors.joining(", ")) + ") TO STDOUT", to);
                return to.endCopy();
            } catch (java.io.IOException e) {
                throw new SQLException("COPY of " + t.name() + " rows where " + where + " failed: " + e.getMessage(),
                        "58030", e);
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        }

        /**
         * Whether the copy may turn the table triggers off for the rest of its transaction ({@code
         * session_replication_role = replica}, as logical replication applies rows): the fence guard's statement triggers
         * let the resharder through anyway but still collect every copied row in a transition table (about a fifth
         * of a COPY's time, docs/benchmarks.md, tenth session), and an application trigger on a sharded table should
         * not run again for rows that are only being copied. Without the privilege the copy runs with the triggers.
         */
        private boolean maySkipTriggers(Connection tgt) throws SQLException {
            Boolean known = mayReplicaRole.get(tgt);
            if (known != null) {
                return known;
            }
            boolean may;
            try (Statement st = tgt.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('is_superuser') = 'on',"
                            + " current_setting('server_version_num')::int >= 150000")) {
                rs.next();
                may = rs.getBoolean(1);
                if (!may && rs.getBoolean(2)) {
                    try (ResultSet granted = st.executeQuery(
                            "SELECT has_parameter_privilege('session_replication_role', 'SET')")) {
                        granted.next();
                        may = granted.getBoolean(1);
                    }
                }
            }
            mayReplicaRole.put(tgt, may); // a login's privilege, asked once per connection
            return may;
        }

        @Override
        Checksum engineChecksum(Connection c, ReshardTable t, String tenant, String fleet, KeyRange range)
                throws SQLException {
            String cols = t.columns().stream().map(this::quote).collect(Collectors.joining(", "));
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'UTC'"); // a row's text, which the hash reads, shows timestamps in it
                try (ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(hashtextextended(r::text, 0)), 0)"
                        + "::text FROM (SELECT " + cols + " FROM " + quote(t.name()) + " WHERE "
                        + rangePredicate(t, tenant, fleet, range) + ") r")) {
                    rs.next();
                    return new Checksum(rs.getLong(1), rs.getString(2));
                }
            }
        }

        @Override
        String engineRowHashQuery(Statement st, ReshardTable t, String where) throws SQLException {
            st.execute("SET TIME ZONE 'UTC'");
            String cols = t.columns().stream().map(this::quote).collect(Collectors.joining(", "));
            String keys = t.primaryKey().stream().map(k -> "r." + quote(k)).collect(Collectors.joining(", "));
            return "SELECT " + keys + ", hashtextextended(r::text, 0)::text FROM (SELECT " + cols + " FROM "
                    + quote(t.name()) + " WHERE " + where + ") r";
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

        // ---------------------------------------------------------------------------- engine-neutral form (ADR 0047)

        @Override
        void neutralSession(Statement st) throws SQLException {
            st.execute("SET TIME ZONE 'UTC'");
            st.execute("SET extra_float_digits = 1"); // shortest text that reads back the same double
        }

        @Override
        String nullText() {
            return "'\\N'";
        }

        @Override
        String concatWithBars(List<String> parts) {
            return "(" + String.join(" || '|' || ", parts) + ")";
        }

        @Override
        String hash60(String text) {
            return "('x' || substr(md5(" + text + "), 1, 15))::bit(60)::bigint";
        }

        @Override
        String sumAsText(String hash) {
            return "coalesce(sum(" + hash + "), 0)::text";
        }

        @Override
        String canonical(String x, ColumnType type) {
            return switch (type.family()) {
                case TEXT -> "(length(" + x + ")::text || ':' || " + x + "::text)";
                case INTEGER -> x + "::text";
                case DECIMAL -> "trim_scale(" + x + ")::text";
                case FLOAT -> floatCanonical(x + "::text");
                case BOOLEAN -> type.sqlType().equals("bool") ? "(CASE " + x + " WHEN true THEN '1' WHEN false THEN"
                        + " '0' END)" : x + "::text";
                case TIMESTAMP -> "(extract(epoch from " + x + ") * 1000000)::bigint::text";
                case DATE -> "to_char(" + x + ", 'YYYY-MM-DD')";
                case BINARY -> "encode(" + x + ", 'hex')";
                case OTHER -> throw new IllegalArgumentException("no canonical text of a " + type.sqlType());
            };
        }

        /** {@code s}: the float's shortest text ({@code -1.5e-05}, {@code 0.001}, {@code 1e+20}). */
        private static String floatCanonical(String s) {
            String m = "split_part(" + s + ", 'e', 1)";
            String ex = "coalesce(nullif(split_part(" + s + ", 'e', 2), '')::int, 0)";
            String u = "ltrim(" + m + ", '-')";
            String i = "split_part(" + u + ", '.', 1)";
            String digits = "(" + i + " || split_part(" + u + ", '.', 2))";
            String leadingZeros = "(length(" + digits + ") - length(ltrim(" + digits + ", '0')))";
            String d = "rtrim(ltrim(" + digits + ", '0'), '0')";
            return "(CASE WHEN " + d + " = '' THEN '0' ELSE (CASE WHEN " + s + " LIKE '-%' THEN '-' ELSE '' END) || "
                    + d + " || 'e' || (" + ex + " + length(" + i + ") - " + leadingZeros + ")::text END)";
        }

        @Override
        String booleanLiteral(ColumnType type, String zeroOrOne) {
            return type.sqlType().equals("bool") ? "'" + zeroOrOne + "'" : zeroOrOne;
        }

        @Override
        String timestampLiteral(ColumnType type, String utc) {
            return type.sqlType().equals("timestamptz") ? "'" + utc + "+00'::timestamptz" : "'" + utc + "'::timestamp";
        }

        @Override
        String binaryLiteral(String hex) {
            return "decode('" + hex + "', 'hex')";
        }

        @Override
        String columnTypesSql() {
            return "SELECT table_name, column_name, udt_name, NULL, character_maximum_length, numeric_precision,"
                    + " numeric_scale, datetime_precision FROM information_schema.columns WHERE table_schema = 'public'";
        }

        @Override
        String upsertSql(ReshardTable t, int rows) {
            String tuple = "(" + t.columns().stream().map(x -> "?").collect(Collectors.joining(", ")) + ")";
            List<String> rest = t.columns().stream().filter(col -> !t.primaryKey().contains(col)).toList();
            return "INSERT INTO " + quote(t.name()) + " (" + t.columns().stream().map(this::quote)
                    .collect(Collectors.joining(", ")) + ") VALUES " + String.join(", ", java.util.Collections.nCopies(
                    rows, tuple)) + " ON CONFLICT (" + t.primaryKey().stream().map(this::quote)
                    .collect(Collectors.joining(", ")) + ") DO " + (rest.isEmpty() ? "NOTHING" : "UPDATE SET "
                    + rest.stream().map(col -> quote(col) + " = EXCLUDED." + quote(col))
                    .collect(Collectors.joining(", ")));
        }
    }

    // ------------------------------------------------------------------------------------------------ MySQL family

    static final class MySqlFamily extends ReshardSql {
        /** Parameters of one multi-row upsert, well below the drivers' limits (65535 in MySQL's protocol). */
        private static final int MAX_PARAMETERS = 30_000;

        @Override
        void prepare(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS " + MARKER_TABLE + " (slot INT PRIMARY KEY,"
                        + " job_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, seq BIGINT NOT NULL)");
                st.execute("CREATE TABLE IF NOT EXISTS " + PROGRESS_TABLE + " (job_id VARCHAR(64) PRIMARY KEY,"
                        + " source_offset BIGINT NOT NULL, fence_seen TINYINT NOT NULL DEFAULT 0,"
                        + " fence_seq BIGINT NOT NULL DEFAULT 0, updated_at_ms BIGINT NOT NULL)");
                addFenceSeq(st, "DATABASE()");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.tables WHERE"
                        + " table_schema = DATABASE() AND table_name = '" + FENCE_TABLE + "'")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        throw new SQLException("no table " + FENCE_TABLE + ": the shard's fleet schema predates"
                                + " resharding or was never installed; install it with `fleetshard schema install"
                                + " --jdbc-url <its primary>` first", "42S02");
                    }
                }
            }
        }

        @Override
        long beginTagged(Connection c, int slot, String jobId, String kind) throws SQLException {
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
            try (PreparedStatement ps = c.prepareStatement("SELECT seq FROM " + MARKER_TABLE + " WHERE slot = ?")) {
                ps.setInt(1, slot); // the row this transaction wrote and locks
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }

        @Override
        String quote(String identifier) {
            return "`" + identifier.replace("`", "``") + "`";
        }

        @Override
        String tablesSql() {
            return "SELECT c.table_name, c.column_name, k.ordinal_position FROM information_schema.columns c"
                    + " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
                    + " AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
                    + " LEFT JOIN information_schema.key_column_usage k ON k.table_schema = c.table_schema"
                    + " AND k.table_name = c.table_name AND k.column_name = c.column_name"
                    + " AND k.constraint_name = 'PRIMARY'"
                    + " WHERE c.table_schema = DATABASE() ORDER BY c.table_name, c.ordinal_position";
        }

        /** Upserts {@code rows} (values in table column order) by primary key, in the caller's transaction. */
        private void upsert(Connection c, ReshardTable t, List<Object[]> rows) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement(upsertSql(t, rows.size()))) {
                int p = 1;
                for (Object[] row : rows) {
                    for (Object v : row) {
                        ps.setObject(p++, v);
                    }
                }
                ps.executeUpdate();
            }
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
        String literalOf(String quotedColumn) {
            return "QUOTE(" + quotedColumn + ")";
        }

        @Override
        String literal(String value) {
            return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
        }

        /** Reads the rows and upserts them in multi-row statements. */
        @Override
        long writeRange(Connection src, Connection tgt, ReshardTable t, String where, int batchRows)
                throws SQLException {
            int n = t.columns().size();
            int batch = Math.max(1, Math.min(batchRows, MAX_PARAMETERS / n));
            List<Object[]> rows = new ArrayList<>(batch);
            long copied = 0;
            try (Statement st = src.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
                st.setFetchSize(batch);
                try (ResultSet rs = st.executeQuery("SELECT " + t.columns().stream().map(this::quote)
                        .collect(Collectors.joining(", ")) + " FROM " + quote(t.name()) + " WHERE " + where)) {
                    while (rs.next()) {
                        Object[] row = new Object[n];
                        for (int i = 0; i < n; i++) {
                            row[i] = rs.getObject(i + 1);
                        }
                        rows.add(row);
                        if (rows.size() == batch) {
                            upsert(tgt, t, rows);
                            copied += rows.size();
                            rows.clear();
                        }
                    }
                }
            }
            upsert(tgt, t, rows);
            return copied + rows.size();
        }

        @Override
        Checksum engineChecksum(Connection c, ReshardTable t, String tenant, String fleet, KeyRange range)
                throws SQLException {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*),"
                    + " CAST(COALESCE(SUM(" + rowHash(t) + "), 0) AS CHAR) FROM " + quote(t.name()) + " WHERE "
                    + rangePredicate(t, tenant, fleet, range))) {
                rs.next();
                return new Checksum(rs.getLong(1), rs.getString(2));
            }
        }

        @Override
        String engineRowHashQuery(Statement st, ReshardTable t, String where) {
            return "SELECT " + t.primaryKey().stream().map(this::quote).collect(Collectors.joining(", ")) + ", "
                    + rowHash(t) + " FROM " + quote(t.name()) + " WHERE " + where;
        }

        private String rowHash(ReshardTable t) {
            String cols = t.columns().stream().map(col -> "IFNULL(" + quote(col) + ", '\\\\N')")
                    .collect(Collectors.joining(", "));
            return "CAST(CONV(SUBSTR(MD5(CONCAT_WS('|', " + cols + ")), 1, 15), 16, 10) AS UNSIGNED)";
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

        // ---------------------------------------------------------------------------- engine-neutral form (ADR 0047)

        @Override
        void neutralSession(Statement st) throws SQLException {
            st.execute("SET time_zone = '+00:00'"); // TIMESTAMP columns read (and compare) in UTC
        }

        @Override
        String nullText() {
            return "'\\\\N'";
        }

        @Override
        String concatWithBars(List<String> parts) {
            return "CONCAT_WS('|', " + String.join(", ", parts) + ")";
        }

        @Override
        String hash60(String text) {
            return "CAST(CONV(SUBSTR(MD5(" + text + "), 1, 15), 16, 10) AS UNSIGNED)";
        }

        @Override
        String sumAsText(String hash) {
            return "CAST(COALESCE(SUM(" + hash + "), 0) AS CHAR)";
        }

        @Override
        String canonical(String x, ColumnType type) {
            String text = "CAST(" + x + " AS CHAR)";
            return switch (type.family()) {
                case TEXT -> "CONCAT(CHAR_LENGTH(" + x + "), ':', " + x + ")";
                case INTEGER, BOOLEAN -> text;
                case DECIMAL -> "IF(LOCATE('.', " + text + ") > 0, TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM "
                        + text + ")), " + text + ")";
                case FLOAT -> floatCanonical("LOWER(" + text + ")");
                case TIMESTAMP -> "CAST(TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', " + x + ") AS CHAR)";
                case DATE -> "DATE_FORMAT(" + x + ", '%Y-%m-%d')";
                case BINARY -> "LOWER(HEX(" + x + "))";
                case OTHER -> throw new IllegalArgumentException("no canonical text of a " + type.sqlType());
            };
        }

        /** {@code s}: the float's shortest text as MariaDB prints it ({@code -1.5e-5}, {@code 0.001}, {@code 1e20}). */
        private static String floatCanonical(String s) {
            String m = "SUBSTRING_INDEX(" + s + ", 'e', 1)";
            String ex = "IF(LOCATE('e', " + s + ") > 0, CAST(SUBSTRING_INDEX(" + s + ", 'e', -1) AS SIGNED), 0)";
            String u = "TRIM(LEADING '-' FROM " + m + ")";
            String i = "SUBSTRING_INDEX(" + u + ", '.', 1)";
            String digits = "CONCAT(" + i + ", IF(LOCATE('.', " + u + ") > 0, SUBSTRING_INDEX(" + u + ", '.', -1), ''))";
            String leadingZeros = "(CHAR_LENGTH(" + digits + ") - CHAR_LENGTH(TRIM(LEADING '0' FROM " + digits + ")))";
            String d = "TRIM(TRAILING '0' FROM TRIM(LEADING '0' FROM " + digits + "))";
            return "IF(" + d + " = '', '0', CONCAT(IF(LEFT(" + s + ", 1) = '-', '-', ''), " + d + ", 'e', " + ex
                    + " + CHAR_LENGTH(" + i + ") - " + leadingZeros + "))";
        }

        @Override
        String booleanLiteral(ColumnType type, String zeroOrOne) {
            return zeroOrOne;
        }

        @Override
        String timestampLiteral(ColumnType type, String utc) {
            return "'" + utc + "'";
        }

        @Override
        String binaryLiteral(String hex) {
            return "X'" + hex + "'";
        }

        @Override
        String columnTypesSql() {
            return "SELECT table_name, column_name, data_type, column_type, character_maximum_length,"
                    + " numeric_precision, numeric_scale, datetime_precision FROM information_schema.columns"
                    + " WHERE table_schema = DATABASE()";
        }

        @Override
        String upsertSql(ReshardTable t, int rows) {
            String tuple = "(" + t.columns().stream().map(x -> "?").collect(Collectors.joining(", ")) + ")";
            return "INSERT INTO " + quote(t.name()) + " (" + t.columns().stream().map(this::quote)
                    .collect(Collectors.joining(", ")) + ") VALUES " + String.join(", ", java.util.Collections.nCopies(
                    rows, tuple)) + " ON DUPLICATE KEY UPDATE " + t.columns().stream()
                    .map(col -> quote(col) + " = VALUES(" + quote(col) + ")").collect(Collectors.joining(", "));
        }
    }
}
