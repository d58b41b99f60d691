package io.fleetshard.router;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A JDBC URL of the form {@code jdbc:<driver>://<hosts>/<database>?<k>=<v>&...}, split so the router can replace the
 * credentials a shard map node URL may carry (the router connects as its own, limited role) or the database.
 */
record JdbcUrl(String base, String database, Map<String, String> params) {

    static JdbcUrl parse(String url) {
        int q = url.indexOf('?');
        String head = q < 0 ? url : url.substring(0, q);
        int hosts = head.indexOf("//");
        int slash = hosts < 0 ? -1 : head.indexOf('/', hosts + 2);
        String base = slash < 0 ? head : head.substring(0, slash);
        String database = slash < 0 ? "" : head.substring(slash + 1);
        Map<String, String> params = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : url.substring(q + 1).split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                params.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
        }
        return new JdbcUrl(base, database, params);
    }

    /** This URL without {@code user} and {@code password} parameters. */
    JdbcUrl withoutCredentials() {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.keySet().removeIf(k -> {
            String lower = k.toLowerCase(Locale.ROOT);
            return lower.equals("user") || lower.equals("password");
        });
        return new JdbcUrl(base, database, p);
    }

    JdbcUrl withDatabase(String db) {
        return new JdbcUrl(base, db, params);
    }

    String text() {
        StringBuilder b = new StringBuilder(base);
        if (!database.isEmpty()) {
            b.append('/').append(database);
        }
        if (!params.isEmpty()) {
            StringJoiner j = new StringJoiner("&", "?", "");
            params.forEach((k, v) -> j.add(v.isEmpty() ? k : k + "=" + v));
            b.append(j);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        JdbcUrl masked = params.containsKey("password") ? withoutCredentials() : this;
        return masked.text();
    }
}
