package io.fleetshard.archive.format;

/**
 * A tenant's key cannot be used: it does not exist (deleted, never created), was disabled or revoked, or does not open
 * the wrapped key it was given. Never retried: an operator must restore the key (ADR 0025). Names tenant and key id.
 */
public final class TenantKeyException extends ArchiveException {
    private static final long serialVersionUID = 1L;
    private final String tenant;
    private final String keyId;

    public TenantKeyException(String tenant, String keyId, String detail, Throwable cause) {
        super("key " + keyId + " of tenant " + tenant + " is unavailable: " + detail, cause);
        this.tenant = tenant;
        this.keyId = keyId;
    }

    public String tenant() {
        return tenant;
    }

    public String keyId() {
        return keyId;
    }
}
