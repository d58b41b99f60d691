package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchivedEvent;
import java.io.IOException;

/** The parts of a change envelope (docs/spec/change-events.md) that applying needs. */
record ChangeEvent(long offset, char op, String table, JsonNode key, JsonNode after, String position, long commitTsMs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    boolean isDelete() {
        return op == 'd';
    }

    /**
     * Parses the envelope of a verified segment's record; an envelope that cannot be applied is a defect of that
     * segment (it passed its checksum, so the archiver stored it so).
     */
    static ChangeEvent parse(String segmentKey, ArchivedEvent e) {
        JsonNode n;
        try {
            n = JSON.readTree(e.event());
        } catch (IOException ex) {
            throw defect(segmentKey, e.offset(), "is not JSON: " + ex.getMessage());
        }
        String op = n.path("op").asText("");
        String table = n.path("table").asText("");
        if (op.length() != 1 || "crud".indexOf(op.charAt(0)) < 0) {
            throw defect(segmentKey, e.offset(), "has op '" + op + "', expected c, r, u or d");
        }
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
            throw defect(segmentKey, e.offset(), "has table '" + table + "', not a plain SQL identifier");
        }
        JsonNode key = n.path("key");
        JsonNode after = n.path("after");
        char o = op.charAt(0);
        if (o == 'd' ? !key.isObject() : !after.isObject()) {
            throw defect(segmentKey, e.offset(), "is a '" + op + "' event without " + (o == 'd' ? "key" : "after"));
        }
        if (!n.path("commitTsMs").canConvertToLong()) {
            throw defect(segmentKey, e.offset(), "has no commitTsMs");
        }
        return new ChangeEvent(e.offset(), o, table, key, o == 'd' ? null : after, n.path("position").asText(""),
                n.path("commitTsMs").asLong());
    }

    private static ArchiveDefectException defect(String segmentKey, long offset, String detail) {
        return new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, segmentKey,
                "the event at offset " + offset + " " + detail);
    }
}
