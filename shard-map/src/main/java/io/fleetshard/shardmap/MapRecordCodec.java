package io.fleetshard.shardmap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON wire format of map-log record values, specified in {@code docs/spec/shard-map-records.md}. Entity values carry
 * {@code "kind"} and the {@code "version"} that wrote them; a tombstone is a null value, its version in the
 * transaction's version record.
 */
public final class MapRecordCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MapRecordCodec() {
    }

    public static byte[] encode(long version, MapEntity entity) {
        return toJson(version, entity).toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The entity as a JSON object with its kind and version, as written to the log, the mirror and snapshot files. */
    public static ObjectNode toJson(long version, MapEntity entity) {
        ObjectNode o = JSON.createObjectNode();
        if (entity instanceof Tenant t) {
            o.put("kind", "tenant").put("version", version).put("tenantId", t.tenantId()).put("tier", t.tier().wireName());
        } else if (entity instanceof Fleet f) {
            o.put("kind", "fleet").put("version", version).put("tenantId", f.tenantId()).put("fleetId", f.fleetId());
            if (f.pinnedShardId() != null) {
                o.put("pinnedShardId", f.pinnedShardId());
            }
        } else if (entity instanceof Shard s) {
            o.put("kind", "shard").put("version", version).put("shardId", s.shardId())
                    .put("status", s.status().wireName()).put("engine", s.engine().wireName());
            if (s.epoch() > 0) {
                o.put("epoch", s.epoch());
            }
            ArrayNode tokens = o.putArray("vnodeTokens");
            for (long token : s.vnodeTokens()) {
                tokens.add(token);
            }
        } else if (entity instanceof Node n) {
            o.put("kind", "node").put("version", version).put("nodeId", n.nodeId()).put("shardId", n.shardId())
                    .put("role", n.role().wireName()).put("region", n.region()).put("az", n.az())
                    .put("jdbcUrl", n.jdbcUrl());
        } else if (entity instanceof ReshardJob j) {
            o.put("kind", "reshard").put("version", version).put("jobId", j.jobId()).put("reshardKind", j.kind().wireName())
                    .put("sourceShardId", j.sourceShardId()).put("targetShardId", j.targetShardId())
                    .put("phase", j.phase().wireName()).put("startOffset", j.startOffset())
                    .put("createdAtMs", j.createdAtMs()).put("updatedAtMs", j.updatedAtMs()).put("paused", j.paused());
            ArrayNode fleets = o.putArray("fleets");
            j.fleets().forEach(fleets::add);
            ArrayNode tokens = o.putArray("tokens");
            j.tokens().forEach(tokens::add);
            if (j.detail() != null) {
                o.put("detail", j.detail());
            }
        }
        return o;
    }

    /** Parses a record value; a null value is a tombstone for {@code key} at {@code tombstoneVersion}. */
    public static MapRecord decode(String key, byte[] value, long tombstoneVersion) {
        if (value == null) {
            return new MapRecord(key, tombstoneVersion, null);
        }
        try {
            return fromJson(key, JSON.readTree(value));
        } catch (IOException e) {
            throw new MapFormatException("map record '" + key + "' is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Parses one entity object as produced by {@link #toJson}. */
    public static MapRecord fromJson(String key, JsonNode o) {
        try {
            long version = o.path("version").asLong(-1);
            MapEntity entity = switch (text(o, "kind")) {
                case "tenant" -> new Tenant(text(o, "tenantId"), DurabilityTier.parse(text(o, "tier")));
                case "fleet" -> new Fleet(text(o, "tenantId"), text(o, "fleetId"),
                        o.hasNonNull("pinnedShardId") ? o.get("pinnedShardId").asText() : null);
                case "shard" -> {
                    JsonNode arr = o.path("vnodeTokens");
                    long[] tokens = new long[arr.size()];
                    for (int i = 0; i < tokens.length; i++) {
                        tokens[i] = arr.get(i).asLong();
                    }
                    yield new Shard(text(o, "shardId"), ShardStatus.parse(text(o, "status")),
                            Engine.parse(text(o, "engine")), tokens, o.path("epoch").asLong(0));
                }
                case "node" -> new Node(text(o, "nodeId"), text(o, "shardId"), NodeRole.parse(text(o, "role")),
                        text(o, "region"), text(o, "az"), text(o, "jdbcUrl"));
                case "reshard" -> {
                    List<String> fleets = new ArrayList<>();
                    o.path("fleets").forEach(f -> fleets.add(f.asText()));
                    List<Long> tokens = new ArrayList<>();
                    o.path("tokens").forEach(t -> tokens.add(t.asLong()));
                    yield new ReshardJob(text(o, "jobId"), ReshardKind.parse(text(o, "reshardKind")),
                            text(o, "sourceShardId"), text(o, "targetShardId"), fleets, tokens,
                            ReshardPhase.parse(text(o, "phase")), o.path("startOffset").asLong(-1),
                            o.path("createdAtMs").asLong(), o.path("updatedAtMs").asLong(),
                            o.path("paused").asBoolean(false), o.hasNonNull("detail") ? o.get("detail").asText() : null);
                }
                default -> throw new IllegalArgumentException("unknown kind '" + text(o, "kind") + "'");
            };
            return new MapRecord(key, version, entity);
        } catch (IllegalArgumentException e) {
            throw new MapFormatException("map record '" + key + "' is invalid: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing text field '" + field + "'");
        }
        return v.asText();
    }
}
