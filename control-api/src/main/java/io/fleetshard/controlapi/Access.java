package io.fleetshard.controlapi;

import io.fleetshard.http.auth.Role;
import io.javalin.security.RouteRole;

/**
 * Who may call what on the control API: the role matrix of ADR 0018, one constant per kind of endpoint. Every route
 * names one; a route without roles is closed to everyone ({@code Authentication}), and {@code ControlApiAccessTest}
 * checks each against the {@code x-roles} of the OpenAPI document.
 */
final class Access {
    /** Onboarding tenants and fleets: who the platform serves, and where their data lives. */
    static final RouteRole[] ONBOARD = {Role.ADMIN};
    /** Changing the topology: registering shards, reshard jobs, failover and switchover. */
    static final RouteRole[] OPERATE = {Role.ADMIN, Role.OPERATOR};
    /** Reading the platform: shards, the map, jobs, orchestrations, hot fleets (every tenant's placement). */
    static final RouteRole[] READ_PLATFORM = {Role.ADMIN, Role.OPERATOR};
    /** Reading the audit trail: who changed what (ADR 0018 "Audit"). */
    static final RouteRole[] AUDIT = {Role.ADMIN};
    /** Reading one tenant and its fleets; a tenant role only its own (the handler checks the path's tenant). */
    static final RouteRole[] READ_TENANT = {Role.ADMIN, Role.OPERATOR, Role.TENANT_WRITER, Role.TENANT_READER};

    private Access() {
    }
}
