package io.fleetshard.router;

import java.util.List;
import java.util.Objects;

/**
 * The tenant (and, for single-fleet requests, the fleet) a statement runs for, with the tenant's signature. The
 * dialect hands it to the shard in the same transaction as the statement; {@code fleetId} is null for scatter reads.
 *
 * @param hiddenFleets fleets of the tenant whose rows the statement must not see on the shard it runs on, comma
 *     separated (fleet ids hold no comma), empty for none: a scatter leg's stray fleets (ADR 0051); always empty for
 *     single-fleet requests
 */
record TenantBinding(String tenantId, String signature, String fleetId, String hiddenFleets) {
    TenantBinding {
        Objects.requireNonNull(hiddenFleets, "hiddenFleets");
    }

    /** A binding that hides no fleet. */
    TenantBinding(String tenantId, String signature, String fleetId) {
        this(tenantId, signature, fleetId, "");
    }

    /** This binding hiding {@code fleetIds} (sorted, so that equal sets bind equal connections alike). */
    TenantBinding hiding(List<String> fleetIds) {
        return new TenantBinding(tenantId, signature, fleetId, String.join(",", fleetIds));
    }
}
