package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.DurabilityTier;
import java.util.List;

/** Body of {@code POST /v1/tenants}: {@code {"tenantId","tier"}}. */
record CreateTenantRequest(String tenantId, DurabilityTier tier) {
    private static final List<String> FIELDS = List.of("tenantId", "tier");

    static CreateTenantRequest parse(byte[] body) {
        ObjectNode o = RequestJson.object(body, FIELDS, "{\"tenantId\", \"tier\"}");
        String tenantId = RequestJson.requiredId(o, "", "tenantId");
        String tier = RequestJson.requiredText(o, "", "tier");
        try {
            return new CreateTenantRequest(tenantId, DurabilityTier.parse(tier));
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("tier must be one of standard, enhanced, platinum, got "
                    + RequestJson.quote(tier));
        }
    }
}
