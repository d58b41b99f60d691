package io.fleetshard.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The router's wire format (router/README.md): request bodies of {@code /v1/query}, {@code /v1/query/batch} and
 * {@code /v1/query/scatter}, and their answers. Fields the router does not know are never sent (it rejects them); fields of answers the client does
 * not know are ignored.
 */
final class RouterJson {
    /** Decimals stay exact, with their scale ({@code 3.20} stays {@code 3.20}), both ways. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private RouterJson() {
    }

    static byte[] queryBody(QueryRequest r, Consistency c, String afterToken) {
        return bytes(queryNode(r, c, afterToken));
    }

    private static ObjectNode queryNode(QueryRequest r, Consistency c, String afterToken) {
        ObjectNode o = JSON.createObjectNode().put("tenantId", r.tenantId()).put("fleetId", r.fleetId())
                .put("sql", r.sql());
        params(o, r.params());
        consistency(o, c, r.region());
        if (afterToken != null) {
            o.put("afterToken", afterToken);
        }
        return o;
    }

    /** One item of a {@code /v1/query/batch} body: a request, its consistency and the token to read after. */
    record BatchEntry(QueryRequest request, Consistency consistency, String afterToken) {
    }

    static byte[] batchBody(List<BatchEntry> entries) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode queries = o.putArray("queries");
        for (BatchEntry e : entries) {
            queries.add(queryNode(e.request(), e.consistency(), e.afterToken()));
        }
        return bytes(o);
    }

    /** An item of a batch answer: the result, or the problem the router answered for it. */
    record BatchAnswer(QueryResult result, Problem problem) {
    }

    static List<BatchAnswer> batchResult(byte[] body, int expectedItems, java.time.Instant now) {
        JsonNode results = tree(body, "batch").get("results");
        if (results == null || !results.isArray() || results.size() != expectedItems) {
            throw new FleetShardException("the batch answer holds " + (results == null ? "no results" : results.size()
                    + " results") + " for " + expectedItems + " queries", null, false, null);
        }
        List<BatchAnswer> out = new ArrayList<>(expectedItems);
        for (JsonNode item : results) {
            int status = item.path("status").asInt();
            if (status == 200) {
                out.add(new BatchAnswer(queryResult(item.get("result")), null));
            } else {
                JsonNode p = item.path("problem");
                JsonNode retry = item.get("retryAfterSeconds");
                out.add(new BatchAnswer(null, new Problem(status, text(p, "type"), text(p, "title"),
                        text(p, "detail"), text(p, "instance"), retry == null || retry.isNull() ? null
                                : Problem.retryAfter(retry.asText(), now))));
            }
        }
        return out;
    }

    static byte[] scatterBody(ScatterRequest r, Consistency c) {
        ObjectNode o = JSON.createObjectNode().put("tenantId", r.tenantId()).put("sql", r.sql());
        params(o, r.params());
        if (r.orderBy() != null) {
            o.put("orderBy", r.orderBy());
        }
        if (r.limit() != null) {
            o.put("limit", r.limit());
        }
        if (r.allowPartial()) {
            o.put("allowPartial", true);
        }
        consistency(o, c, r.region());
        return bytes(o);
    }

    private static void params(ObjectNode o, List<Object> params) {
        if (params.isEmpty()) {
            return;
        }
        ArrayNode a = o.putArray("params");
        for (Object v : params) { // the types QueryParams lets through
            if (v == null) {
                a.addNull();
            } else if (v instanceof String t) {
                a.add(t);
            } else if (v instanceof Boolean b) {
                a.add(b);
            } else if (v instanceof BigDecimal d) {
                a.add(d);
            } else if (v instanceof BigInteger b) {
                a.add(b);
            } else if (v instanceof Double || v instanceof Float) {
                a.add(((Number) v).doubleValue());
            } else {
                a.add(((Number) v).longValue());
            }
        }
    }

    private static void consistency(ObjectNode o, Consistency c, String region) {
        o.put("consistency", c.wireName());
        if (c.mode() == Consistency.Mode.BOUNDED) {
            o.put("maxStalenessMs", c.maxStaleness().toMillis());
        }
        if (region != null) {
            o.put("region", region);
        }
    }

    private static byte[] bytes(ObjectNode o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a request body: " + e.getMessage(), e);
        }
    }

    static QueryResult queryResult(byte[] body) {
        return queryResult(tree(body, "query"));
    }

    private static QueryResult queryResult(JsonNode n) {
        List<String> columns = strings(n.get("columns"));
        JsonNode count = n.get("updateCount");
        JsonNode token = n.get("token");
        return new QueryResult(text(n, "shardId"), text(n, "nodeId"), text(n, "role"), columns,
                strings(n.get("columnTypes")), rows(columns, n.get("rows")),
                count == null || count.isNull() ? OptionalLong.empty() : OptionalLong.of(count.asLong()),
                token == null || token.isNull() ? Optional.empty() : Optional.of(token.asText()));
    }

    static ScatterResult scatterResult(byte[] body) {
        JsonNode n = tree(body, "scatter");
        List<String> columns = strings(n.get("columns"));
        List<ScatterResult.ShardAnswer> shards = new ArrayList<>();
        for (JsonNode s : iterable(n.get("shards"))) {
            shards.add(new ScatterResult.ShardAnswer(text(s, "shardId"), text(s, "nodeId"), text(s, "role"),
                    s.path("rows").asInt()));
        }
        List<ScatterResult.FailedShard> failed = new ArrayList<>();
        for (JsonNode f : iterable(n.get("failedShards"))) {
            failed.add(new ScatterResult.FailedShard(text(f, "shardId"), f.path("status").asInt(), text(f, "detail")));
        }
        return new ScatterResult(text(n, "tenantId"), shards, columns, strings(n.get("columnTypes")),
                rows(columns, n.get("rows")), n.path("partial").asBoolean(), failed,
                n.path("shardCount").asInt(shards.size()));
    }

    private static JsonNode tree(byte[] body, String what) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new FleetShardException("the " + what + " answer is not a JSON object", null, false, null);
            }
            return n;
        } catch (IOException e) {
            throw new FleetShardException("the " + what + " answer is not JSON: " + e.getMessage(), null, false, e);
        }
    }

    private static Iterable<JsonNode> iterable(JsonNode array) {
        return array == null || !array.isArray() ? List.of() : array;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : iterable(array)) {
            out.add(v.asText());
        }
        return out;
    }

    private static List<Row> rows(List<String> columns, JsonNode array) {
        List<String> cols = List.copyOf(columns);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            index.putIfAbsent(cols.get(i), i);
        }
        List<Row> out = new ArrayList<>();
        for (JsonNode r : iterable(array)) {
            List<Object> values = new ArrayList<>(r.size());
            for (JsonNode v : r) {
                values.add(value(v));
            }
            out.add(new Row(cols, index, values));
        }
        return out;
    }

    private static Object value(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            BigInteger b = v.bigIntegerValue();
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (v.isNumber()) {
            return v.decimalValue();
        }
        return v.toString();
    }

    /** The {@code mapVersion} of {@code GET /v1/tenants/{t}} (the control API's map version as it answered). */
    static long mapVersion(byte[] body) {
        return tree(body, "tenant").path("mapVersion").asLong();
    }

    /**
     * {@code GET /v1/tenants/{t}/fleets/{f}}: the fleet's shard, the region of its primary (null if unknown) and the
     * map version it was read from.
     */
    record Placement(String shardId, String primaryRegion, long mapVersion) {
    }

    static Placement placement(byte[] body) {
        JsonNode n = tree(body, "fleet");
        return new Placement(text(n, "shardId"), text(n, "primaryRegion"), n.path("mapVersion").asLong());
    }
}
