package io.fleetshard.standby;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/** Reads and writes {@code fleetshard_standby_position} (docs/spec/archive.md) inside the caller's transaction. */
final class PositionTable {
    private static final String COLUMNS = "shard_id, manifest_seq, manifest_sha256, next_offset, last_position, "
            + "last_commit_ts_ms, applied_at_ms, watermark_ts_ms";
    /** Added by ADR 0048: a table created before it gets the column on the applier's start. */
    static final String WATERMARK_COLUMN = "watermark_ts_ms";

    /**
     * A row here says the standby of that shard was promoted to primary (disaster recovery, by the control API's
     * {@code promote-standby}): no applier writes this standby any more. Written in a transaction that holds the
     * position row's lock, so it lands between two manifests, never inside one.
     */
    static final String PROMOTED_TABLE = "fleetshard_standby_promoted";
    static final String PROMOTED_DDL = "CREATE TABLE IF NOT EXISTS " + PROMOTED_TABLE + " (shard_id VARCHAR(128)"
            + " PRIMARY KEY, promoted_by VARCHAR(200) NOT NULL, promoted_at_ms BIGINT NOT NULL)";

    private final Dialect dialect;

    PositionTable(Dialect dialect) {
        this.dialect = dialect;
    }

    /** Creates the table if missing and lets {@code readers} read it, in a transaction of its own. */
    void ensure(Connection c, java.util.List<String> readers) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(dialect.positionTableDdl());
            if (!hasWatermarkColumn(c)) {
                s.execute("ALTER TABLE " + Dialect.POSITION_TABLE + " ADD COLUMN " + WATERMARK_COLUMN
                        + " BIGINT NOT NULL DEFAULT 0");
            }
            s.execute(PROMOTED_DDL);
            for (String role : readers) {
                try {
                    s.execute(dialect.grantPositionRead(role, c.getCatalog()));
                } catch (SQLException e) {
                    throw new StandbyException("cannot grant SELECT on " + Dialect.POSITION_TABLE + " to '" + role
                            + "' (position.readers): " + e.getMessage() + "; create that role first or drop it from "
                            + "position.readers", e);
                }
            }
        }
        c.commit();
    }

    private static boolean hasWatermarkColumn(Connection c) throws SQLException {
        java.sql.DatabaseMetaData meta = c.getMetaData();
        for (String column : new String[] {WATERMARK_COLUMN, WATERMARK_COLUMN.toUpperCase(java.util.Locale.ROOT)}) {
            try (ResultSet rs = meta.getColumns(c.getCatalog(), null, Dialect.POSITION_TABLE, column)) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Who promoted this standby (the orchestration), or empty while it is a standby. */
    Optional<String> promotedBy(Connection c, String shardId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT promoted_by FROM " + PROMOTED_TABLE
                + " WHERE shard_id = ?")) {
            ps.setString(1, shardId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    Optional<StandbyPosition> read(Connection c, String shardId) throws SQLException {
        return select(c, shardId, "");
    }

    /** Reads the row with a row lock held to the end of the transaction (two appliers of one shard serialise here). */
    Optional<StandbyPosition> lock(Connection c, String shardId) throws SQLException {
        return select(c, shardId, dialect.forUpdate());
    }

    /** Inserts or updates the shard's row; {@code exists} says which (the caller holds the lock from {@link #lock}). */
    void write(Connection c, StandbyPosition p, boolean exists) throws SQLException {
        String sql = exists
                ? "UPDATE " + Dialect.POSITION_TABLE + " SET manifest_seq = ?, manifest_sha256 = ?, next_offset = ?, "
                        + "last_position = ?, last_commit_ts_ms = ?, applied_at_ms = ?, watermark_ts_ms = ? WHERE shard_id = ?"
                : "INSERT INTO " + Dialect.POSITION_TABLE + " (manifest_seq, manifest_sha256, next_offset, last_position, "
                        + "last_commit_ts_ms, applied_at_ms, watermark_ts_ms, shard_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, p.manifestSeq());
            ps.setString(2, p.manifestSha256());
            ps.setLong(3, p.nextOffset());
            ps.setString(4, p.lastPosition().length() > 200 ? p.lastPosition().substring(0, 200) : p.lastPosition());
            ps.setLong(5, p.lastCommitTsMs());
            ps.setLong(6, p.appliedAtMs());
            ps.setLong(7, p.watermarkTsMs());
            ps.setString(8, p.shardId());
            if (ps.executeUpdate() != 1) {
                throw new StandbyException("the position row of shard " + p.shardId() + " was not written (update count "
                        + "not 1): another applier or an operator changed " + Dialect.POSITION_TABLE);
            }
        }
    }

    private Optional<StandbyPosition> select(Connection c, String shardId, String suffix) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + Dialect.POSITION_TABLE
                + " WHERE shard_id = ?" + suffix)) {
            ps.setString(1, shardId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StandbyPosition(rs.getString(1), rs.getLong(2), rs.getString(3).trim(), rs.getLong(4),
                        rs.getString(5), rs.getLong(6), rs.getLong(7), rs.getLong(8)));
            }
        }
    }
}
