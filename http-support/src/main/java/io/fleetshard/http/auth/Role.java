package io.fleetshard.http.auth;

import io.javalin.security.RouteRole;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a token lets its holder do (ADR 0018). {@code admin} and {@code operator} act on the platform; the two tenant
 * roles act for the one tenant their token names, and only {@code tenant-writer} may change its rows.
 */
public enum Role implements RouteRole {
    ADMIN("admin"),
    OPERATOR("operator"),
    TENANT_WRITER("tenant-writer"),
    TENANT_READER("tenant-reader");

    private final String wireName;

    Role(String wireName) {
        this.wireName = wireName;
    }

    /** The name in the token's {@code role} claim. */
    public String wireName() {
        return wireName;
    }

    /** True for the roles bound to one tenant by the token's {@code tenant} claim. */
    public boolean isTenantRole() {
        return this == TENANT_WRITER || this == TENANT_READER;
    }

    /** The role named {@code name}, or {@link IllegalArgumentException} listing the valid names. */
    public static Role parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Role r : values()) {
            if (r.wireName.equals(n)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role '" + name + "' is not one of " + names());
    }

    /** {@code admin, operator, tenant-writer, tenant-reader}. */
    public static String names() {
        return Arrays.stream(values()).map(Role::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
