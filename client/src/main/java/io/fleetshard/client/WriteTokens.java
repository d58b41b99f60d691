package io.fleetshard.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A session's last write token per tenant and fleet. Tokens are opaque: the last one received replaces the one
 * before, so concurrent writes of one session to one fleet leave the token of whichever answer came last (a read
 * then sees that write, and whatever the shard committed before it).
 */
final class WriteTokens {
    private final Map<String, String> byFleet = new ConcurrentHashMap<>();

    private static String key(String tenantId, String fleetId) {
        return tenantId + "/" + fleetId;
    }

    void remember(String tenantId, String fleetId, String token) {
        byFleet.put(key(tenantId, fleetId), token);
    }

    /** The last token of the fleet, or null. */
    String last(String tenantId, String fleetId) {
        return byFleet.get(key(tenantId, fleetId));
    }

    /** Drops {@code token} if it is still the fleet's last one (a newer write keeps its own). */
    void forget(String tenantId, String fleetId, String token) {
        byFleet.remove(key(tenantId, fleetId), token);
    }

    /** Whether this session wrote any fleet of the tenant. */
    boolean wroteTenant(String tenantId) {
        String prefix = tenantId + "/";
        return byFleet.keySet().stream().anyMatch(k -> k.startsWith(prefix));
    }
}
