package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies change events to one connection in JDBC batches, in order: consecutive events of one table, one kind
 * (upsert or delete) and one column set form a run, flushed as one batch when the next event does not belong to it.
 * Within a run the last image of a key wins (earlier upserts of it are superseded; PostgreSQL's multi-row
 * {@code ON CONFLICT} cannot touch one row twice). The caller owns the transaction.
 */
final class ChangeWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWriter.class);

    private final Connection connection;
    private final TableCatalog catalog;
    private final Dialect dialect;
    private final int maxBatch;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final Set<String> warnedColumns = new HashSet<>();
    private final Runnable unknownColumn;

    private String runTable;
    private boolean runDelete;
    private List<TableShape.Column> runColumns;
    private TableShape runShape;
    private final LinkedHashMap<List<String>, JsonNode> run = new LinkedHashMap<>();
    private long rows;

    ChangeWriter(Connection connection, TableCatalog catalog, int maxBatch, Runnable unknownColumn) {
        this.connection = connection;
        this.catalog = catalog;
        this.dialect = catalog.dialect();
        this.maxBatch = maxBatch;
        this.unknownColumn = unknownColumn;
    }

    /** Rows written (statements executed) so far. */
    long rows() {
        return rows;
    }

    /** Capture's marker of a resharder transaction ({@code docs/spec/change-events.md}); never applied. */
    static final String RESHARD_MARKER_TABLE = "fleetshard_reshard_tx";

    void apply(ChangeEvent e) throws SQLException {
        if (RESHARD_MARKER_TABLE.equals(e.table())) {
            return; // the resharder's transaction marker (ADR 0013): the standby needs its rows, not the marker
        }
        TableShape shape = catalog.shape(connection, e.table());
        JsonNode image = e.isDelete() ? e.key() : e.after();
        List<TableShape.Column> columns = e.isDelete() ? keyColumns(shape) : imageColumns(shape, image);
        if (!run.isEmpty() && (!e.table().equals(runTable) || runDelete != e.isDelete() || !columns.equals(runColumns))) {
            flush();
        }
        runTable = e.table();
        runDelete = e.isDelete();
        runColumns = columns;
        runShape = shape;
        List<String> key = new ArrayList<>(shape.primaryKey().size());
        for (String k : shape.primaryKey()) {
            JsonNode v = image.get(k);
            if (v == null || v.isNull()) {
                throw new StandbyException("a '" + e.op() + "' event of table '" + e.table() + "' at shard-log offset "
                        + e.offset() + " has no value for primary-key column '" + k + "' of the standby's table: the "
                        + "standby's primary key must be the primary's");
            }
            key.add(ColumnValues.text(v));
        }
        run.remove(key);
        run.put(key, image);
        if (run.size() >= maxBatch) {
            flush();
        }
    }

    void flush() throws SQLException {
        if (run.isEmpty()) {
            return;
        }
        if (dialect == Dialect.MARIADB && !runDelete && run.size() > 1) {
            flushMultiRow();
            return;
        }
        if (dialect == Dialect.POSTGRES && !runDelete && run.size() > 1) {
            flushUnnest();
            return;
        }
        PreparedStatement ps = statement();
        for (Iterator<JsonNode> it = run.values().iterator(); it.hasNext(); ) {
            JsonNode image = it.next();
            int i = 1;
            for (TableShape.Column c : runColumns) {
                ColumnValues.bind(dialect, ps, i++, c, image.get(c.name()));
            }
            ps.addBatch();
        }
        ps.executeBatch();
        rows += run.size();
        run.clear();
    }

    /**
     * MariaDB upserts as multi-row {@code INSERT ... VALUES (...), (...) ON DUPLICATE KEY UPDATE}, one statement per
     * chunk: 64-68k rows/s against 28-32k with Connector/J 3.x's batch (bulk) protocol (StandbyApplyBench). Full
     * chunks reuse a cached statement; the remainder gets a statement of its own.
     */
    private void flushMultiRow() throws SQLException {
        int perRow = runColumns.size();
        int chunk = Math.max(1, Math.min(maxBatch, 60_000 / perRow));
        List<JsonNode> images = new ArrayList<>(run.values());
        for (int from = 0; from < images.size(); from += chunk) {
            int n = Math.min(chunk, images.size() - from);
            boolean cached = n == chunk;
            PreparedStatement ps = cached ? multiRowStatement(n) : connection.prepareStatement(multiRowSql(n));
            try {
                int i = 1;
                for (int r = from; r < from + n; r++) {
                    JsonNode image = images.get(r);
                    for (TableShape.Column c : runColumns) {
                        ColumnValues.bind(dialect, ps, i++, c, image.get(c.name()));
                    }
                }
                ps.executeUpdate();
            } finally {
                if (!cached) {
                    ps.close();
                }
            }
        }
        rows += run.size();
        run.clear();
    }

    /**
     * PostgreSQL upserts of a run as ONE statement: each column's values of every row as one text array, unnested
     * and cast to the column's type as a single row's parameters are ({@link ColumnValues#placeholder}), then
     * {@code ON CONFLICT} as for one row (ADR 0063). The run holds each key once, as one statement requires. One
     * bind, one plan and one round trip for the run instead of pgjdbc's rewritten multi-row statements.
     */
    private void flushUnnest() throws SQLException {
        int columns = runColumns.size();
        String[][] values = new String[columns][run.size()];
        int row = 0;
        for (JsonNode image : run.values()) {
            for (int c = 0; c < columns; c++) {
                JsonNode v = image.get(runColumns.get(c).name());
                values[c][row] = ColumnValues.isAbsent(v) ? null : ColumnValues.text(v);
            }
            row++;
        }
        String cacheKey = "a:" + runTable + ":" + columnNames();
        PreparedStatement ps = statements.get(cacheKey);
        if (ps == null) {
            ps = connection.prepareStatement(unnestSql());
            statements.put(cacheKey, ps);
        }
        for (int c = 0; c < columns; c++) {
            ps.setArray(c + 1, connection.createArrayOf("text", values[c]));
        }
        ps.executeUpdate();
        rows += run.size();
        run.clear();
    }

    private String unnestSql() {
        StringBuilder select = new StringBuilder();
        StringBuilder arrays = new StringBuilder();
        StringBuilder aliases = new StringBuilder();
        for (int i = 0; i < runColumns.size(); i++) {
            String sep = i == 0 ? "" : ", ";
            select.append(sep).append(ColumnValues.castFromText(runColumns.get(i), "u.c" + i));
            arrays.append(sep).append("?::text[]");
            aliases.append(sep).append('c').append(i);
        }
        return upsertOf(insertInto().append(") SELECT ").append(select).append(" FROM unnest(").append(arrays)
                .append(") AS u(").append(aliases).append(')'));
    }

    /** {@code INSERT INTO <run's table> (<run's columns>}, to be followed by {@code ) VALUES ...} or a query. */
    private StringBuilder insertInto() {
        StringBuilder sb = new StringBuilder("INSERT INTO ").append(dialect.quote(runTable)).append(" (");
        dialect.appendList(sb, runColumns.stream().map(TableShape.Column::name).toList());
        return sb;
    }

    /** {@code insert} with the dialect's upsert clause: the run's non-key columns take the new image's values. */
    private String upsertOf(StringBuilder insert) {
        List<String> updated = runColumns.stream().map(TableShape.Column::name)
                .filter(n -> !runShape.primaryKey().contains(n)).toList();
        return insert.append(dialect.upsertSuffix(runShape.primaryKey(), updated)).toString();
    }

    /** The run's column names, for the keys of cached statements. */
    private String columnNames() {
        StringBuilder names = new StringBuilder();
        for (TableShape.Column c : runColumns) {
            names.append(c.name()).append(',');
        }
        return names.toString();
    }

    private PreparedStatement multiRowStatement(int n) throws SQLException {
        String cacheKey = "m" + n + ":" + runTable + ":" + columnNames();
        PreparedStatement ps = statements.get(cacheKey);
        if (ps == null) {
            ps = connection.prepareStatement(multiRowSql(n));
            statements.put(cacheKey, ps);
        }
        return ps;
    }

    private String multiRowSql(int n) {
        StringBuilder sb = insertInto().append(") VALUES ");
        String row = valuesRow();
        for (int r = 0; r < n; r++) {
            sb.append(r == 0 ? "" : ", ").append(row);
        }
        return upsertOf(sb);
    }

    /** Closes the cached statements (the connection stays open). */
    void close() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // closing with its connection anyway
            }
        }
        statements.clear();
    }

    private PreparedStatement statement() throws SQLException {
        String cacheKey = (runDelete ? "d:" : "u:") + runTable + ":" + columnNames();
        PreparedStatement ps = statements.get(cacheKey);
        if (ps == null) {
            ps = connection.prepareStatement(runDelete ? deleteSql() : upsertSql());
            statements.put(cacheKey, ps);
        }
        return ps;
    }

    private String upsertSql() {
        return upsertOf(insertInto().append(") VALUES ").append(valuesRow()));
    }

    /** One row's parameters: {@code (?, ?::type, ...)}. */
    private String valuesRow() {
        StringBuilder row = new StringBuilder("(");
        for (int i = 0; i < runColumns.size(); i++) {
            row.append(i == 0 ? "" : ", ").append(ColumnValues.placeholder(dialect, runColumns.get(i)));
        }
        return row.append(')').toString();
    }

    private String deleteSql() {
        StringBuilder sb = new StringBuilder("DELETE FROM ").append(dialect.quote(runTable)).append(" WHERE ");
        for (int i = 0; i < runColumns.size(); i++) {
            TableShape.Column c = runColumns.get(i);
            sb.append(i == 0 ? "" : " AND ").append(dialect.quote(c.name())).append(" = ")
                    .append(ColumnValues.placeholder(dialect, c));
        }
        return sb.toString();
    }

    private static List<TableShape.Column> keyColumns(TableShape shape) {
        List<TableShape.Column> out = new ArrayList<>();
        for (String k : shape.primaryKey()) {
            out.add(shape.column(k));
        }
        return out;
    }

    /** The image's columns that the standby's table has, in table order; unknown ones are reported once. */
    private List<TableShape.Column> imageColumns(TableShape shape, JsonNode image) {
        List<TableShape.Column> out = new ArrayList<>(shape.columns().size());
        for (TableShape.Column c : shape.columns()) {
            if (image.has(c.name())) {
                out.add(c);
            }
        }
        if (out.size() < image.size()) {
            for (Iterator<String> it = image.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (shape.column(f) == null && warnedColumns.add(shape.table() + "." + f)) {
                    unknownColumn.run();
                    LOG.warn("Column '{}' of table '{}' is in change events but not in the standby's table; its values "
                            + "are not applied: add the column to the standby (ALTER TABLE) to keep them", f, shape.table());
                }
            }
        }
        return out;
    }
}
