package io.fleetshard.archive.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM of one sealed segment record (version 2) or block (version 3) (docs/spec/archive.md, "Sealed records").
 * The data key is fresh per segment and tenant, and offsets are unique in a segment, so the nonce is the offset (of the
 * record, or of the block's first record: 4 zero bytes, then 8 bytes big-endian); the associated data binds shard,
 * topic, tenant and offset(s), so a record or block cannot be moved or relabelled unnoticed.
 */
final class SegmentSeal {
    private static final JsonFactory JSON = new JsonFactory();
    /** {@code Cipher.getInstance} costs more than a GCM record of ~400 bytes: one per thread, re-initialised per record. */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available in this JVM", e);
        }
    });

    private SegmentSeal() {
    }

    static byte[] seal(byte[] dataKey, String shard, String topic, String tenant, long offset, byte[] plain) {
        return seal(dataKey, "fleetshard-segment|" + shard + "|" + topic + "|" + tenant + "|" + offset, offset, plain);
    }

    static byte[] open(byte[] dataKey, String shard, String topic, String tenant, long offset, byte[] sealed) {
        return open(dataKey, "fleetshard-segment|" + shard + "|" + topic + "|" + tenant + "|" + offset, offset, sealed);
    }

    /**
     * A version 3 block (ADR 0028): nonce = its first offset (unique among the tenant's blocks of a segment, and the data
     * key is fresh per segment and tenant), associated data binding shard, topic, tenant, first and last offsets and the
     * record count, so a block cannot be moved, relabelled, cut or stretched unnoticed.
     */
    static byte[] sealBlock(byte[] dataKey, String shard, String topic, String tenant, long from, long to, long records,
            byte[] gzippedLines) {
        return seal(dataKey, blockAad(shard, topic, tenant, from, to, records), from, gzippedLines);
    }

    /** The block's gzipped record lines, or null when it does not authenticate. */
    static byte[] openBlock(byte[] dataKey, String shard, String topic, String tenant, long from, long to, long records,
            byte[] sealed) {
        return open(dataKey, blockAad(shard, topic, tenant, from, to, records), from, sealed);
    }

    private static String blockAad(String shard, String topic, String tenant, long from, long to, long records) {
        return "fleetshard-segment-block|" + shard + "|" + topic + "|" + tenant + "|" + from + "|" + to + "|" + records;
    }

    /** Seals with nonce {@code counter} (unique per data key) and associated data {@code aad}. */
    static byte[] seal(byte[] dataKey, String aad, long counter, byte[] plain) {
        try {
            return cipher(Cipher.ENCRYPT_MODE, dataKey, aad, counter).doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new ArchiveException("cannot seal " + aad, e);
        }
    }

    /** The plain record, or null when it does not authenticate. */
    static byte[] open(byte[] dataKey, String aad, long counter, byte[] sealed) {
        try {
            return cipher(Cipher.DECRYPT_MODE, dataKey, aad, counter).doFinal(sealed);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new ArchiveException("cannot open " + aad, e);
        }
    }

    private static Cipher cipher(int mode, byte[] dataKey, String aad, long counter) throws GeneralSecurityException {
        Cipher c = GCM.get();
        byte[] nonce = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
        c.init(mode, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
        return c;
    }

    /** The top-level {@code tenant} string of a change envelope; null if it has none. */
    static String tenantOf(byte[] envelope) {
        try (JsonParser p = JSON.createParser(envelope)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("tenant".equals(name)) {
                    return value == JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
