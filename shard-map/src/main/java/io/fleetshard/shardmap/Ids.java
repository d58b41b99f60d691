package io.fleetshard.shardmap;

/** Identifier rules shared by every entity of the map: 1–64 characters of {@code [A-Za-z0-9._-]}, starting alphanumeric. */
public final class Ids {
    private static final int MAX_LENGTH = 64;

    private Ids() {
    }

    public static boolean isValid(String id) {
        // a loop, not a regex: the router checks two ids per request
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH || !alphanumeric(id.charAt(0))) {
            return false;
        }
        for (int i = 1; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!alphanumeric(c) && c != '.' && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean alphanumeric(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** Returns {@code id} or throws an {@link IllegalArgumentException} that names the field and the rule. */
    public static String require(String field, String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException(field + " must be 1-64 characters of [A-Za-z0-9._-] starting with a letter"
                    + " or digit, got " + (id == null ? "null" : "'" + id + "'"));
        }
        return id;
    }
}
