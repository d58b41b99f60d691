package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.ReshardKind;
import java.util.List;

/**
 * Body of {@code POST /v1/reshards}, checked at the edge:
 * {@code {"kind":"move","fleet":"tenant/fleet","to":"pg-3"}}, {@code {"kind":"split","shard":"pg-1",
 * "into":["pg-1","pg-4"]}} or {@code {"kind":"merge","shard":"pg-4","into":"pg-1"}}.
 *
 * @param tenantId, fleetId the moving fleet (move only)
 * @param sourceShardId the shard that gives (split, merge); null for a move (the fleet's current shard)
 * @param targetShardId the shard that receives
 */
record ReshardRequest(ReshardKind kind, String tenantId, String fleetId, String sourceShardId, String targetShardId) {
    static final String EXPECTED = "{\"kind\":\"move\",\"fleet\":\"tenant/fleet\",\"to\":\"shard\"}, {\"kind\":"
            + "\"split\",\"shard\":\"pg-1\",\"into\":[\"pg-1\",\"pg-4\"]} or {\"kind\":\"merge\",\"shard\":\"pg-4\","
            + "\"into\":\"pg-1\"}";

    static ReshardRequest parse(byte[] body) {
        ObjectNode o = RequestJson.object(body, List.of("kind", "fleet", "to", "shard", "into"), EXPECTED);
        String kindText = RequestJson.requiredText(o, "", "kind");
        ReshardKind kind;
        try {
            kind = ReshardKind.parse(kindText);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("kind must be one of move, split, merge, got " + RequestJson.quote(kindText));
        }
        return switch (kind) {
            case MOVE -> {
                only(o, "move", List.of("kind", "fleet", "to"));
                String fleet = RequestJson.requiredText(o, "", "fleet");
                int slash = fleet.indexOf('/');
                if (slash < 0) {
                    throw ApiProblem.badRequest("fleet must be 'tenant/fleet', got " + RequestJson.quote(fleet));
                }
                yield new ReshardRequest(kind, RequestJson.id("fleet's tenant", fleet.substring(0, slash)),
                        RequestJson.id("fleet's fleet id", fleet.substring(slash + 1)), null,
                        RequestJson.requiredId(o, "", "to"));
            }
            case SPLIT -> {
                only(o, "split", List.of("kind", "shard", "into"));
                String shard = RequestJson.requiredId(o, "", "shard");
                JsonNode into = o.get("into");
                if (into == null || !into.isArray() || into.size() != 2 || !into.get(0).isTextual()
                        || !into.get(1).isTextual()) {
                    throw ApiProblem.badRequest("into must be an array of two shard ids, the split shard first"
                            + " (\"into\":[\"" + shard + "\",\"<new shard>\"]), got " + RequestJson.describe(into));
                }
                String first = RequestJson.id("into[0]", into.get(0).textValue());
                if (!first.equals(shard)) {
                    throw ApiProblem.badRequest("into[0] must be the split shard " + shard + " itself (it keeps half),"
                            + " got " + RequestJson.quote(first));
                }
                String added = RequestJson.id("into[1]", into.get(1).textValue());
                if (added.equals(shard)) {
                    throw ApiProblem.badRequest("into[1] must be another shard than the split shard " + shard
                            + " (the one that takes half)");
                }
                yield new ReshardRequest(kind, null, null, shard, added);
            }
            case MERGE -> {
                only(o, "merge", List.of("kind", "shard", "into"));
                String shard = RequestJson.requiredId(o, "", "shard");
                String into = RequestJson.requiredId(o, "", "into");
                if (into.equals(shard)) {
                    throw ApiProblem.badRequest("a shard cannot be merged into itself: into must be another shard than "
                            + shard);
                }
                yield new ReshardRequest(kind, null, null, shard, into);
            }
        };
    }

    private static void only(ObjectNode o, String kind, List<String> fields) {
        RequestJson.checkFields(o, "", fields);
        if (fields.size() > 0) {
            for (String f : fields) {
                if (!f.equals("kind") && (o.get(f) == null || o.get(f).isNull())) {
                    throw ApiProblem.badRequest(f + " is required for a " + kind + "; expected " + EXPECTED);
                }
            }
        }
    }
}
