package io.fleetshard.archive.format;

import com.fasterxml.jackson.databind.JsonNode;

/** Required fields of the archive's JSON documents, read strictly: a wrong type is an error, never a default. */
final class JsonFields {
    private JsonFields() {
    }

    static String text(JsonNode o, String field) {
        JsonNode v = o.path(field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return v.asText();
    }

    static long num(JsonNode o, String field) {
        JsonNode v = o.path(field);
        if (!v.canConvertToLong()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer");
        }
        return v.asLong();
    }
}
