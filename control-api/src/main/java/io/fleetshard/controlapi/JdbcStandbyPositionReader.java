package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Reads {@code fleetshard_standby_position} over JDBC, in the database of the standby node's URL (where the applier
 * keeps it), as the probe user, with the probe's timeouts. The probe user needs {@code SELECT} on the table.
 */
final class JdbcStandbyPositionReader implements StandbyPositionReader {
    private static final String SQL = "SELECT manifest_seq, manifest_sha256, next_offset, last_position,"
            + " last_commit_ts_ms, applied_at_ms FROM fleetshard_standby_position WHERE shard_id = ?";

    private final Duration timeout;
    private final String user;
    private final String password;

    JdbcStandbyPositionReader(Duration timeout, String user, String password) {
        this.timeout = timeout;
        this.user = user;
        this.password = password;
    }

    @Override
    public StandbyReading read(Node standby, Engine engine) {
        Engine driver = engine == Engine.MYSQL ? Engine.MARIADB : engine;
        try (Connection c = DriverManager.getConnection(standby.jdbcUrl(),
                JdbcNodeProbe.connectionProperties(driver, timeout, user, password));
                PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setQueryTimeout(JdbcNodeProbe.timeoutSeconds(timeout));
            ps.setString(1, standby.shardId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return StandbyReading.nothingApplied(standby.shardId());
                }
                return StandbyReading.of(new StandbyPosition(standby.shardId(), rs.getLong(1), rs.getString(2).trim(),
                        rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getLong(6)));
            }
        } catch (SQLException e) {
            return StandbyReading.failed(missingTable(e) ? StandbyReading.NOT_A_STANDBY
                    : e.getMessage() + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"));
        } catch (RuntimeException e) {
            return StandbyReading.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** PostgreSQL {@code undefined_table}; MySQL/MariaDB {@code ER_NO_SUCH_TABLE}. */
    private static boolean missingTable(SQLException e) {
        return "42P01".equals(e.getSQLState()) || e.getErrorCode() == 1146;
    }
}
