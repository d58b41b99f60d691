package io.fleetshard.archive.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Encodes and decodes segments (docs/spec/archive.md, "Segment"): gzip of a header line and one
 * {@code {"offset":O,"event":E}} line per record, {@code E} being the Kafka value byte for byte. Encoding is a pure
 * function of its input, so a retry produces the same bytes.
 */
public final class SegmentCodec {
    public static final String FORMAT = "fleetshard-segment";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] OFFSET_PREFIX = "{\"offset\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_PREFIX = ",\"event\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LINE_END = "}\n".getBytes(StandardCharsets.US_ASCII);

    private SegmentCodec() {
    }

    /** {@code events} in offset order, non-empty; each event must be one line of JSON (change envelopes are). */
    public static byte[] encode(String shard, String topic, List<ArchivedEvent> events) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("a segment holds at least one event");
        }
        ObjectNode header = JSON.createObjectNode();
        header.put("format", FORMAT);
        header.put("version", VERSION);
        header.put("shard", shard);
        header.put("topic", topic);
        header.put("fromOffset", events.get(0).offset());
        header.put("toOffset", events.get(events.size() - 1).offset());
        header.put("records", events.size());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + events.size() * 64);
        try (OutputStream out = new GZIPOutputStream(bytes, 65_536)) {
            out.write(JSON.writeValueAsBytes(header));
            out.write('\n');
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
                out.write(OFFSET_PREFIX);
                out.write(Long.toString(e.offset()).getBytes(StandardCharsets.US_ASCII));
                out.write(EVENT_PREFIX);
                out.write(e.event());
                out.write(LINE_END);
            }
        } catch (IOException e) {
            throw new ArchiveException("cannot encode a segment of shard " + shard, e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a segment; anything unreadable is an {@link ArchiveDefectException} naming {@code key}. Record lines are
     * split without a JSON parse (their shape is fixed by {@link #encode}); each event is handed on as its bytes.
     */
    public static Segment decode(String key, byte[] gz) {
        try {
            byte[] raw;
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 65_536)) {
                raw = in.readAllBytes();
            }
            int eol = indexOf(raw, 0, (byte) '\n');
            if (eol < 0) {
                throw new IllegalArgumentException("no header line");
            }
            JsonNode h = JSON.readTree(raw, 0, eol);
            if (h == null || !FORMAT.equals(h.path("format").asText()) || h.path("version").asInt() != VERSION) {
                throw new IllegalArgumentException("no " + FORMAT + " version " + VERSION + " header");
            }
            long records = h.path("records").asLong(-1);
            List<ArchivedEvent> events = new ArrayList<>((int) Math.max(0, Math.min(records, 1_000_000)));
            long prev = -1;
            int pos = eol + 1;
            while (pos < raw.length) {
                int end = indexOf(raw, pos, (byte) '\n');
                if (end < 0) {
                    throw new IllegalArgumentException("record line " + (events.size() + 1) + " is not terminated");
                }
                ArchivedEvent e = recordLine(raw, pos, end, events.size() + 1);
                if (e.offset() <= prev) {
                    throw new IllegalArgumentException("record line " + (events.size() + 1) + " does not rise in offset");
                }
                prev = e.offset();
                events.add(e);
                pos = end + 1;
            }
            if (events.size() != records) {
                throw new IllegalArgumentException("header says " + records + " records, found " + events.size());
            }
            long from = h.path("fromOffset").asLong(-1);
            long to = h.path("toOffset").asLong(-1);
            if (events.isEmpty() || events.get(0).offset() != from || events.get(events.size() - 1).offset() != to) {
                throw new IllegalArgumentException("records do not span the header's offsets " + from + ".." + to);
            }
            return new Segment(h.path("shard").asText(), h.path("topic").asText(), from, to, events);
        } catch (IOException | RuntimeException e) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key, "unreadable segment: " + e.getMessage());
        }
    }

    /** {@code {"offset":O,"event":E}} between {@code start} and {@code end} (exclusive, the newline). */
    private static ArchivedEvent recordLine(byte[] raw, int start, int end, int line) {
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
