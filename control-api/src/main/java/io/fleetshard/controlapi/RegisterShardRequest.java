package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Body of {@code POST /v1/shards}: a node group to register,
 * {@code {"shardId","engine","vnodes"?,"nodes":[{"nodeId","role","region","az","jdbcUrl"}]}}. Everything that can be
 * checked without the map is checked here (exactly one primary, node ids distinct, JDBC URLs of the shard's engine);
 * clashes with the map (shard or node id taken) are the caller's to check against a snapshot.
 */
record RegisterShardRequest(String shardId, Engine engine, int vnodes, List<Node> nodes) {
    static final int MAX_NODES = 64;
    static final int MAX_VNODES = 4096;
    private static final int MAX_JDBC_URL_CHARS = 2048;
    private static final List<String> FIELDS = List.of("shardId", "engine", "vnodes", "nodes");
    private static final List<String> NODE_FIELDS = List.of("nodeId", "role", "region", "az", "jdbcUrl");

    RegisterShardRequest {
        nodes = List.copyOf(nodes);
    }

    static RegisterShardRequest parse(byte[] body) {
        ObjectNode o = RequestJson.object(body, FIELDS,
                "{\"shardId\", \"engine\", \"vnodes\" (optional), \"nodes\": [{\"nodeId\", \"role\", \"region\", "
                        + "\"az\", \"jdbcUrl\"}]}");
        String shardId = RequestJson.requiredId(o, "", "shardId");
        String engineName = RequestJson.requiredText(o, "", "engine");
        Engine engine;
        try {
            engine = Engine.parse(engineName);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("engine must be one of postgres, mysql, mariadb, got "
                    + RequestJson.quote(engineName));
        }
        int vnodes = RequestJson.optionalInt(o, "", "vnodes", 0, MAX_VNODES, Shard.DEFAULT_VNODES);
        JsonNode array = o.get("nodes");
        if (array == null || array.isNull()) {
            throw ApiProblem.badRequest("nodes is required: a shard needs at least its primary");
        }
        if (!array.isArray()) {
            throw ApiProblem.badRequest("nodes must be an array of nodes, got " + RequestJson.describe(array));
        }
        if (array.isEmpty() || array.size() > MAX_NODES) {
            throw ApiProblem.badRequest("nodes must hold between 1 and " + MAX_NODES + " nodes, got " + array.size());
        }
        List<Node> nodes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> primaries = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String path = "nodes[" + i + "].";
            JsonNode element = array.get(i);
            if (!element.isObject()) {
                throw ApiProblem.badRequest("nodes[" + i + "] must be an object {\"nodeId\", \"role\", \"region\", "
                        + "\"az\", \"jdbcUrl\"}, got " + RequestJson.describe(element));
            }
            ObjectNode n = RequestJson.checkFields((ObjectNode) element, path, NODE_FIELDS);
            String nodeId = RequestJson.requiredId(n, path, "nodeId");
            String roleName = RequestJson.requiredText(n, path, "role");
            NodeRole role;
            try {
                role = NodeRole.parse(roleName);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(path + "role must be one of primary, sync-replica, replica, standby, got "
                        + RequestJson.quote(roleName));
            }
            String region = RequestJson.requiredId(n, path, "region");
            String az = RequestJson.requiredId(n, path, "az");
            String jdbcUrl = RequestJson.requiredText(n, path, "jdbcUrl");
            checkJdbcUrl(path + "jdbcUrl", jdbcUrl, engine);
            if (!seen.add(nodeId)) {
                throw ApiProblem.badRequest(path + "nodeId " + RequestJson.quote(nodeId)
                        + " is listed twice; node ids must be unique");
            }
            if (role == NodeRole.PRIMARY) {
                primaries.add(nodeId);
            }
            nodes.add(new Node(nodeId, shardId, role, region, az, jdbcUrl));
        }
        if (primaries.size() != 1) {
            throw ApiProblem.badRequest("nodes must hold exactly one node with role primary, got "
                    + primaries.size() + (primaries.isEmpty() ? "" : " (" + String.join(", ", primaries) + ")"));
        }
        return new RegisterShardRequest(shardId, engine, vnodes, nodes);
    }

    /** The shard entity, active on the ring with {@code vnodes} tokens derived from its id. */
    Shard shard() {
        // vnodes 0: the shard owns no arc until a split or merge hands it tokens (ADR 0013)
        return vnodes == 0 ? new Shard(shardId, ShardStatus.ACTIVE, engine, new long[0])
                : Shard.withDefaultTokens(shardId, ShardStatus.ACTIVE, engine, vnodes);
    }

    private static void checkJdbcUrl(String name, String url, Engine engine) {
        List<String> schemes = switch (engine) {
            case POSTGRES -> List.of("jdbc:postgresql:");
            case MYSQL, MARIADB -> List.of("jdbc:mariadb:", "jdbc:mysql:");
        };
        String lower = url.toLowerCase(Locale.ROOT);
        if (url.length() > MAX_JDBC_URL_CHARS || schemes.stream().noneMatch(lower::startsWith)) {
            throw ApiProblem.badRequest(name + " must be a JDBC URL of the shard's engine " + engine.wireName()
                    + " (starting with " + String.join(" or ", schemes) + ", at most " + MAX_JDBC_URL_CHARS
                    + " characters), got " + RequestJson.quote(url));
        }
    }
}
