package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Body of {@code POST /v1/tenants/{tenantId}/fleets}: {@code {"fleetId", "shardId"?}}. A {@code shardId} pins the
 * fleet to that shard; without one the hash ring places it.
 */
record CreateFleetRequest(String fleetId, String pinnedShardId) {
    private static final List<String> FIELDS = List.of("fleetId", "shardId");

    static CreateFleetRequest parse(byte[] body) {
        ObjectNode o = RequestJson.object(body, FIELDS, "{\"fleetId\", \"shardId\" (optional)}");
        return new CreateFleetRequest(RequestJson.requiredId(o, "", "fleetId"),
                RequestJson.optionalId(o, "", "shardId"));
    }
}
