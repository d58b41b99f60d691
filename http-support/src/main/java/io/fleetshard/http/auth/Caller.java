package io.fleetshard.http.auth;

import java.util.Objects;

/**
 * Who sent a request, as its verified token says: the subject ({@code sub}), the role and, for a tenant role, the one
 * tenant it may reach.
 *
 * @param subject the token's {@code sub}; audit and logs name the caller by it
 * @param role what the caller may do
 * @param tenantId the tenant of a tenant role; null for {@code admin} and {@code operator}
 */
public record Caller(String subject, Role role, String tenantId) {
    /** The caller of a server whose authentication is switched off ({@code *.auth.enabled=false}). */
    public static final Caller UNAUTHENTICATED = new Caller("(authentication off)", Role.ADMIN, null);

    public Caller {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(role, "role");
        if (role.isTenantRole() != (tenantId != null)) {
            throw new IllegalArgumentException(role.isTenantRole() ? "role " + role + " needs a tenant"
                    : "role " + role + " is not bound to a tenant, got tenant " + tenantId);
        }
    }

    /** True if this caller may act on {@code tenant}'s data: every tenant for admin and operator, else its own. */
    public boolean mayReach(String tenant) {
        return !role.isTenantRole() || tenantId.equals(tenant);
    }

    /** True if this caller may change tenant rows through the router. */
    public boolean mayWriteRows() {
        return role == Role.ADMIN || role == Role.TENANT_WRITER;
    }
}
