package io.fleetshard.launcher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;

/** A fleet's rows as a node holds them, read over its admin URL, for the dev platform's tests. */
final class FleetRows {
    private FleetRows() {
    }

    /** The fleet's vehicles on the node: vehicle id -> status. */
    static Map<String, String> vehicleStatuses(String adminUrl, String tenant, String fleet) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(adminUrl);
                PreparedStatement ps = c.prepareStatement("select vehicle_id, status from vehicles where tenant_id = ?"
                        + " and fleet_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, fleet);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }
}
