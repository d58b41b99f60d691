package io.fleetshard.archive.format;

import static io.fleetshard.archive.format.JsonFields.num;
import static io.fleetshard.archive.format.JsonFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Writes and reads {@code snapshot.json} (docs/spec/archive.md, "Base snapshot"); field order is fixed. */
public final class SnapshotParser {
    public static final String FORMAT = "fleetshard-snapshot";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SnapshotParser() {
    }

    public static byte[] toBytes(SnapshotDescriptor d) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("shard", d.shard());
        o.put("tier", d.tier());
        o.put("manifestSeq", d.manifestSeq());
        o.put("manifestSha256", d.manifestSha256());
        o.put("nextOffset", d.nextOffset());
        o.put("lastCommitTsMs", d.lastCommitTsMs());
        o.put("createdMs", d.createdMs());
        ArrayNode tables = o.putArray("tables");
        for (SnapshotDescriptor.Table t : d.tables()) {
            ObjectNode to = tables.addObject();
            to.put("table", t.table());
            ArrayNode cols = to.putArray("columns");
            for (SnapshotDescriptor.Column c : t.columns()) {
                cols.addObject().put("name", c.name()).put("type", c.type()).put("nullable", c.nullable());
            }
            ArrayNode pk = to.putArray("primaryKey");
            t.primaryKey().forEach(pk::add);
            ArrayNode parts = to.putArray("parts");
            for (SnapshotDescriptor.Part p : t.parts()) {
                parts.addObject().put("key", p.key()).put("rows", p.rows()).put("bytes", p.bytes()).put("sha256", p.sha256());
            }
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
        } catch (IOException e) {
            throw new ArchiveException("cannot write snapshot " + d.manifestSeq() + " of shard " + d.shard(), e);
        }
    }

    /** Parses a descriptor; anything unreadable or inconsistent is an {@link ArchiveDefectException} naming {@code key}. */
    public static SnapshotDescriptor parse(String key, byte[] bytes) {
        try {
            JsonNode o = JSON.readTree(bytes);
            if (o == null || !FORMAT.equals(o.path("format").asText()) || o.path("version").asInt() != VERSION) {
                throw new IllegalArgumentException("not a " + FORMAT + " version " + VERSION + " document");
            }
            List<SnapshotDescriptor.Table> tables = new ArrayList<>();
            for (JsonNode t : o.path("tables")) {
                List<SnapshotDescriptor.Column> columns = new ArrayList<>();
                for (JsonNode c : t.path("columns")) {
                    columns.add(new SnapshotDescriptor.Column(text(c, "name"), text(c, "type"), c.path("nullable").asBoolean(true)));
                }
                List<String> pk = new ArrayList<>();
                for (JsonNode k : t.path("primaryKey")) {
                    pk.add(k.asText());
                }
                List<SnapshotDescriptor.Part> parts = new ArrayList<>();
                for (JsonNode p : t.path("parts")) {
                    parts.add(new SnapshotDescriptor.Part(text(p, "key"), num(p, "rows"), num(p, "bytes"), text(p, "sha256")));
                }
                tables.add(new SnapshotDescriptor.Table(text(t, "table"), columns, pk, parts));
            }
            return new SnapshotDescriptor(text(o, "shard"), text(o, "tier"), num(o, "manifestSeq"), text(o, "manifestSha256"),
                    num(o, "nextOffset"), num(o, "lastCommitTsMs"), num(o, "createdMs"), tables);
        } catch (IOException | RuntimeException e) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key,
                    "unreadable snapshot descriptor: " + e.getMessage());
        }
    }
}
