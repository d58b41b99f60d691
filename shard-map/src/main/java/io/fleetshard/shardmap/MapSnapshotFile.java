package io.fleetshard.shardmap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A local copy of a snapshot and the map-log offset after it, so a follower can serve a map before Kafka answers.
 * Written atomically (temp file + rename). Format in {@code docs/spec/shard-map-records.md}.
 */
public final class MapSnapshotFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    /** A snapshot read from a file and the log offset from which to continue. */
    public record Loaded(ShardMapSnapshot snapshot, long nextOffset) {
    }

    private MapSnapshotFile() {
    }

    public static void write(Path file, ShardMapSnapshot snapshot, long nextOffset) {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT).put("version", snapshot.version())
                .put("nextOffset", nextOffset);
        ArrayNode entities = root.putArray("entities");
        snapshot.entities().forEach(e -> entities.add(MapRecordCodec.toJson(snapshot.version(), e)));
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write map snapshot file " + file, e);
        }
    }

    public static Optional<Loaded> read(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root.path("format").asInt() != FORMAT) {
                throw new MapFormatException("map snapshot file " + file + " has format " + root.path("format")
                        + ", expected " + FORMAT, null);
            }
            List<MapEntity> entities = new ArrayList<>();
            for (JsonNode e : root.path("entities")) {
                MapRecord r = MapRecordCodec.fromJson(entityKey(e), e);
                entities.add(r.entity());
            }
            return Optional.of(new Loaded(ShardMapSnapshot.of(root.path("version").asLong(), entities),
                    root.path("nextOffset").asLong()));
        } catch (IOException e) {
            throw new MapFormatException("map snapshot file " + file + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static String entityKey(JsonNode e) {
        return switch (e.path("kind").asText()) {
            case "tenant" -> Tenant.keyOf(e.path("tenantId").asText());
            case "fleet" -> Fleet.keyOf(e.path("tenantId").asText(), e.path("fleetId").asText());
            case "shard" -> Shard.keyOf(e.path("shardId").asText());
            case "node" -> Node.keyOf(e.path("nodeId").asText());
            case "reshard" -> ReshardJob.keyOf(e.path("jobId").asText());
            default -> "unknown:" + e.path("kind").asText();
        };
    }
}
