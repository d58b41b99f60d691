package io.fleetshard.standby;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads table shapes from the standby's own catalog (ADR 0012: the standby's types decide the casts), cached. */
final class TableCatalog {
    private final Dialect dialect;
    private final Map<String, TableShape> cache = new HashMap<>();

    TableCatalog(Dialect dialect) {
        this.dialect = dialect;
    }

    Dialect dialect() {
        return dialect;
    }

    /** The shape of {@code table}; a missing table or one without a primary key is a {@link StandbyException}. */
    TableShape shape(Connection c, String table) throws SQLException {
        TableShape cached = cache.get(table);
        if (cached != null) {
            return cached;
        }
        TableShape shape = find(c, table).orElseThrow(() -> new StandbyException("table '" + table
                + "' does not exist in the database: create it with the primary's DDL (a standby applier retries meanwhile; a restore creates tables only from a base snapshot's column list)"));
        if (shape.primaryKey().isEmpty()) {
            throw new StandbyException("table '" + table + "' of the standby has no primary key: changes are applied "
                    + "by primary key, so add the primary's key to the standby's table");
        }
        cache.put(table, shape);
        return shape;
    }

    Optional<TableShape> find(Connection c, String table) throws SQLException {
        List<TableShape.Column> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(dialect.columnsQuery())) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new TableShape.Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4),
                            TableShape.kindOf(dialect, rs.getString(5))));
                }
            }
        }
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        List<String> pk = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(dialect.primaryKeyQuery())) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pk.add(rs.getString(1));
                }
            }
        }
        return Optional.of(new TableShape(table, columns, pk));
    }

    /** Every base table of the connection's schema / database, in name order. */
    List<String> tables(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(dialect.tablesQuery()); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    void forget(String table) {
        cache.remove(table);
    }

    void clear() {
        cache.clear();
    }
}
