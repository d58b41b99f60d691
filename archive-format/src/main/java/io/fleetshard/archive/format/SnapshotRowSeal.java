package io.fleetshard.archive.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Sealed rows of a base-snapshot row file (docs/spec/archive.md, "Sealed records"; ADR 0025). A tenant's first sealed
 * row in a part is preceded by a key line {@code {"key":{"tenant":T,"keyId":K,"alg":"AES-256-GCM","wrappedKey":W}}}
 * holding a data key fresh for this part; each sealed row is {@code {"tenant":T,"sealed":S}}, AES-256-GCM of the row
 * object with the row's index in the part as nonce and {@code fleetshard-snapshot|<part key>|<tenant>|<index>} as
 * associated data. Plain rows stay {@code {"row":R}}. One instance serves one part, writing or reading.
 */
public final class SnapshotRowSeal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String partKey;
    private final TenantKeyProvider keys;
    private final Map<String, byte[]> dataKeys = new HashMap<>();

    /** {@code keys} may be null for a reader without keys: a sealed row then stops it with {@code KEY_UNAVAILABLE}. */
    public SnapshotRowSeal(String partKey, TenantKeyProvider keys) {
        this.partKey = partKey;
        this.keys = keys;
    }

    /** Writer: the key line to write before the first sealed row of {@code tenant} in this part, else null. */
    public String keyLine(String tenant) {
        if (dataKeys.containsKey(tenant)) {
            return null;
        }
        TenantKeyProvider.DataKey k = keys.generate(tenant);
        dataKeys.put(tenant, k.plaintext());
        ObjectNode line = JSON.createObjectNode();
        line.putObject("key").put("tenant", tenant).put("keyId", k.keyId()).put("alg", SegmentCodec.ALGORITHM)
                .put("wrappedKey", Base64.getEncoder().encodeToString(k.wrapped()));
        return line.toString();
    }

    /** Writer: the sealed line of the row at {@code index} (0-based, counting every row of the part). */
    public String sealedLine(String tenant, long index, byte[] rowJson) {
        byte[] sealed = SegmentSeal.seal(dataKeys.get(tenant), aad(tenant, index), index, rowJson);
        ObjectNode line = JSON.createObjectNode();
        line.put("tenant", tenant).put("sealed", Base64.getEncoder().encodeToString(sealed));
        return line.toString();
    }

    /**
     * Reader: the row of a line at row {@code index}, or null for a key line (not a row). Throws an
     * {@link ArchiveDefectException} naming the part for a key that cannot be had or a row that does not authenticate.
     */
    public JsonNode rowOf(JsonNode line, long index) throws IOException {
        if (line.has("row")) {
            return line.get("row");
        }
        JsonNode key = line.get("key");
        if (key != null) {
            String tenant = key.path("tenant").asText();
            String keyId = key.path("keyId").asText();
            if (!SegmentCodec.ALGORITHM.equals(key.path("alg").asText())) {
                throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, partKey, "tenant " + tenant
                        + "'s rows use algorithm " + key.path("alg").asText() + ", this reader knows " + SegmentCodec.ALGORITHM);
            }
            if (keys == null) {
                throw new ArchiveDefectException(ArchiveDefectException.Kind.KEY_UNAVAILABLE, partKey, "holds rows of tenant "
                        + tenant + " sealed under key " + keyId + ", and no key provider is configured (archive.encryption.*)");
            }
            try {
                dataKeys.put(tenant, keys.unwrap(tenant, keyId, Base64.getDecoder().decode(key.path("wrappedKey").asText())));
            } catch (TenantKeyException e) {
                throw new ArchiveDefectException(ArchiveDefectException.Kind.KEY_UNAVAILABLE, partKey, e.getMessage());
            }
            return null;
        }
        String tenant = line.path("tenant").asText();
        byte[] dataKey = dataKeys.get(tenant);
        if (dataKey == null || !line.path("sealed").isTextual()) {
            throw new IOException("row " + (index + 1) + " is neither a row nor a sealed row after its tenant's key line");
        }
        byte[] plain = SegmentSeal.open(dataKey, aad(tenant, index), index, Base64.getDecoder().decode(line.get("sealed").asText()));
        if (plain == null) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.AUTHENTICATION_FAILED, partKey, "row " + (index + 1)
                    + " of tenant " + tenant + " does not authenticate under its data key");
        }
        return JSON.readTree(new String(plain, StandardCharsets.UTF_8));
    }

    private String aad(String tenant, long index) {
        return "fleetshard-snapshot|" + partKey + "|" + tenant + "|" + index;
    }

    /** Overwrites the plain data keys. */
    @Override
    public void close() {
        dataKeys.values().forEach(k -> Arrays.fill(k, (byte) 0));
        dataKeys.clear();
    }
}
