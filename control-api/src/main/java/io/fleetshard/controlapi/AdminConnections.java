package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Opens the control API's administrative connections to shard nodes (resharding, failover), as the resharder user of
 * the engine ({@code control.reshard.<engine>.user}) when one is set, else as the JDBC URL says, with timeouts in each
 * driver's unit.
 */
final class AdminConnections {
    private AdminConnections() {
    }

    /**
     * @param purpose names the connection on the server (PostgreSQL {@code application_name})
     * @param connectTimeout how long connecting may take
     * @param socketTimeout how long one statement may wait for the server
     */
    static Connection open(ControlApiConfig config, Engine engine, String jdbcUrl, String purpose,
            Duration connectTimeout, Duration socketTimeout) throws SQLException {
        Properties props = new Properties();
        if (!config.reshardUser(engine).isEmpty()) {
            props.setProperty("user", config.reshardUser(engine));
            props.setProperty("password", config.reshardPassword(engine));
        }
        if (engine == Engine.POSTGRES) {
            props.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
            props.setProperty("socketTimeout", Long.toString(Math.max(1, socketTimeout.toSeconds())));
            props.setProperty("ApplicationName", purpose);
        } else {
            props.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
            props.setProperty("socketTimeout", Long.toString(socketTimeout.toMillis()));
            props.setProperty("permitMysqlScheme", "true");
        }
        return DriverManager.getConnection(jdbcUrl, props);
    }
}
