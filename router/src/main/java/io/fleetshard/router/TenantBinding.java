package io.fleetshard.router;

/**
 * The tenant (and, for single-fleet requests, the fleet) a statement runs for, with the tenant's signature. The
 * dialect hands it to the shard in the same transaction as the statement; {@code fleetId} is null for scatter reads.
 */
record TenantBinding(String tenantId, String signature, String fleetId) {
}
