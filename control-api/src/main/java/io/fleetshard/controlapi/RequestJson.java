package io.fleetshard.controlapi;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Ids;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads request bodies and their fields strictly, so every bad input becomes a 400 whose detail names the field (with
 * its path for nested fields, e.g. {@code nodes[1].role}) and the offending value. Unknown fields are rejected too: a
 * misspelt optional field ({@code shardID}) must not silently change what a request does.
 */
final class RequestJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final int MAX_VALUE_CHARS = 80;

    private RequestJson() {
    }

    /**
     * As {@link #object}, for an endpoint whose fields are all optional: an empty or blank body is an empty object.
     */
    static ObjectNode optionalObject(byte[] body, List<String> allowedFields, String expected) {
        if (isEmpty(body)) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        return object(body, allowedFields, expected);
    }

    private static boolean isEmpty(byte[] body) {
        return body == null || body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank();
    }

    /**
     * Parses {@code body} as one JSON object that may hold only {@code allowedFields}.
     *
     * @param expected what the endpoint expects, for the message of an empty body (e.g. {@code {"tenantId","tier"}})
     */
    static ObjectNode object(byte[] body, List<String> allowedFields, String expected) {
        if (isEmpty(body)) {
            throw ApiProblem.badRequest("request body is empty; expected a JSON object " + expected);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonParseException e) {
            throw ApiProblem.badRequest("request body is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (JsonProcessingException e) {
            throw ApiProblem.badRequest("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiProblem.badRequest("request body could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiProblem.badRequest("request body must be a JSON object " + expected + ", got "
                    + describe(root));
        }
        return checkFields((ObjectNode) root, "", allowedFields);
    }

    /** Rejects fields of {@code o} (at {@code path}, "" for the body) not in {@code allowedFields}. */
    static ObjectNode checkFields(ObjectNode o, String path, List<String> allowedFields) {
        Set<String> allowed = Set.copyOf(allowedFields);
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiProblem.badRequest("unknown field " + path + clip(name) + "; allowed fields"
                        + (path.isEmpty() ? "" : " of " + path.substring(0, path.length() - 1)) + ": "
                        + String.join(", ", allowedFields));
            }
        }
        return o;
    }

    /** A required string field. */
    static String requiredText(ObjectNode o, String path, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw ApiProblem.badRequest(path + field + " is required");
        }
        if (!v.isTextual()) {
            throw ApiProblem.badRequest(path + field + " must be a string, got " + describe(v));
        }
        return v.textValue();
    }

    /** An optional string field; null when absent or JSON null. */
    static String optionalText(ObjectNode o, String path, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : requiredText(o, path, field);
    }

    /** A required identifier following {@link Ids}. */
    static String requiredId(ObjectNode o, String path, String field) {
        return id(path + field, requiredText(o, path, field));
    }

    /** An optional identifier following {@link Ids}; null when absent. */
    static String optionalId(ObjectNode o, String path, String field) {
        String v = optionalText(o, path, field);
        return v == null ? null : id(path + field, v);
    }

    /** An optional integer field within {@code [min, max]}, or {@code defaultValue} when absent. */
    static int optionalInt(ObjectNode o, String path, String field, int min, int max, int defaultValue) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw ApiProblem.badRequest(path + field + " must be an integer between " + min + " and " + max
                    + ", got " + describe(v));
        }
        return v.intValue();
    }

    /** Checks an identifier (from the body or the URL path) and names it in the 400 if it is not valid. */
    static String id(String name, String value) {
        if (!Ids.isValid(value)) {
            throw ApiProblem.badRequest(name + " must be 1-64 characters of [A-Za-z0-9._-] starting with a letter"
                    + " or digit, got " + quote(value));
        }
        return value;
    }

    /** A value for a problem detail: quoted, control characters escaped, clipped to a readable length. */
    static String quote(String value) {
        return value == null ? "null" : "'" + clip(value) + "'";
    }

    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isNull()) {
            return "null";
        }
        String kind = v.isTextual() ? "string" : v.isNumber() ? "number" : v.isBoolean() ? "boolean"
                : v.isArray() ? "array" : "object";
        return kind + " " + clip(v.toString());
    }

    private static String clip(String s) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < s.length() && out.length() < MAX_VALUE_CHARS; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return i < s.length() ? out + "...(" + s.length() + " chars)" : out.toString();
    }
}
