package io.fleetshard.shardmap;

import java.util.regex.Pattern;

/** Identifier rules shared by every entity of the map: 1–64 characters of {@code [A-Za-z0-9._-]}, starting alphanumeric. */
public final class Ids {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Ids() {
    }

    public static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
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
