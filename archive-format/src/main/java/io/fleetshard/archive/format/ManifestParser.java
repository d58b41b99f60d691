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

/** Writes and reads manifests (docs/spec/archive.md, "Manifest"); field order is fixed, so bytes are reproducible. */
public final class ManifestParser {
    public static final String FORMAT = "fleetshard-manifest";
    /** Written for a manifest without a watermark; read: 1 and 2. */
    public static final int VERSION = 1;
    /** Written for a manifest with a watermark (ADR 0048); it may list no segment. */
    public static final int VERSION_WATERMARK = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestParser() {
    }

    public static byte[] toBytes(Manifest m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", m.watermark() == null ? VERSION : VERSION_WATERMARK);
        o.put("shard", m.shard());
        o.put("tier", m.tier());
        o.put("topic", m.topic());
        o.put("seq", m.seq());
        if (m.previousSha256() == null) {
            o.putNull("previousSha256");
        } else {
            o.put("previousSha256", m.previousSha256());
        }
        ArrayNode segs = o.putArray("segments");
        for (SegmentRef s : m.segments()) {
            ObjectNode so = segs.addObject();
            so.put("key", s.key());
            so.put("fromOffset", s.fromOffset());
            so.put("toOffset", s.toOffset());
            so.put("records", s.records());
            so.put("bytes", s.bytes());
            so.put("sha256", s.sha256());
            so.put("firstPosition", s.firstPosition());
            so.put("lastPosition", s.lastPosition());
            so.put("firstCommitTsMs", s.firstCommitTsMs());
            so.put("lastCommitTsMs", s.lastCommitTsMs());
        }
        o.put("nextOffset", m.nextOffset());
        o.put("createdMs", m.createdMs());
        o.put("writer", m.writer());
        if (m.watermark() != null) {
            o.putObject("watermark").put("offset", m.watermark().offset()).put("position", m.watermark().position())
                    .put("commitTsMs", m.watermark().commitTsMs());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
        } catch (IOException e) {
            throw new ArchiveException("cannot write manifest " + m.seq() + " of shard " + m.shard(), e);
        }
    }

    /** Parses a manifest; anything unreadable or inconsistent is a {@link ArchiveDefectException} naming {@code key}. */
    public static Manifest parse(String key, byte[] bytes) {
        try {
            JsonNode o = JSON.readTree(bytes);
            int version = o == null ? 0 : o.path("version").asInt();
            if (o == null || !FORMAT.equals(o.path("format").asText()) || (version != VERSION && version != VERSION_WATERMARK)) {
                throw new IllegalArgumentException("not a " + FORMAT + " version " + VERSION + " or "
                        + VERSION_WATERMARK + " document");
            }
            Watermark watermark = null;
            if (version == VERSION_WATERMARK) {
                JsonNode w = o.path("watermark");
                if (!w.isObject()) {
                    throw new IllegalArgumentException("a version " + VERSION_WATERMARK + " manifest needs a watermark");
                }
                watermark = new Watermark(num(w, "offset"), text(w, "position"), num(w, "commitTsMs"));
            }
            List<SegmentRef> segments = new ArrayList<>();
            for (JsonNode s : o.path("segments")) {
                segments.add(new SegmentRef(text(s, "key"), num(s, "fromOffset"), num(s, "toOffset"),
                        (int) num(s, "records"), num(s, "bytes"), text(s, "sha256"), s.path("firstPosition").asText(""),
                        s.path("lastPosition").asText(""), num(s, "firstCommitTsMs"), num(s, "lastCommitTsMs")));
            }
            JsonNode prev = o.path("previousSha256");
            return new Manifest(text(o, "shard"), text(o, "tier"), text(o, "topic"), num(o, "seq"),
                    prev.isNull() || prev.isMissingNode() ? null : prev.asText(), segments, num(o, "nextOffset"),
                    num(o, "createdMs"), o.path("writer").asText(""), watermark);
        } catch (IOException | RuntimeException e) {
            throw new ArchiveDefectException(ArchiveDefectException.Kind.MALFORMED, key,
                    "unreadable manifest: " + e.getMessage());
        }
    }
}
