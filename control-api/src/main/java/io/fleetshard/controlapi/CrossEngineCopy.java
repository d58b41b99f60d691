package io.fleetshard.controlapi;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The bulk copy of a cross-engine move (ADR 0047): a key range's rows streamed from the source over JDBC (forward
 * only, a fetch size) into the target's multi-row upsert, each value converted from the source column's type to the
 * target's: timestamps as UTC instants (PostgreSQL {@code timestamptz} and MariaDB {@code DATETIME} holding UTC),
 * booleans as MariaDB's {@code tinyint(1)} 0 and 1, decimals and floats exactly. It runs in the caller's tagged
 * transaction on the target, like the same-engine copies: the range's rows on the target are deleted first, so a copy
 * that runs again converges. A value that does not fit the target (a text longer than a bounded column, a
 * {@code tinyint(1)} other than 0 or 1 for a boolean, a timestamp outside MariaDB's years 1000-9999) is a
 * {@link ValueDoesNotFit} naming the table, the row's key and the column.
 */
final class CrossEngineCopy {
    /** Parameters of one multi-row upsert, well below both drivers' limits (65535). */
    private static final int MAX_PARAMETERS = 30_000;

    private CrossEngineCopy() {
    }

    /** A source value that the target column cannot hold: the job fails with this message. */
    static final class ValueDoesNotFit extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ValueDoesNotFit(String message) {
            super(message);
        }
    }

    /** A NULL of a JDBC type the target's driver binds. */
    private record TypedNull(int sqlType) {
    }

    /**
     * Copies the fleet's rows of {@code range} from {@code from} on {@code src} to {@code to} on {@code tgt} (the same
     * table on the other engine, columns in the same order); returns the rows copied.
     */
    static long copyRange(ReshardSql srcSql, Connection src, ReshardTable from, ReshardSql tgtSql, Connection tgt,
            ReshardTable to, String tenant, String fleet, ReshardSql.KeyRange range, int batchRows)
            throws SQLException {
        if (!from.columns().equals(to.columns())) {
            throw new IllegalArgumentException("table " + from.name() + ": columns " + from.columns() + " on the source,"
                    + " " + to.columns() + " on the target");
        }
        try (Statement st = tgt.createStatement()) {
            tgtSql.neutralSession(st);
            st.executeUpdate("DELETE FROM " + tgtSql.quote(to.name()) + " WHERE "
                    + tgtSql.rangePredicate(to, tenant, fleet, range));
        }
        boolean pgSource = srcSql instanceof ReshardSql.Postgres;
        boolean pgTarget = tgtSql instanceof ReshardSql.Postgres;
        int n = from.columns().size();
        int batch = Math.max(1, Math.min(batchRows, MAX_PARAMETERS / n));
        List<Object[]> rows = new ArrayList<>(batch);
        long copied = 0;
        try (Statement st = src.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
            srcSql.neutralSession(st);
            st.setFetchSize(batch);
            try (ResultSet rs = st.executeQuery("SELECT " + from.columns().stream().map(srcSql::quote)
                    .collect(Collectors.joining(", ")) + " FROM " + srcSql.quote(from.name()) + " WHERE "
                    + srcSql.rangePredicate(from, tenant, fleet, range))) {
                while (rs.next()) {
                    Object[] row = new Object[n];
                    for (int i = 0; i < n; i++) {
                        row[i] = convert(rs, i + 1, from, from.types().get(i), pgSource, to.types().get(i), pgTarget);
                    }
                    rows.add(row);
                    if (rows.size() == batch) {
                        upsert(tgtSql, tgt, to, rows);
                        copied += rows.size();
                        rows.clear();
                    }
                }
            }
        }
        upsert(tgtSql, tgt, to, rows);
        return copied + rows.size();
    }

    private static void upsert(ReshardSql sql, Connection c, ReshardTable t, List<Object[]> rows)
            throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(sql.upsertSql(t, rows.size()))) {
            int p = 1;
            for (Object[] row : rows) {
                for (Object v : row) {
                    if (v instanceof TypedNull n) {
                        ps.setNull(p++, n.sqlType());
                    } else {
                        ps.setObject(p++, v);
                    }
                }
            }
            ps.executeUpdate();
        }
    }

    /** The value of column {@code i} of the current row, ready for the target's {@code setObject}. */
    static Object convert(ResultSet rs, int i, ReshardTable from, ColumnType source, boolean pgSource,
            ColumnType target, boolean pgTarget) throws SQLException {
        boolean uuid = pgTarget && target.sqlType().equals("uuid");
        switch (source.family()) {
            case TEXT -> {
                String s = rs.getString(i);
                if (s == null) {
                    return new TypedNull(uuid ? Types.OTHER : Types.VARCHAR);
                }
                if (source.mayExceed(target) && s.codePointCount(0, s.length()) > target.maxLength()) {
                    throw doesNotFit(rs, from, i, "its " + s.codePointCount(0, s.length()) + " characters do not fit "
                            + target.display());
                }
                if (uuid) {
                    try {
                        return java.util.UUID.fromString(s);
                    } catch (IllegalArgumentException e) {
                        throw doesNotFit(rs, from, i, "'" + s + "' is not a uuid");
                    }
                }
                return s;
            }
            case INTEGER -> {
                String s = rs.getString(i);
                if (s == null) {
                    return new TypedNull(target.family() == ColumnType.Family.DECIMAL ? Types.NUMERIC : Types.BIGINT);
                }
                return target.family() == ColumnType.Family.DECIMAL ? new BigDecimal(s) : (Object) Long.valueOf(s);
            }
            case BOOLEAN -> {
                int v;
                if (pgSource) {
                    boolean b = rs.getBoolean(i);
                    if (rs.wasNull()) {
                        return new TypedNull(pgTarget && target.family() == ColumnType.Family.BOOLEAN ? Types.BOOLEAN
                                : Types.INTEGER);
                    }
                    v = b ? 1 : 0;
                } else {
                    v = rs.getInt(i);
                    if (rs.wasNull()) {
                        return new TypedNull(pgTarget && target.family() == ColumnType.Family.BOOLEAN ? Types.BOOLEAN
                                : Types.INTEGER);
                    }
                }
                if (pgTarget && target.family() == ColumnType.Family.BOOLEAN) {
                    if (v != 0 && v != 1) {
                        throw doesNotFit(rs, from, i, v + " is not a boolean (0 or 1)");
                    }
                    return v == 1;
                }
                return v;
            }
            case DECIMAL -> {
                BigDecimal d = rs.getBigDecimal(i);
                if (d == null) {
                    return new TypedNull(Types.NUMERIC);
                }
                if (target.precision() >= 0) {
                    BigDecimal s = d.stripTrailingZeros();
                    int scale = Math.max(0, s.scale());
                    int integerDigits = Math.max(0, s.precision() - s.scale());
                    if (scale > target.scale() || integerDigits > target.precision() - target.scale()) {
                        throw doesNotFit(rs, from, i, d.toPlainString() + " does not fit " + target.display());
                    }
                }
                return d;
            }
            case FLOAT -> {
                if (source.intBytes() == 4) {
                    float f = rs.getFloat(i);
                    return rs.wasNull() ? new TypedNull(Types.REAL) : finite(rs, from, i, f, pgTarget);
                }
                double d = rs.getDouble(i);
                return rs.wasNull() ? new TypedNull(Types.DOUBLE) : finite(rs, from, i, d, pgTarget);
            }
            case TIMESTAMP -> {
                Instant t = instant(rs, i, source);
                boolean tz = target.sqlType().equals("timestamptz");
                if (t == null) {
                    return new TypedNull(tz ? Types.TIMESTAMP_WITH_TIMEZONE : Types.TIMESTAMP);
                }
                if (tz) {
                    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
                }
                LocalDateTime local = LocalDateTime.ofInstant(t, ZoneOffset.UTC);
                if (!pgTarget && (local.getYear() < 1000 || local.getYear() > 9999)) {
                    throw doesNotFit(rs, from, i, t + " is outside MariaDB's DATETIME years 1000-9999");
                }
                return local;
            }
            case DATE -> {
                LocalDate d = rs.getObject(i, LocalDate.class);
                return d == null ? new TypedNull(Types.DATE) : d;
            }
            case BINARY -> {
                byte[] b = rs.getBytes(i);
                if (b == null) {
                    return new TypedNull(pgTarget ? Types.BINARY : Types.VARBINARY);
                }
                if (source.mayExceed(target) && b.length > target.maxLength()) {
                    throw doesNotFit(rs, from, i, "its " + b.length + " bytes do not fit " + target.display());
                }
                return b;
            }
            default -> throw new IllegalArgumentException("a " + source.sqlType() + " column is not converted");
        }
    }

    private static Object finite(ResultSet rs, ReshardTable from, int i, double d, boolean pgTarget)
            throws SQLException {
        if (!pgTarget && !Double.isFinite(d)) {
            throw doesNotFit(rs, from, i, d + " cannot be stored by MariaDB");
        }
        return d;
    }

    private static Object finite(ResultSet rs, ReshardTable from, int i, float f, boolean pgTarget)
            throws SQLException {
        if (!pgTarget && !Float.isFinite(f)) {
            throw doesNotFit(rs, from, i, f + " cannot be stored by MariaDB");
        }
        return f;
    }

    private static Instant instant(ResultSet rs, int i, ColumnType source) throws SQLException {
        if (source.sqlType().equals("timestamptz")) {
            OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
            if (t != null && (t.equals(OffsetDateTime.MAX) || t.equals(OffsetDateTime.MIN))) {
                return Instant.MAX; // infinity: refused by the year check below or by the target
            }
            return t == null ? null : t.toInstant();
        }
        LocalDateTime t = rs.getObject(i, LocalDateTime.class); // PostgreSQL timestamp, MariaDB DATETIME in UTC
        return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }

    private static ValueDoesNotFit doesNotFit(ResultSet rs, ReshardTable from, int i, String why)
            throws SQLException {
        List<String> key = new ArrayList<>();
        for (String k : from.primaryKey()) {
            key.add(rs.getString(from.columns().indexOf(k) + 1));
        }
        return new ValueDoesNotFit("table " + from.name() + ", row " + from.primaryKey() + " = " + key + ", column "
                + from.columns().get(i - 1) + ": " + why + "; nothing of this job is served from the target, change"
                + " the row or widen the target's column and plan the move again");
    }
}
