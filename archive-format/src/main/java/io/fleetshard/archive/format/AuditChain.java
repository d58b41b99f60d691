package io.fleetshard.archive.format;

import io.fleetshard.archive.format.ArchiveDefectException.Kind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The hash chain of the audit log ({@code docs/spec/audit-chain.md}): every record value of {@code fleetshard.audit} is
 * a JSON object that starts with a fixed-length {@code "chain"} member, {@code {"chain":{"previous":P,"sha256":H},...}},
 * where {@code H = SHA-256(P || rest)} over the ASCII of {@code P} and the exact bytes of the value after the chain
 * member ({@code rest}, from the comma to the closing brace), and {@code P} is the {@code H} of the record before it
 * ({@link #GENESIS} for the first). Changing, removing, inserting or reordering a record breaks the chain at that record;
 * hashing exact bytes needs no JSON canonicalization.
 */
public final class AuditChain {
    /** The {@code previous} of the first record: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private static final String OPEN = "{\"chain\":{\"previous\":\"";
    private static final String MIDDLE = "\",\"sha256\":\"";
    private static final String CLOSE = "\"}";
    private static final int PREFIX = OPEN.length() + 64 + MIDDLE.length() + 64 + CLOSE.length();
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /** A sealed record: its link to the record before, its own hash, and the bytes that hash covers. */
    public record Link(String previous, String sha256, byte[] rest) {
        /** Whether {@link #sha256} is the hash of {@link #previous} and {@link #rest}. */
        public boolean intact() {
            return hash(previous, rest).equals(sha256);
        }
    }

    private AuditChain() {
    }

    /**
     * Seals {@code event}, a JSON object with at least one member ({@code {"k":...}}), after the record whose hash is
     * {@code previous}: returns the record value to store.
     */
    public static byte[] seal(String previous, byte[] event) {
        if (previous == null || !HEX64.matcher(previous).matches()) {
            throw new IllegalArgumentException("previous must be 64 lower-case hex digits, got '" + previous + "'");
        }
        int start = 0;
        while (start < event.length && Character.isWhitespace(event[start])) {
            start++;
        }
        if (start + 2 >= event.length || event[start] != '{' || event[start + 1] == '}') {
            throw new IllegalArgumentException("an audit event must be a non-empty JSON object");
        }
        byte[] rest = new byte[event.length - start];
        rest[0] = ',';
        System.arraycopy(event, start + 1, rest, 1, rest.length - 1);
        byte[] head = (OPEN + previous + MIDDLE + hash(previous, rest) + CLOSE).getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, out, head.length, rest.length);
        return out;
    }

    /** The link of a sealed record value; empty when the value does not start with a well-formed chain member. */
    public static Optional<Link> parse(byte[] value) {
        if (value == null || value.length < PREFIX + 2) {
            return Optional.empty();
        }
        String head = new String(value, 0, PREFIX, StandardCharsets.US_ASCII);
        String previous = head.substring(OPEN.length(), OPEN.length() + 64);
        String sha = head.substring(OPEN.length() + 64 + MIDDLE.length(), PREFIX - CLOSE.length());
        if (!head.startsWith(OPEN) || !head.startsWith(MIDDLE, OPEN.length() + 64) || !head.endsWith(CLOSE)
                || !HEX64.matcher(previous).matches() || !HEX64.matcher(sha).matches() || value[PREFIX] != ','
                || value[value.length - 1] != '}') {
            return Optional.empty();
        }
        return Optional.of(new Link(previous, sha, Arrays.copyOfRange(value, PREFIX, value.length)));
    }

    /** {@code SHA-256(ASCII(previous) || rest)} in lower-case hex. */
    public static String hash(String previous, byte[] rest) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(previous.getBytes(StandardCharsets.US_ASCII));
            d.update(rest);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /**
     * Walks records in log order and checks each links to the one before. Not thread-safe. The first break is thrown as
     * an {@link ArchiveDefectException} of kind {@link Kind#BROKEN_AUDIT_CHAIN} that names the record's offset and the
     * object it was read from.
     */
    public static final class Walker {
        private String head = GENESIS;
        private long records;
        private long unsealedBefore;
        private long lastOffset = -1;

        /** Checks the record at {@code offset}, read from {@code objectKey}. */
        public void accept(String objectKey, long offset, byte[] value) {
            Optional<Link> parsed = parse(value);
            if (parsed.isEmpty() && records == 0) {
                // written before the chain existed (a topic older than the seal): unprotected, counted, and the first
                // sealed record must then start the chain from GENESIS
                unsealedBefore++;
                lastOffset = offset;
                return;
            }
            Link link = parsed.orElseThrow(() -> defect(objectKey, offset, "is not sealed: it does not start"
                    + " with the chain member {\"chain\":{\"previous\":...,\"sha256\":...}} (written without the chain,"
                    + " or its first bytes were changed)"));
            if (!link.intact()) {
                throw defect(objectKey, offset, "its content does not match its sha256 " + link.sha256() + " (the"
                        + " record was changed after it was written)");
            }
            if (!link.previous().equals(head)) {
                throw defect(objectKey, offset, records == 0
                        ? "it is the first sealed record but links to " + link.previous() + ", not the chain's start"
                                + " (records before it were removed, or their seals stripped)"
                        : "it links to " + link.previous() + ", but the record before it (offset " + lastOffset
                                + ") has sha256 " + head + " (a record between them was removed or inserted, or records"
                                + " were reordered)");
            }
            head = link.sha256();
            lastOffset = offset;
            records++;
        }

        /** The hash of the last record accepted ({@link #GENESIS} before any): publish it to anchor the chain. */
        public String head() {
            return head;
        }

        public long records() {
            return records;
        }

        /** Records before the first sealed one: written before the chain existed, so not protected by it. */
        public long unsealedBefore() {
            return unsealedBefore;
        }

        private static ArchiveDefectException defect(String objectKey, long offset, String detail) {
            return new ArchiveDefectException(Kind.BROKEN_AUDIT_CHAIN, objectKey, "audit record at offset " + offset
                    + " " + detail);
        }
    }
}
