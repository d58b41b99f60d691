package io.fleetshard.router;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Ids;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON bodies of {@code /v1/query} and {@code /v1/query/scatter} with a streaming parser (no tree, no
 * reflection) and validates every field. Anything wrong is a 400 naming the field, the rule and what was sent; unknown
 * fields are rejected so that a misspelt option is not silently ignored.
 */
final class QueryRequestParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** PostgreSQL {@code numeric}: digits before the decimal point. */
    static final int MAX_INTEGER_DIGITS = 131072;
    /** PostgreSQL {@code numeric}: digits after the decimal point. */
    static final int MAX_FRACTION_DIGITS = 16383;

    private QueryRequestParser() {
    }

    static QueryRequest parseQuery(byte[] body) {
        return parseQuery(body, 0, body == null ? 0 : body.length);
    }

    /** Parses the {@code /v1/query} body held in {@code body[offset, offset + length)}. */
    private static QueryRequest parseQuery(byte[] body, int offset, int length) {
        Fields f = read(body, offset, length, false);
        require(f.tenantId, "tenantId");
        require(f.fleetId, "fleetId");
        require(f.sql, "sql");
        ConsistencyToken after = f.afterToken == null ? null : ConsistencyToken.parse(f.afterToken);
        return new QueryRequest(f.tenantId, f.fleetId, f.sql, f.params, preference(f, after));
    }

    static ScatterRequest parseScatter(byte[] body) {
        Fields f = read(body, 0, body == null ? 0 : body.length, true);
        require(f.tenantId, "tenantId");
        require(f.sql, "sql");
        List<OrderBy.Term> order = f.orderBy == null ? List.of() : OrderBy.parse(f.orderBy);
        return new ScatterRequest(f.tenantId, f.sql, f.params, order, f.limit, f.allowPartial, preference(f, null));
    }

    private static ReadPreference preference(Fields f, ConsistencyToken after) {
        Consistency c = f.consistency == null ? Consistency.STRONG : Consistency.parse(f.consistency);
        if (f.maxStalenessMs != null && f.maxStalenessMs < 0) {
            throw ApiProblem.badRequest("maxStalenessMs must be >= 0, got " + f.maxStalenessMs);
        }
        if (c == Consistency.BOUNDED && f.maxStalenessMs == null) {
            throw ApiProblem.badRequest("consistency 'bounded' needs maxStalenessMs: the staleness, in milliseconds,"
                    + " that a replica may have to serve this read");
        }
        if (c == Consistency.STRONG && after == null && f.region == null) {
            return ReadPreference.STRONG;
        }
        return new ReadPreference(c, f.maxStalenessMs == null ? 0 : f.maxStalenessMs, f.region, after);
    }

    private static void require(String value, String field) {
        if (value == null) {
            throw ApiProblem.badRequest(field + " is required");
        }
    }

    /** The fields of either body; which ones are allowed depends on {@code scatter}. */
    private static final class Fields {
        String tenantId;
        String fleetId;
        String sql;
        List<Object> params = List.of();
        String consistency;
        Long maxStalenessMs;
        String region;
        String afterToken;
        String orderBy;
        int limit = -1;
        boolean allowPartial;
    }

    /**
     * Reads a {@code POST /v1/query/batch} body, {@code {"queries": [<query>, ...]}}: each item is parsed exactly as a
     * {@code /v1/query} body (the same fields and checks), and an item that fails them is a 400 of that item alone.
     * The body as a whole must be valid JSON holding 1 to {@code maxItems} items (else 400, or 422 for too many).
     */
    static List<BatchItem> parseBatch(byte[] body, int maxItems) {
        if (body == null || body.length == 0) {
            throw ApiProblem.badRequest("request body is empty: send {\"queries\": [...]}");
        }
        List<BatchItem> items = null;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw ApiProblem.badRequest("request body must be a JSON object: {\"queries\": [...]}");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (!name.equals("queries")) {
                    throw ApiProblem.badRequest("unknown field '" + name + "'; batch accepts queries");
                }
                if (t != JsonToken.START_ARRAY) {
                    throw ApiProblem.badRequest("queries must be an array of query objects, got " + describe(t));
                }
                items = new ArrayList<>();
                JsonToken item;
                while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                    int index = items.size();
                    if (index == maxItems) {
                        throw new ApiProblem(422, "too-many-statements", "Too many statements", "a batch may hold"
                                + " at most " + maxItems + " queries (router.batch.max.items); split it", null);
                    }
                    if (item != JsonToken.START_OBJECT) {
                        p.skipChildren();
                        items.add(BatchItem.failed(ApiProblem.badRequest("queries[" + index + "] must be a query"
                                + " object, got " + describe(item))));
                        continue;
                    }
                    int start = (int) p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                    int end = (int) p.currentLocation().getByteOffset();
                    try {
                        items.add(BatchItem.of(parseQuery(body, start, end - start)));
                    } catch (ApiProblem problem) {
                        items.add(BatchItem.failed(ApiProblem.badRequest("queries[" + index + "]: "
                                + problem.detail())));
                    }
                }
            }
            requireEndOfBody(p);
        } catch (IOException e) {
            throw unreadable(e);
        }
        if (items == null || items.isEmpty()) {
            throw ApiProblem.badRequest("queries is required and must hold at least one query object");
        }
        return items;
    }

    private static Fields read(byte[] body, int offset, int length, boolean scatter) {
        if (body == null || length == 0) {
            throw ApiProblem.badRequest("request body is empty: send a JSON object");
        }
        Fields f = new Fields();
        try (JsonParser p = JSON.createParser(body, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw ApiProblem.badRequest("request body must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "tenantId" -> f.tenantId = id(p, t, name);
                    case "sql" -> f.sql = sql(p, t);
                    case "params" -> f.params = params(p, t);
                    case "consistency" -> f.consistency = string(p, t, name);
                    case "maxStalenessMs" -> f.maxStalenessMs = t == JsonToken.VALUE_NULL ? null : integer(p, t, name);
                    case "region" -> f.region = t == JsonToken.VALUE_NULL ? null : id(p, t, name);
                    default -> {
                        if (!scatter && name.equals("fleetId")) {
                            f.fleetId = id(p, t, name);
                        } else if (!scatter && name.equals("afterToken")) {
                            f.afterToken = t == JsonToken.VALUE_NULL ? null : string(p, t, name);
                        } else if (scatter && name.equals("orderBy")) {
                            f.orderBy = t == JsonToken.VALUE_NULL ? null : string(p, t, name);
                        } else if (scatter && name.equals("limit")) {
                            f.limit = limit(p, t);
                        } else if (scatter && name.equals("allowPartial")) {
                            f.allowPartial = bool(p, t, name);
                        } else {
                            throw ApiProblem.badRequest("unknown field '" + name + "'; " + (scatter
                                    ? "scatter accepts tenantId, sql, params, orderBy, limit, allowPartial, consistency,"
                                            + " maxStalenessMs, region"
                                    : "query accepts tenantId, fleetId, sql, params, consistency, maxStalenessMs,"
                                            + " region, afterToken"));
                        }
                    }
                }
            }
            requireEndOfBody(p);
        } catch (IOException e) {
            throw unreadable(e);
        }
        return f;
    }

    /** The parser stands on the body's closing brace, and nothing follows it. */
    private static void requireEndOfBody(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
            throw ApiProblem.badRequest("request body must hold exactly one JSON object");
        }
    }

    /** The 400 of a body that is not JSON, or that could not be read. */
    private static ApiProblem unreadable(IOException e) {
        return e instanceof JsonParseException json
                ? ApiProblem.badRequest("request body is not valid JSON: " + json.getOriginalMessage())
                : ApiProblem.badRequest("request body could not be read: " + e.getMessage());
    }

    private static String string(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw ApiProblem.badRequest(field + " must be a string, got " + describe(t));
        }
        return p.getText();
    }

    private static String id(JsonParser p, JsonToken t, String field) throws IOException {
        String s = string(p, t, field);
        if (!Ids.isValid(s)) {
            String shown = s.length() > 70 ? s.substring(0, 70) + "..." : s;
            throw ApiProblem.badRequest(field + " must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or"
                    + " digit, got '" + shown + "'");
        }
        return s;
    }

    private static String sql(JsonParser p, JsonToken t) throws IOException {
        String s = string(p, t, "sql");
        if (s.isBlank()) {
            throw ApiProblem.badRequest("sql must not be blank");
        }
        return s;
    }

    private static long integer(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw ApiProblem.badRequest(field + " must be an integer, got " + describe(t));
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw ApiProblem.badRequest(field + " is out of range: " + p.getText());
        }
        return p.getLongValue();
    }

    private static int limit(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return -1;
        }
        long l = integer(p, t, "limit");
        if (l < 0 || l > Integer.MAX_VALUE) {
            throw ApiProblem.badRequest("limit must be between 0 and " + Integer.MAX_VALUE + ", got " + l);
        }
        return (int) l;
    }

    private static boolean bool(JsonParser p, JsonToken t, String field) {
        if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
            throw ApiProblem.badRequest(field + " must be true or false, got " + describe(t));
        }
        return t == JsonToken.VALUE_TRUE;
    }

    private static List<Object> params(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_ARRAY) {
            throw ApiProblem.badRequest("params must be an array of values for the ? placeholders, got " + describe(t));
        }
        List<Object> out = new ArrayList<>();
        JsonToken v;
        while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
            switch (v) {
                case VALUE_STRING -> out.add(p.getText());
                case VALUE_NUMBER_INT -> out.add(p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? new BigDecimal(p.getBigIntegerValue()) : (Object) p.getLongValue());
                case VALUE_NUMBER_FLOAT -> out.add(decimal(p, out.size()));
                case VALUE_TRUE -> out.add(Boolean.TRUE);
                case VALUE_FALSE -> out.add(Boolean.FALSE);
                case VALUE_NULL -> out.add(null);
                default -> throw ApiProblem.badRequest("params[" + out.size() + "] must be a string, number, boolean or"
                        + " null, got " + describe(v));
            }
        }
        return out;
    }

    /**
     * A decimal parameter that a shard's {@code numeric}/{@code DECIMAL} can hold: at most
     * {@value #MAX_INTEGER_DIGITS} digits before the point and {@value #MAX_FRACTION_DIGITS} after it (PostgreSQL's
     * {@code numeric} limits, the larger of the two engines'). Anything larger is a 400 here: past these limits the
     * PostgreSQL driver silently sent 0 for {@code 1e131072}, failed on {@code 1e-999999999}, and the MariaDB driver
     * spelt {@code 1e999999999} out digit by digit until the router ran out of memory.
     */
    private static BigDecimal decimal(JsonParser p, int index) throws IOException {
        BigDecimal d;
        try {
            d = p.getDecimalValue();
        } catch (NumberFormatException | ArithmeticException e) { // an exponent beyond the int range
            throw decimalOutOfRange(p, index);
        }
        long integerDigits = (long) d.precision() - d.scale();
        if (integerDigits > MAX_INTEGER_DIGITS || d.scale() > MAX_FRACTION_DIGITS) {
            throw decimalOutOfRange(p, index);
        }
        return d;
    }

    private static ApiProblem decimalOutOfRange(JsonParser p, int index) throws IOException {
        String text = p.getText();
        return ApiProblem.badRequest("params[" + index + "] is out of range for a database number (at most "
                + MAX_INTEGER_DIGITS + " digits before the decimal point and " + MAX_FRACTION_DIGITS + " after it), got "
                + (text.length() > 40 ? text.substring(0, 40) + "...(" + text.length() + " chars)" : text));
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a decimal number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }
}
