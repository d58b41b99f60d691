package io.fleetshard.router;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tenant's statements each pooled connection of one node has run since its session was last reset (ADR 0020,
 * {@code docs/adr/0020-mariadb-isolation-and-audit-chain.md}). A statement of another tenant, or on a connection
 * whose record is unknown, resets the session first ({@link ShardDialect#resetSession}), so that nothing one tenant's
 * statements left in the session (a named lock, {@code LAST_INSERT_ID}, warnings, any state the scanner did not think
 * of) reaches the next tenant.
 *
 * <p>The record is written before the statement runs and kept whatever the statement does: it claims only who may
 * have dirtied the session, never that it is clean. It is dropped when a reset fails. Keys are the physical driver
 * connections (identity), so a connection that the pool replaces starts unknown.
 */
final class SessionTenants {
    private final int sweepAbove;
    private final ConcurrentHashMap<Connection, String> tenants = new ConcurrentHashMap<>();

    /** @param poolMaxSize the pool's size: more entries than twice that means closed connections to sweep */
    SessionTenants(int poolMaxSize) {
        this.sweepAbove = 2 * poolMaxSize + 2;
    }

    /** True when only statements of {@code tenantId} ran on {@code physical} since its last reset. */
    boolean onlyRan(Connection physical, String tenantId) {
        return tenantId.equals(tenants.get(physical));
    }

    /** Records that {@code physical} was reset and now runs statements of {@code tenantId}. */
    void resetFor(Connection physical, String tenantId) {
        tenants.put(physical, tenantId);
        if (tenants.size() > sweepAbove) {
            tenants.keySet().removeIf(c -> {
                try {
                    return c.isClosed();
                } catch (SQLException e) {
                    return true;
                }
            });
        }
    }

    /** Forgets {@code physical}: its next statement resets it. */
    void forget(Connection physical) {
        tenants.remove(physical);
    }

    int size() {
        return tenants.size();
    }
}
