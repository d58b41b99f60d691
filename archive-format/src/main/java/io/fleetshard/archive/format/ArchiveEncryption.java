package io.fleetshard.archive.format;

import java.util.Objects;
import java.util.Set;

/**
 * Which tenants' records a writer seals, and the keys it seals and opens them with (ADR 0025). {@link #NONE} seals
 * nothing and opens nothing: a reader with it stops at a sealed record with an error naming tenant and key id.
 *
 * @param allTenants every tenant of the archive (a whole tier) is sealed
 * @param tenants the sealed tenants when not {@code allTenants}
 * @param keys the key provider; null only when nothing is sealed or opened
 */
public record ArchiveEncryption(boolean allTenants, Set<String> tenants, TenantKeyProvider keys) {
    public static final ArchiveEncryption NONE = new ArchiveEncryption(false, Set.of(), null);

    public ArchiveEncryption {
        tenants = Set.copyOf(Objects.requireNonNull(tenants, "tenants"));
        if ((allTenants || !tenants.isEmpty()) && keys == null) {
            throw new IllegalArgumentException("sealing tenants needs a key provider");
        }
    }

    /** Opens sealed records with {@code keys} but seals nothing (readers: standby applier, restore). */
    public static ArchiveEncryption readOnly(TenantKeyProvider keys) {
        return new ArchiveEncryption(false, Set.of(), keys);
    }

    /** Whether records of {@code tenant} are sealed by a writer. Records without a tenant are never sealed. */
    public boolean seals(String tenant) {
        return tenant != null && !tenant.isEmpty() && (allTenants || tenants.contains(tenant));
    }

    public boolean sealsAny() {
        return allTenants || !tenants.isEmpty();
    }

    @Override
    public String toString() {
        return "ArchiveEncryption[" + (allTenants ? "all tenants" : tenants.isEmpty() ? "no tenant" : "tenants " + tenants)
                + (keys == null ? "" : ", keys " + keys) + "]";
    }
}
