package io.fleetshard.shardmap;

import java.util.Objects;

/** A tenant of the platform. */
public record Tenant(String tenantId, DurabilityTier tier) implements MapEntity {
    public Tenant {
        Ids.require("tenantId", tenantId);
        Objects.requireNonNull(tier, "tier");
    }

    public static String keyOf(String tenantId) {
        return "tenant:" + tenantId;
    }

    @Override
    public String entityKey() {
        return keyOf(tenantId);
    }
}
