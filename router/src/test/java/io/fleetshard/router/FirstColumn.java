package io.fleetshard.router;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** What the isolation ITs compare: the first column of every row of a query, joined with commas. */
final class FirstColumn {
    private FirstColumn() {
    }

    static String of(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            StringBuilder out = new StringBuilder();
            while (rs.next()) {
                out.append(out.length() == 0 ? "" : ",").append(rs.getString(1));
            }
            return out.toString();
        }
    }
}
