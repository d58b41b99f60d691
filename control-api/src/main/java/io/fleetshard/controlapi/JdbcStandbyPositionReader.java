package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Reads {@code fleetshard_standby_position} over JDBC, in the database of the standby node's URL (where the applier
 * keeps it), as the probe user, with the probe's timeouts, on a connection kept between rounds
 * ({@link ProbeConnections}). The probe user needs {@code SELECT} on the table.
 */
final class JdbcStandbyPositionReader implements StandbyPositionReader {
    /** Every column: {@code watermark_ts_ms} (ADR 0048) is read when the applier has added it. */
    private static final String SQL = "SELECT * FROM fleetshard_standby_position WHERE shard_id = ?";

    private final Duration timeout;
    private final String user;
    private final String password;
    private final ProbeConnections connections;

    JdbcStandbyPositionReader(Duration timeout, String user, String password, ProbeConnections connections) {
        this.timeout = timeout;
        this.user = user;
        this.password = password;
        this.connections = connections;
    }

    @Override
    public StandbyReading read(Node standby, Engine engine) {
        Engine driver = engine == Engine.MYSQL ? Engine.MARIADB : engine;
        try {
            return connections.run(standby.jdbcUrl(), JdbcNodeProbe.connectionProperties(driver, timeout, user,
                    password), c -> read(c, standby));
        } catch (SQLException e) {
            return StandbyReading.failed(missingTable(e) ? StandbyReading.NOT_A_STANDBY
                    : e.getMessage() + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"));
        } catch (RuntimeException e) {
            return StandbyReading.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private StandbyReading read(Connection c, Node standby) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setQueryTimeout(JdbcNodeProbe.timeoutSeconds(timeout));
            ps.setString(1, standby.shardId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return StandbyReading.nothingApplied(standby.shardId());
                }
                return StandbyReading.of(new StandbyPosition(standby.shardId(), rs.getLong("manifest_seq"),
                        rs.getString("manifest_sha256").trim(), rs.getLong("next_offset"), rs.getString("last_position"),
                        rs.getLong("last_commit_ts_ms"), rs.getLong("applied_at_ms"), watermarkTsMs(rs)));
            }
        }
    }

    private static long watermarkTsMs(ResultSet rs) throws SQLException {
        java.sql.ResultSetMetaData meta = rs.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            if ("watermark_ts_ms".equalsIgnoreCase(meta.getColumnLabel(i))) {
                return rs.getLong(i);
            }
        }
        return 0; // an applier from before ADR 0048
    }

    /** PostgreSQL {@code undefined_table}; MySQL/MariaDB {@code ER_NO_SUCH_TABLE}. */
    private static boolean missingTable(SQLException e) {
        return "42P01".equals(e.getSQLState()) || e.getErrorCode() == 1146;
    }
}
