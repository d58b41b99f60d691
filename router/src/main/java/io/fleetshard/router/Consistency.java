package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.util.Locale;

/** Read consistency a request asks for. Writes always go to the primary whatever this says. */
enum Consistency {
    /** The primary. */
    STRONG,
    /** The nearest replica whose measured lag is within {@code maxStalenessMs}, else the primary. */
    BOUNDED,
    /** The nearest healthy replica, else the primary. */
    EVENTUAL;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Consistency parse(String s) {
        for (Consistency c : values()) {
            if (c.wireName().equals(s)) {
                return c;
            }
        }
        throw ApiProblem.badRequest("consistency must be one of strong, bounded, eventual, got '" + s + "'");
    }
}
