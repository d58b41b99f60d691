package io.fleetshard.router;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each pooled connection of one node is bound to on the database side: the tenant, its fleet, the fleets it
 * hides and the statement timeout that the router's last successful binding left in the session (ADR 0016,
 * {@code docs/adr/0016-router-fast-path.md}). A statement of the same tenant and fleet then runs alone, without a bind;
 * any other statement binds the connection again in its own transaction.
 *
 * <p>The router's record must never claim more than the database holds, so a binding is recorded only after the
 * transaction that made it committed, and forgotten on every failure and after every statement that could have
 * changed the session's tenant settings. Keys are the physical driver connections (identity), so a connection that
 * the pool replaces starts unbound.
 */
final class ConnectionBindings {
    /**
     * The binding a connection holds: tenant, fleet (null for scatter reads), the fleets it hides (ADR 0051) and
     * statement timeout.
     */
    record Bound(String tenantId, String fleetId, String hiddenFleets, int timeoutMs) {
        boolean holds(TenantBinding t, int timeout) {
            return tenantId.equals(t.tenantId()) && Objects.equals(fleetId, t.fleetId())
                    && hiddenFleets.equals(t.hiddenFleets()) && timeoutMs == timeout;
        }
    }

    /** Most of the request timeout that a connection binding's statement timeout gives up (see {@link #timeoutMs}). */
    static final long MAX_TIMEOUT_MARGIN_MS = 25;

    private final int sweepAbove;
    private final ConcurrentHashMap<Connection, Bound> bound = new ConcurrentHashMap<>();

    /** @param poolMaxSize the pool's size: more entries than twice that means closed connections to sweep */
    ConnectionBindings(int poolMaxSize) {
        this.sweepAbove = 2 * poolMaxSize + 2;
    }

    /**
     * The statement timeout a connection is bound with: the request timeout less a margin (25 ms, or a tenth of short
     * timeouts). A statement may run alone under it only while at least that much of its request's time is left, so
     * the database still ends it by the request's deadline; the margin lets nearly every request, which got its
     * connection within it, do so.
     */
    static int timeoutMs(long requestTimeoutMs) {
        return (int) Math.max(1, requestTimeoutMs - Math.min(MAX_TIMEOUT_MARGIN_MS, requestTimeoutMs / 10));
    }

    /** True when {@code physical} is known to be bound to {@code tenant} with {@code timeoutMs}. */
    boolean holds(Connection physical, TenantBinding tenant, int timeoutMs) {
        Bound b = bound.get(physical);
        return b != null && b.holds(tenant, timeoutMs);
    }

    /** Records a binding whose transaction committed. */
    void record(Connection physical, TenantBinding tenant, int timeoutMs) {
        bound.put(physical, new Bound(tenant.tenantId(), tenant.fleetId(), tenant.hiddenFleets(), timeoutMs));
        if (bound.size() > sweepAbove) {
            sweepClosed();
        }
    }

    /** Forgets what {@code physical} is bound to: its next statement binds it again. */
    void forget(Connection physical) {
        bound.remove(physical);
    }

    int size() {
        return bound.size();
    }

    private void sweepClosed() {
        bound.keySet().removeIf(c -> {
            try {
                return c.isClosed();
            } catch (SQLException e) {
                return true;
            }
        });
    }
}
