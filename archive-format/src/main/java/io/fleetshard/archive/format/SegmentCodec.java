package io.fleetshard.archive.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Encodes and decodes segments (docs/spec/archive.md, "Segment"): gzip of a header line and one
 * {@code {"offset":O,"event":E}} line per record, {@code E} being the Kafka value byte for byte. Encoding is a pure
 * function of its input, so a retry produces the same bytes. A segment with sealed tenants (ADR 0025) is written as
 * version 3 (ADR 0028): each sealed tenant's records are gzipped in blocks, and each block is sealed as one; version 2
 * segments (one sealed line per record) are still read.
 */
public final class SegmentCodec {
    public static final String FORMAT = "fleetshard-segment";
    public static final int VERSION = 1;
    /** Sealed records one by one (ADR 0025): read, no longer written. */
    public static final int SEALED_VERSION = 2;
    /** Sealed, compressed blocks per tenant (ADR 0028): what a writer makes of a segment with sealed tenants. */
    public static final int BLOCK_VERSION = 3;
    public static final String ALGORITHM = "AES-256-GCM";
    /** A tenant's block is closed when its record lines reach this many bytes (before compression); then a new one opens. */
    static final int BLOCK_MAX_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] OFFSET_PREFIX = "{\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_PREFIX = ",\"event\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LINE_END = "}\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TENANT_PREFIX = ",\"tenant\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BLOCK_PREFIX = "{\"tenant\":".getBytes(StandardCharsets.US_ASCII);

    private SegmentCodec() {
    }

    /** {@code events} in offset order, non-empty; each event must be one line of JSON (change envelopes are). */
    public static byte[] encode(String shard, String topic, List<ArchivedEvent> events) {
        return encode(shard, topic, events, ArchiveEncryption.NONE);
    }

    /** The records of one sealed tenant, consecutive in that tenant's order, gathered as plain record lines. */
    private static final class BlockBuilder {
        final String tenant;
        final long fromOffset;
        long toOffset;
        long records;
        final ByteArrayOutputStream lines = new ByteArrayOutputStream(4096);

        BlockBuilder(String tenant, long fromOffset) {
            this.tenant = tenant;
            this.fromOffset = fromOffset;
        }
    }

    /**
     * As {@link #encode(String, String, List)}, sealing the events of every tenant that {@code encryption} seals (the
     * envelope's {@code tenant}) with a fresh data key per tenant, wrapped by the tenant's key (ADR 0025), in gzipped
     * blocks of that tenant's records, each sealed as one (version 3, ADR 0028). A segment with no sealed event is
     * written as version 1, byte for byte as without encryption; a retry of a sealed segment makes other bytes (new data
     * keys) of the same records.
     */
    public static byte[] encode(String shard, String topic, List<ArchivedEvent> events, ArchiveEncryption encryption) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("a segment holds at least one event");
        }
        long prev = -1;
        for (ArchivedEvent e : events) {
            if (e.offset() <= prev) {
                throw new IllegalArgumentException("segment events must rise in offset, got " + e.offset() + " after " + prev);
            }
            prev = e.offset();
            for (byte b : e.event()) {
                if (b == '\n' || b == '\r') {
                    throw new IllegalArgumentException("event at offset " + e.offset() + " spans lines");
                }
            }
        }
        ObjectNode header = JSON.createObjectNode();
        header.put("format", FORMAT);
        header.put("version", VERSION);
        header.put("shard", shard);
        header.put("topic", topic);
        header.put("fromOffset", events.get(0).offset());
        header.put("toOffset", events.get(events.size() - 1).offset());
        header.put("records", events.size());
        Map<String, TenantKeyProvider.DataKey> dataKeys = new LinkedHashMap<>();
        String[] tenants = new String[events.size()];
        if (encryption.sealsAny()) {
            for (int i = 0; i < tenants.length; i++) {
                String tenant = SegmentSeal.tenantOf(events.get(i).event());
                if (encryption.seals(tenant)) {
                    tenants[i] = tenant;
                    dataKeys.computeIfAbsent(tenant, t -> encryption.keys().generate(t));
                }
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + events.size() * 64);
        try {
            if (dataKeys.isEmpty()) {
                try (OutputStream out = new GZIPOutputStream(bytes, 65_536)) {
                    out.write(JSON.writeValueAsBytes(header));
                    out.write('\n');
                    for (ArchivedEvent e : events) {
                        writeRecordLine(out, e);
                    }
                }
                return bytes.toByteArray();
            }
            header.put("version", BLOCK_VERSION);
            ArrayNode keys = header.putArray("keys");
            for (Map.Entry<String, TenantKeyProvider.DataKey> k : dataKeys.entrySet()) {
                keys.addObject().put("tenant", k.getKey()).put("keyId", k.getValue().keyId()).put("alg", ALGORITHM)
                        .put("wrappedKey", Base64.getEncoder().encodeToString(k.getValue().wrapped()));
            }
            // Lines in the order of their first offset: a plain record where it is, a block where its first record is.
            List<Object> lines = new ArrayList<>();
            Map<String, BlockBuilder> open = new HashMap<>();
            for (int i = 0; i < tenants.length; i++) {
                ArchivedEvent e = events.get(i);
                if (tenants[i] == null) {
                    lines.add(e);
                    continue;
                }
                BlockBuilder b = open.get(tenants[i]);
                if (b == null || b.lines.size() >= BLOCK_MAX_BYTES) {
                    b = new BlockBuilder(tenants[i], e.offset());
                    open.put(tenants[i], b);
                    lines.add(b);
                }
                writeRecordLine(b.lines, e);
                b.toOffset = e.offset();
                b.records++;
            }
            try (OutputStream out = new GZIPOutputStream(bytes, 65_536)) {
                out.write(JSON.writeValueAsBytes(header));
                out.write('\n');
                for (Object line : lines) {
                    if (line instanceof ArchivedEvent e) {
                        writeRecordLine(out, e);
                        continue;
                    }
                    BlockBuilder b = (BlockBuilder) line;
                    byte[] sealed = SegmentSeal.sealBlock(dataKeys.get(b.tenant).plaintext(), shard, topic, b.tenant,
                            b.fromOffset, b.toOffset, b.records, gzip(b.lines.toByteArray()));
                    out.write(BLOCK_PREFIX);
                    out.write(JSON.writeValueAsBytes(b.tenant));
                    out.write((",\"fromOffset\":" + b.fromOffset + ",\"toOffset\":" + b.toOffset + ",\"records\":" + b.records
                            + ",\"sealed\":\"").getBytes(StandardCharsets.US_ASCII));
                    out.write(Base64.getEncoder().encode(sealed));
                    out.write('"');
                    out.write(LINE_END);
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new ArchiveException("cannot encode a segment of shard " + shard, e);
        } finally {
            dataKeys.values().forEach(TenantKeyProvider.DataKey::destroy);
        }
    }

    private static void writeRecordLine(OutputStream out, ArchivedEvent e) throws IOException {
        out.write(OFFSET_PREFIX);
        out.write(Long.toString(e.offset()).getBytes(StandardCharsets.US_ASCII));
        out.write(EVENT_PREFIX);
        out.write(e.event());
        out.write(LINE_END);
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length / 4 + 64);
        try (OutputStream out = new GZIPOutputStream(bytes, 65_536)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 65_536)) {
            return in.readAllBytes();
        }
    }

    /**
     * Decodes a segment; anything unreadable is an {@link ArchiveDefectException} naming {@code key}. Record lines are
     * split without a JSON parse (their shape is fixed by {@link #encode}); each event is handed on as its bytes. Sealed
     * records (version 2) and blocks (version 3) stay sealed: the header, ranges and record counts are checked without
     * any key.
     */
    public static Segment decode(String key, byte[] gz) {
        try {
            byte[] raw = gunzip(gz);
            int eol = indexOf(raw, 0, (byte) '\n');
            if (eol < 0) {
                throw new IllegalArgumentException("no header line");
            }
            JsonNode h = JSON.readTree(raw, 0, eol);
            int version = h == null ? 0 : h.path("version").asInt();
            if (!FORMAT.equals(h.path("format").asText())
                    || (version != VERSION && version != SEALED_VERSION && version != BLOCK_VERSION)) {
                throw new IllegalArgumentException("no " + FORMAT + " version " + VERSION + ", " + SEALED_VERSION + " or "
                        + BLOCK_VERSION + " header");
            }
            List<Segment.TenantKey> keys = new ArrayList<>();
            Set<String> sealedTenants = new HashSet<>();
            for (JsonNode k : h.path("keys")) {
                keys.add(new Segment.TenantKey(k.path("tenant").asText(), k.path("keyId").asText(), k.path("alg").asText(),
                        Base64.getDecoder().decode(k.path("wrappedKey").asText())));
                sealedTenants.add(k.path("tenant").asText());
            }
            long records = h.path("records").asLong(-1);
            List<ArchivedEvent> events = new ArrayList<>((int) Math.max(0, Math.min(records, 1_000_000)));
            List<Segment.SealedBlock> blocks = new ArrayList<>();
            long found = 0;
            long firstOffset = -1;
            long lastOffset = -1;
            long prev = -1;
            int line = 0;
            int pos = eol + 1;
            while (pos < raw.length) {
                line++;
                int end = indexOf(raw, pos, (byte) '\n');
                if (end < 0) {
                    throw new IllegalArgumentException("record line " + line + " is not terminated");
                }
                long first;
                long last;
                if (version == BLOCK_VERSION && startsWith(raw, pos, BLOCK_PREFIX)) {
                    Segment.SealedBlock b = blockLine(raw, pos, end, line);
                    if (!sealedTenants.contains(b.tenant())) {
                        throw new IllegalArgumentException("line " + line + " is a block of tenant " + b.tenant()
                                + ", whose data key the header does not list");
                    }
                    blocks.add(b);
                    first = b.fromOffset();
                    last = b.toOffset();
                    found += b.records();
                } else {
                    ArchivedEvent e = recordLine(raw, pos, end, line);
                    if (e.sealed() && (version != SEALED_VERSION || !sealedTenants.contains(e.sealedFor()))) {
                        throw new IllegalArgumentException("record line " + line + " is sealed for tenant " + e.sealedFor()
                                + (version == SEALED_VERSION ? ", whose data key the header does not list"
                                        : ", which version " + version + " does not allow"));
                    }
                    events.add(e);
                    first = e.offset();
                    last = e.offset();
                    found++;
                }
                if (first <= prev) {
                    throw new IllegalArgumentException("line " + line + " does not rise in offset");
                }
                prev = first;
                if (firstOffset < 0) {
                    firstOffset = first;
                }
                lastOffset = Math.max(lastOffset, last);
                pos = end + 1;
            }
            if (found != records) {
                throw new IllegalArgumentException("header says " + records + " records, found " + found);
            }
            long from = h.path("fromOffset").asLong(-1);
            long to = h.path("toOffset").asLong(-1);
            if (found == 0 || firstOffset != from || lastOffset != to) {
                throw new IllegalArgumentException("records do not span the header's offsets " + from + ".." + to);
            }
            return new Segment(h.path("shard").asText(), h.path("topic").asText(), from, to, events, keys, blocks);
        } catch (IOException | RuntimeException e) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, "unreadable segment: " + e.getMessage());
        }
    }

    /**
     * The segment with every sealed record and block opened with {@code keys} (null: no provider), one unwrap per
     * tenant, its events in offset order. A key that is not configured, missing or revoked is an
     * {@link ArchiveDefectException} of kind {@code KEY_UNAVAILABLE} naming the segment, tenant and key id; a record or
     * block that does not authenticate is {@code AUTHENTICATION_FAILED}, naming tenant and offsets. Nothing is skipped
     * and no garbage is handed on. A plain segment is answered as is; an opened one keeps its {@code keys} (which tenants
     * were sealed, and with which key) and has no blocks.
     */
    public static Segment open(String key, Segment segment, TenantKeyProvider keys) {
        if (segment.keys().isEmpty()) {
            return segment;
        }
        Map<String, byte[]> dataKeys = new LinkedHashMap<>();
        try {
            for (Segment.TenantKey k : segment.keys()) {
                if (!ALGORITHM.equals(k.algorithm())) {
                    throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, "tenant " + k.tenant()
                            + "'s records use algorithm " + k.algorithm() + ", this reader knows " + ALGORITHM);
                }
                if (keys == null) {
                    throw new ArchiveDefectException(ArchiveDefectException.Kind.KEY_UNAVAILABLE, key, "holds records of tenant "
                            + k.tenant() + " sealed under key " + k.keyId() + ", and no key provider is configured "
                            + "(archive.encryption.*)");
                }
                try {
                    dataKeys.put(k.tenant(), keys.unwrap(k.tenant(), k.keyId(), k.wrappedKey()));
                } catch (TenantKeyException e) {
                    throw new ArchiveDefectException(ArchiveDefectException.Kind.KEY_UNAVAILABLE, key, e.getMessage());
                }
            }
            List<ArchivedEvent> opened = new ArrayList<>((int) Math.min(segment.records(), 1_000_000));
            for (ArchivedEvent e : segment.events()) {
                if (!e.sealed()) {
                    opened.add(e);
                    continue;
                }
                byte[] plain = SegmentSeal.open(dataKeys.get(e.sealedFor()), segment.shard(), segment.topic(), e.sealedFor(),
                        e.offset(), e.event());
                if (plain == null) {
                    throw new ArchiveDefectException(ArchiveDefectException.Kind.AUTHENTICATION_FAILED, key, "the record at offset "
                            + e.offset() + " of tenant " + e.sealedFor() + " does not authenticate under its data key "
                            + "(altered ciphertext, or a record moved from another segment)");
                }
                opened.add(new ArchivedEvent(e.offset(), plain));
            }
            if (segment.blocks().isEmpty()) {
                return new Segment(segment.shard(), segment.topic(), segment.fromOffset(), segment.toOffset(), opened,
                        segment.keys());
            }
            for (Segment.SealedBlock b : segment.blocks()) {
                opened.addAll(openBlock(key, segment, b, dataKeys.get(b.tenant())));
            }
            opened.sort(java.util.Comparator.comparingLong(ArchivedEvent::offset));
            for (int i = 1; i < opened.size(); i++) {
                if (opened.get(i).offset() == opened.get(i - 1).offset()) {
                    throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, "holds two records at offset "
                            + opened.get(i).offset());
                }
            }
            return new Segment(segment.shard(), segment.topic(), segment.fromOffset(), segment.toOffset(), opened,
                    segment.keys());
        } finally {
            dataKeys.values().forEach(k -> java.util.Arrays.fill(k, (byte) 0));
        }
    }

    /** The plain records of one version 3 block, checked against the block line's tenant, offsets and count. */
    private static List<ArchivedEvent> openBlock(String key, Segment segment, Segment.SealedBlock b, byte[] dataKey) {
        byte[] gz = SegmentSeal.openBlock(dataKey, segment.shard(), segment.topic(), b.tenant(), b.fromOffset(), b.toOffset(),
                b.records(), b.sealed());
        String block = "the block of tenant " + b.tenant() + " at offsets " + b.fromOffset() + ".." + b.toOffset() + " ("
                + b.records() + " records)";
        if (gz == null) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.AUTHENTICATION_FAILED, key, block
                    + " does not authenticate under its data key (altered ciphertext, or a block moved or relabelled)");
        }
        try {
            byte[] raw = gunzip(gz);
            List<ArchivedEvent> records = new ArrayList<>((int) b.records());
            long prev = -1;
            int pos = 0;
            while (pos < raw.length) {
                int end = indexOf(raw, pos, (byte) '\n');
                if (end < 0) {
                    throw new IllegalArgumentException("line " + (records.size() + 1) + " is not terminated");
                }
                ArchivedEvent e = recordLine(raw, pos, end, records.size() + 1);
                if (e.sealed() || e.offset() <= prev) {
                    throw new IllegalArgumentException("line " + (records.size() + 1) + " is sealed or does not rise in offset");
                }
                prev = e.offset();
                records.add(e);
                pos = end + 1;
            }
            if (records.size() != b.records() || records.get(0).offset() != b.fromOffset() || prev != b.toOffset()) {
                throw new IllegalArgumentException("holds " + records.size() + " records at " + records.get(0).offset() + ".."
                        + prev);
            }
            return records;
        } catch (IOException | RuntimeException e) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, block + " is unreadable: "
                    + e.getMessage());
        }
    }

    /** {@code {"tenant":T,"fromOffset":F,"toOffset":L,"records":N,"sealed":S}} between {@code start} and {@code end}. */
    private static Segment.SealedBlock blockLine(byte[] raw, int start, int end, int line) throws IOException {
        JsonNode b = JSON.readTree(new String(raw, start, end - start, StandardCharsets.UTF_8));
        if (b == null || b.size() != 5 || !b.path("tenant").isTextual() || !b.path("fromOffset").isIntegralNumber()
                || !b.path("toOffset").isIntegralNumber() || !b.path("records").isIntegralNumber()
                || !b.path("sealed").isTextual()) {
            throw new IllegalArgumentException("line " + line
                    + " is not {\"tenant\":T,\"fromOffset\":F,\"toOffset\":L,\"records\":N,\"sealed\":S}");
        }
        return new Segment.SealedBlock(b.path("tenant").asText(), b.path("fromOffset").asLong(), b.path("toOffset").asLong(),
                b.path("records").asLong(), Base64.getDecoder().decode(b.path("sealed").asText()));
    }

    /** {@code {"offset":O,"event":E}} between {@code start} and {@code end} (exclusive, the newline). */
    private static ArchivedEvent recordLine(byte[] raw, int start, int end, int line) throws IOException {
        if (!startsWith(raw, start, OFFSET_PREFIX) || end - start < OFFSET_PREFIX.length + EVENT_PREFIX.length + 3
                || raw[end - 1] != '}') {
            throw new IllegalArgumentException("record line " + line + " is not {\"offset\":O,\"event\":E}");
        }
        int i = start + OFFSET_PREFIX.length;
        long offset = 0;
        int digits = 0;
        while (i < end && raw[i] >= '0' && raw[i] <= '9' && digits < 19) {
            offset = offset * 10 + (raw[i++] - '0');
            digits++;
        }
        if (digits > 0 && startsWith(raw, i, TENANT_PREFIX)) {
            JsonNode sealed = JSON.readTree(new String(raw, start, end - start, StandardCharsets.UTF_8));
            if (sealed == null || sealed.size() != 3 || !sealed.path("tenant").isTextual() || !sealed.path("sealed").isTextual()) {
                throw new IllegalArgumentException("record line " + line + " is not {\"offset\":O,\"tenant\":T,\"sealed\":S}");
            }
            return new ArchivedEvent(offset, Base64.getDecoder().decode(sealed.path("sealed").asText()),
                    sealed.path("tenant").asText());
        }
        if (digits == 0 || !startsWith(raw, i, EVENT_PREFIX)) {
            throw new IllegalArgumentException("record line " + line + " has no offset and event");
        }
        int eventStart = i + EVENT_PREFIX.length;
        if (raw[eventStart] != '{' || raw[end - 2] != '}') {
            throw new IllegalArgumentException("record line " + line + "'s event is not a JSON object");
        }
        return new ArchivedEvent(offset, java.util.Arrays.copyOfRange(raw, eventStart, end - 1));
    }

    private static boolean startsWith(byte[] raw, int at, byte[] prefix) {
        if (at + prefix.length > raw.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (raw[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] raw, int from, byte b) {
        for (int i = from; i < raw.length; i++) {
            if (raw[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
