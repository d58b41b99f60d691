package io.fleetshard.archive.format;

/**
 * The archive is not whole: a missing, altered or inconsistent object. Names the exact object; readers stop at it and
 * never apply past it (docs/spec/archive.md, "Defects").
 */
public final class ArchiveDefectException extends ArchiveException {
    private static final long serialVersionUID = 1L;

    /** What is wrong, as a stable word for metrics and exit messages. */
    public enum Kind { MISSING_MANIFEST, BROKEN_CHAIN, MISSING_SEGMENT, CHECKSUM_MISMATCH, MALFORMED, RANGE_MISMATCH,
        /** A record of the audit archive does not link to the one before it (docs/spec/audit-chain.md). */
        BROKEN_AUDIT_CHAIN,
        /** A sealed record's tenant key is missing, revoked, or not configured in this reader (ADR 0025). */
        KEY_UNAVAILABLE,
        /** A sealed record does not authenticate under its data key: altered ciphertext (ADR 0025). */
        AUTHENTICATION_FAILED }

    private final Kind kind;
    private final String objectKey;

    public ArchiveDefectException(Kind kind, String objectKey, String detail) {
        super("archive defect (" + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ") at " + objectKey
                + ": " + detail);
        this.kind = kind;
        this.objectKey = objectKey;
    }

    public Kind kind() {
        return kind;
    }

    /** The object that is missing or wrong. */
    public String objectKey() {
        return objectKey;
    }
}
