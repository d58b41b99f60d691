package io.fleetshard.archive.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where the per-tenant key-encryption keys live (ADR 0025): makes a fresh data key for a tenant, wrapped by that
 * tenant's current key, and unwraps a stored one. Implementations: {@link LocalKeyDirectory} (dev, tests) and
 * {@link KmsTenantKeys} (AWS KMS, production).
 */
public interface TenantKeyProvider {

    /**
     * A new random 256-bit data key for {@code tenant}, with its wrapped form and the id of the key that wrapped it
     * (the tenant's current key version). A tenant without a key is a {@link TenantKeyException}.
     */
    DataKey generate(String tenant);

    /**
     * The data key that {@code wrapped} holds, unwrapped with the key {@code keyId} of {@code tenant}. A missing, revoked
     * or wrong key is a {@link TenantKeyException} naming tenant and key id; an unreachable key service is an
     * {@link ArchiveStoreUnavailableException} (retriable).
     */
    byte[] unwrap(String tenant, String keyId, byte[] wrapped);

    /** A data key: its plain bytes (kept in memory only), its wrapped bytes and the id of the key that wrapped it. */
    record DataKey(String keyId, byte[] plaintext, byte[] wrapped) {
        public DataKey {
            Objects.requireNonNull(keyId, "keyId");
            if (plaintext == null || plaintext.length != 32) {
                throw new IllegalArgumentException("a data key is 32 bytes (AES-256)");
            }
            Objects.requireNonNull(wrapped, "wrapped");
        }

        /** Overwrites the plain key once it is no longer needed. */
        public void destroy() {
            Arrays.fill(plaintext, (byte) 0);
        }

        @Override
        public String toString() {
            return "DataKey[keyId=" + keyId + ", plaintext=******]";
        }
    }
}
