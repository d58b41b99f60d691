package io.fleetshard.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Set-up statements and one-value queries of the database benches, each on a connection of its own; the load. */
final class BenchSql {
    private BenchSql() {
    }

    static void execute(String url, List<String> sqls) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String sql : sqls) {
                st.execute(sql);
            }
        }
    }

    /** The first column of the first row. */
    static String query(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The 1- and 5-minute load averages, {@code 1.23/4.56}, or {@code ?} off Linux. */
    static String loadAvg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
            return f[0] + "/" + f[1];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
